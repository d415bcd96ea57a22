/**
 * Event Hubs (AMQP) consumer groups under load (issue #23), on the Event Hubs stand-in (in this process) with the
 * real Azurite peer as blob checkpoint store, using the adapter's default balancing settings:
 * - read-ahead is bounded by bytes: with a stuck handler, the events that reach the client (counted on the wire,
 *   through a TCP proxy in front of the stand-in) stay near `maxBufferedBytesPerPartition` plus one receive batch,
 *   not the whole backlog. Before: 1000 buffered events per partition plus 3 batches of link credit, whatever
 *   their size (heap 33 -> 132 MB, rising);
 * - a member joining a busy group causes no duplicate deliveries and at most the needed reassignments. Before: a
 *   member whose receiver was taken while its handler ran reconnected with the same owner level and took the
 *   partition back, over and over (66 duplicates, 8 reassignments per worker), and the new owner started from a
 *   checkpoint the old owner was still moving;
 * - a fresh group reads every partition at once (before: one partition per 10 s balancing cycle).
 *
 * Run: `SPEEDLAYER_PEERS=azurite npx vitest run --project int test/faults/eventhubs-group.int.spec.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, Socket } from 'node:net';
import { type ConsumedMessage, connect, type StreamClient } from '@speedlayer/core';
import { deferred, produceKeyed, uniqueName, waitFor } from '@speedlayer/testing';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type StandInTarget, startStandInTarget } from '../../adapters/azure-eventhubs-aks/test/amqp-standin.js';

/** A TCP proxy that counts the bytes flowing from the server to the client. */
async function countingProxy(targetPort: number): Promise<{ port: number; toClient: () => number; close(): Promise<void> }> {
  let bytes = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = new Socket();
    sockets.add(client);
    sockets.add(upstream);
    upstream.connect(targetPort, '127.0.0.1');
    upstream.on('data', (d: Buffer) => {
      bytes += d.length;
    });
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    toClient: () => bytes,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** The stand-in config with the adapter's own balancing defaults (the shared test config makes them fast). */
function defaults(target: StandInTarget, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { loadBalancing, updateIntervalMs, ownershipExpirationMs, maxWaitTimeMs, commitIntervalMs, ...rest } =
    target.config as Record<string, unknown>;
  void loadBalancing;
  void updateIntervalMs;
  void ownershipExpirationMs;
  void maxWaitTimeMs;
  void commitIntervalMs;
  return { ...rest, ...extra };
}

describePeer('azurite', 'eventhubs amqp groups under load', (azurite) => {
  const container = `ehg-${Date.now().toString(36)}`;
  let target: StandInTarget;
  let admin: StreamClient;
  const clients: StreamClient[] = [];

  beforeAll(async () => {
    target = await startStandInTarget(azurite, container);
    admin = await connect(target.uri, { config: target.config });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await admin?.close();
    await target?.standIn.close();
  }, 60_000);

  it('a stuck handler holds about maxBufferedBytesPerPartition plus one batch, not the backlog', async () => {
    const topic = uniqueName('eh-readahead');
    await admin.admin.ensureTopic(topic, { partitions: 1 });
    const recordBytes = 32 * 1024;
    const backlog = 1500;
    const body = 'x'.repeat(recordBytes);
    const producer = admin.producer();
    for (let i = 0; i < backlog; i += 25) {
      await producer.send(
        topic,
        Array.from({ length: 25 }, (_, j) => ({ value: `${i + j}:${body}` })),
      );
    }
    await producer.close();

    const proxy = await countingProxy(target.standIn.port);
    const csFile = `${target.connectionStringFile}-proxy`;
    writeFileSync(
      csFile,
      readFileSync(target.connectionStringFile, 'utf8').replace(`:${target.standIn.port}`, `:${proxy.port}`),
      { mode: 0o600 },
    );
    const boundBytes = 1024 * 1024;
    const c = await connect(`eventhubs://127.0.0.1:${proxy.port}`, {
      config: defaults(target, { connectionString: `file:${csFile}`, maxBufferedBytesPerPartition: boundBytes }),
    });
    clients.push(c);
    const release = deferred();
    let handled = 0;
    const sub = await c.subscribe({ topic, group: uniqueName('g'), startFrom: 'earliest' }, async () => {
      await release.promise;
      handled++;
    });
    try {
      await waitFor(() => proxy.toClient() > 4 * recordBytes, 'the first events on the wire', 30_000);
      await new Promise((r) => setTimeout(r, 4000)); // many receive rounds with the handler stuck
      const heldBytes = proxy.toClient();
      const held = Math.round(heldBytes / recordBytes);
      console.info(
        `[eventhubs read-ahead] ${JSON.stringify({
          backlog,
          recordBytes,
          boundBytes,
          heldEvents: held,
          heldMB: +(heldBytes / 2 ** 20).toFixed(1),
        })}`,
      );
      // the bound (32 events) plus one receive batch (100) plus the link credit of one batch (100)
      expect(held).toBeLessThanOrEqual(boundBytes / recordBytes + 200 + 10);
      release.resolve();
      await waitFor(() => handled === backlog, 'the whole backlog once released', 120_000);
    } finally {
      release.resolve();
      await sub.close();
      await proxy.close();
    }
  }, 180_000);

  it('a member joining a busy group causes no duplicate deliveries and no partition ping-pong', async () => {
    const topic = uniqueName('eh-join');
    const group = uniqueName('g');
    const partitions = 4;
    const total = 8000;
    await admin.admin.ensureTopic(topic, { partitions });
    await produceKeyed(admin, topic, total, 16, { batch: 200 });
    // a one-second balancing cycle, so the join overlaps the backlog (the default strategy and hand-over)
    // (expiration 30 s: the hand-over in effect stays the default 3 s, under expiration / (2 x partitions))
    const config = defaults(target, { updateIntervalMs: 1000, ownershipExpirationMs: 30_000 });
    const c1 = await connect(target.uri, { config });
    const c2 = await connect(target.uri, { config });
    clients.push(c1, c2);
    const deliveries = new Map<string, number>();
    const changes = { m1: 0, m2: 0 };
    const seen: Record<'m1' | 'm2', string[]> = { m1: [], m2: [] };
    const handler = async (m: ConsumedMessage) => {
      const text = Buffer.from(m.value).toString('utf8');
      deliveries.set(text, (deliveries.get(text) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 3));
    };
    const handledUnique = () => deliveries.size;
    const started = Date.now();
    const s1 = await c1.subscribe(
      {
        topic,
        group,
        onAssignment: (p) => {
          changes.m1++;
          seen.m1.push(p.join(','));
        },
      },
      handler,
    );
    await waitFor(() => s1.assignments().length === partitions, 'the first member owns every partition', 60_000);
    await waitFor(() => handledUnique() >= 400, 'the first member busy', 60_000);
    const assignedBefore = changes.m1;
    const s2 = await c2.subscribe(
      {
        topic,
        group,
        onAssignment: (p) => {
          changes.m2++;
          seen.m2.push(p.join(','));
        },
      },
      handler,
    );
    await waitFor(() => s2.assignments().length === partitions / 2, 'the new member owns half', 90_000);
    await waitFor(() => handledUnique() === total, 'every event handled', 180_000);
    await new Promise((r) => setTimeout(r, 1500)); // late redeliveries would show here
    const a1 = s1.assignments();
    const a2 = s2.assignments();
    const reassignments = { m1: changes.m1 - assignedBefore, m2: changes.m2 };
    await s2.close();
    await s1.close();
    const duplicates = [...deliveries.values()].reduce((a, n) => a + n - 1, 0);
    console.info(
      `[eventhubs join] ${JSON.stringify({ total, unique: deliveries.size, duplicates, reassignments, ms: Date.now() - started, a1, a2, seen })}`,
    );
    expect(deliveries.size).toBe(total);
    expect(duplicates).toBe(0);
    expect(a1.length + a2.length).toBe(partitions);
    // m1 gives up two partitions, m2 takes two: at most two changes each, not a ping-pong
    expect(reassignments.m1).toBeLessThanOrEqual(2);
    expect(reassignments.m2).toBeLessThanOrEqual(2);
  }, 300_000);

  it('a fresh group reads its second partition well under 3.5 s', async () => {
    const topic = uniqueName('eh-fresh');
    await admin.admin.ensureTopic(topic, { partitions: 2 });
    const producer = admin.producer();
    await producer.send(topic, [
      { value: 'p0', partition: 0 },
      { value: 'p1', partition: 1 },
    ]);
    await producer.close();
    const c = await connect(target.uri, { config: defaults(target) });
    clients.push(c);
    const firstAt = new Map<number, number>();
    const started = Date.now();
    const sub = await c.subscribe({ topic, group: uniqueName('g') }, (m) => {
      if (!firstAt.has(m.partition)) firstAt.set(m.partition, Date.now() - started);
    });
    try {
      await waitFor(() => firstAt.size === 2, 'both partitions read', 30_000);
    } finally {
      await sub.close();
    }
    const second = Math.max(...firstAt.values());
    console.info(`[eventhubs fresh group] ${JSON.stringify({ firstMs: Math.min(...firstAt.values()), secondMs: second })}`);
    expect(second).toBeLessThan(2000);
  }, 60_000);
});
