/**
 * The `eventhubs://` transport against the real Azurite peer (blob checkpoint store) and the Event Hubs AMQP
 * stand-in (in process; named a stand-in: no real Event Hubs server runs locally). Proves: the checkpoint
 * container rules, the blob layout KEDA's `azure-eventhub` scaler reads (`checkpointStrategy: blobMetadata`), read
 * back directly with `@azure/storage-blob`, `tryAdd` size rules with nothing of a batch sent, service-side key
 * routing, consumer-group creation and hand-over of partitions between members.
 */
import { readFileSync } from 'node:fs';
import { BlobServiceClient } from '@azure/storage-blob';
import { type ConsumedMessage, connect, type StreamClient, silentLogger } from '@speedlayer/core';
import { Collector, produceKeyed, uniqueName, waitFor } from '@speedlayer/testing';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StandInTarget, startStandInTarget } from './amqp-standin.js';

describePeer('azurite', 'eventhubs amqp', (azurite) => {
  const blobs = () => BlobServiceClient.fromConnectionString(readFileSync(azurite.connectionStringFile, 'utf8').trim());

  describe('checkpoint container', () => {
    let target: StandInTarget;
    beforeAll(async () => {
      target = await startStandInTarget(azurite, 'unused');
    });
    afterAll(async () => target?.standIn.close());

    it('a missing container is a NotFoundError naming checkpointStore.container', async () => {
      const container = uniqueName('missing')
        .toLowerCase()
        .replace(/[^a-z0-9-]/g, '-');
      const c = await connect(target.uri, {
        config: {
          ...target.config,
          checkpointStore: { connectionString: `file:${azurite.connectionStringFile}`, container },
        },
      });
      try {
        await c.admin.ensureTopic('ckpt-missing', { partitions: 1 });
        await expect(c.subscribe({ topic: 'ckpt-missing', group: 'g' }, () => {})).rejects.toMatchObject({
          kind: 'not-found',
          field: 'checkpointStore.container',
        });
        expect(await blobs().getContainerClient(container).exists()).toBe(false);
      } finally {
        await c.close();
      }
    });

    it('createContainer: true creates it', async () => {
      const container = uniqueName('made')
        .toLowerCase()
        .replace(/[^a-z0-9-]/g, '-');
      const c = await connect(target.uri, {
        config: {
          ...target.config,
          checkpointStore: { connectionString: `file:${azurite.connectionStringFile}`, container, createContainer: true },
        },
      });
      try {
        await c.admin.ensureTopic('ckpt-made', { partitions: 1 });
        const s = await c.subscribe({ topic: 'ckpt-made', group: 'g' }, () => {});
        await s.close();
        expect(await blobs().getContainerClient(container).exists()).toBe(true);
      } finally {
        await c.close();
      }
    });

    it('a literal storage key is refused naming the field, without echoing it', async () => {
      const literal = readFileSync(azurite.connectionStringFile, 'utf8').trim();
      const err = await connect(target.uri, {
        config: { ...target.config, checkpointStore: { connectionString: literal, container: 'x-y-z' } },
      }).catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: 'config', field: 'checkpointStore.connectionString' });
      expect(String((err as Error).message)).not.toContain('AccountKey=');
    });
  });

  describe('against the Event Hubs stand-in', () => {
    const container = `eh-${Date.now().toString(36)}`;
    let target: StandInTarget;
    let client: StreamClient;

    beforeAll(async () => {
      target = await startStandInTarget(azurite, container);
      client = await connect(target.uri, { config: target.config });
    });
    afterAll(async () => {
      await client?.close();
      await target?.standIn.close();
    });

    it('writes checkpoints in the blob layout KEDA reads (<namespace>/<hub>/<group>/checkpoint/<partition>, blob metadata)', async () => {
      const topic = uniqueName('keda');
      const group = uniqueName('g');
      await client.admin.ensureTopic(topic, { partitions: 2 });
      const producer = client.producer();
      await producer.send(topic, [
        { value: 'p0-a', partition: 0 },
        { value: 'p0-b', partition: 0 },
        { value: 'p1-a', partition: 1 },
      ]);
      await producer.close();
      const got: ConsumedMessage[] = [];
      const s = await client.subscribe({ topic, group }, (m) => {
        got.push(m);
      });
      await waitFor(() => got.length === 3, 'three messages', 30_000);
      await waitFor(() => s.stats().commits >= 2, 'checkpoints of both partitions', 30_000);
      await s.close();
      const last = new Map<number, ConsumedMessage>();
      for (const m of got) last.set(m.partition, m);

      // The stand-in's connection string names 127.0.0.1 as the namespace host.
      const fqns = '127.0.0.1';
      const prefix = `${fqns}/${topic.toLowerCase()}/${group.toLowerCase()}/checkpoint/`;
      const c = blobs().getContainerClient(container);
      const found = new Map<string, Record<string, string>>();
      for await (const b of c.listBlobsFlat({ prefix, includeMetadata: true })) found.set(b.name, b.metadata ?? {});
      expect([...found.keys()].sort()).toEqual([`${prefix}0`, `${prefix}1`]);
      for (const [p, m] of last) {
        const meta = found.get(`${prefix}${p}`);
        expect(meta?.sequencenumber).toBe(m.position);
        expect(meta?.offset).toMatch(/^\d+$/);
      }
      // ownership records sit next to them, as the SDK's load balancer writes them
      const owners: string[] = [];
      for await (const b of c.listBlobsFlat({ prefix: `${fqns}/${topic.toLowerCase()}/${group.toLowerCase()}/ownership/` }))
        owners.push(b.name);
      expect(owners.length).toBe(2);
    });

    it('resumes a group after its checkpoint and nothing before it', async () => {
      const topic = uniqueName('resume');
      const group = uniqueName('g');
      await client.admin.ensureTopic(topic, { partitions: 1 });
      const producer = client.producer();
      await producer.send(topic, [{ value: 'one' }, { value: 'two' }]);
      const first = new Collector();
      const s1 = await client.subscribe({ topic, group }, first.handler('a'));
      await first.waitForUnique(2, 30_000);
      await s1.close();
      await producer.send(topic, [{ value: 'three' }]);
      await producer.close();
      const second = new Collector();
      const s2 = await client.subscribe({ topic, group }, second.handler('b'));
      await second.waitForUnique(1, 30_000);
      await new Promise((r) => setTimeout(r, 500));
      await s2.close();
      expect([...second.unique()]).toEqual(['three']);
    });

    it('pins latest once per group: a later member starts where the group started, not at its own latest', async () => {
      const topic = uniqueName('latest');
      const group = uniqueName('g');
      await client.admin.ensureTopic(topic, { partitions: 2 });
      const producer = client.producer();
      await producer.send(topic, [{ value: 'before', partition: 0 }]);
      const s1 = await client.subscribe({ topic, group, startFrom: 'latest' }, () => {});
      await s1.close(); // nothing handled, so nothing checkpointed by the member itself
      await producer.send(topic, [
        { value: 'after-0', partition: 0 },
        { value: 'after-1', partition: 1 },
      ]);
      await producer.close();
      const col = new Collector();
      const s2 = await client.subscribe({ topic, group, startFrom: 'latest' }, col.handler('m'));
      await col.waitForUnique(2, 30_000);
      await new Promise((r) => setTimeout(r, 500));
      await s2.close();
      expect([...col.unique()].sort()).toEqual(['after-0', 'after-1']);
    });

    it('refuses an event that cannot fit an empty batch (tryAdd) and sends nothing of its batch', async () => {
      const topic = uniqueName('tryadd');
      await client.admin.ensureTopic(topic, { partitions: 1 });
      const producer = client.producer();
      // under the declared 1 MB of key + value + headers, but over the link's limit once AMQP-encoded
      const almost = new Uint8Array(client.capabilities.maxMessageBytes - 8);
      const err = await producer
        .send(topic, [
          { key: 'k', value: 'before' },
          { key: 'k', value: almost },
        ])
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: 'message-too-large', field: 'records[1]', retriable: false });
      expect(String((err as Error).message)).toMatch(/at most \d+ bytes/);
      await producer.close();
      const hub = target.standIn.hubs().find((h) => h.name === topic);
      expect(Object.values(hub?.eventCounts ?? {}).reduce((a, b) => a + b, 0)).toBe(0);
    });

    it('keeps every key in one partition with service-side hashing, and the key arrives as the partition key', async () => {
      const topic = uniqueName('keys');
      await client.admin.ensureTopic(topic, { partitions: 4 });
      const producer = client.producer();
      const records = Array.from({ length: 200 }, (_, i) => ({
        key: `key-${i % 10}`,
        value: `key-${i % 10}:${Math.floor(i / 10)}`,
      }));
      await producer.send(topic, records);
      await producer.close();
      const col = new Collector();
      const s = await client.subscribe({ topic, group: uniqueName('g') }, col.handler('m'));
      await col.waitForUnique(200, 30_000);
      await s.close();
      const byKey = new Map<string, Set<number>>();
      for (const r of col.received)
        byKey.set(r.message.key ?? '', (byKey.get(r.message.key ?? '') ?? new Set()).add(r.message.partition));
      expect([...byKey.keys()].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `key-${i}`).sort());
      for (const ps of byKey.values()) expect(ps.size).toBe(1);
      expect(col.orderViolations()).toEqual([]);
    });

    it('creates a missing consumer group through the management endpoint on subscribe', async () => {
      const topic = uniqueName('cg');
      const group = uniqueName('new-group');
      await client.admin.ensureTopic(topic, { partitions: 1 });
      expect(target.standIn.hubs().find((h) => h.name === topic)?.consumerGroups).not.toContain(group);
      const s = await client.subscribe({ topic, group }, () => {});
      await s.close();
      expect(target.standIn.hubs().find((h) => h.name === topic)?.consumerGroups).toContain(group);
    });

    it('hands partitions over when a member joins and when it leaves, losing nothing', async () => {
      const topic = uniqueName('handover');
      const group = uniqueName('g');
      await client.admin.ensureTopic(topic, { partitions: 4 });
      const seqs = new Map<string, number>();
      const col = new Collector();
      const lost: string[] = [];
      const logger = { ...silentLogger, info: (message: string) => lost.push(message) };
      const c1 = await connect(target.uri, { config: target.config, logger });
      const c2 = await connect(target.uri, { config: target.config });
      const assignments: number[][] = [];
      try {
        const s1 = await c1.subscribe({ topic, group }, col.handler('m1'));
        await waitFor(() => s1.assignments().length === 4, 'first member owns all partitions', 30_000);
        await produceKeyed(client, topic, 100, 8, { seqs });
        const s2 = await c2.subscribe({ topic, group, onAssignment: (p) => assignments.push(p) }, col.handler('m2'));
        await waitFor(() => s1.assignments().length === 2 && s2.assignments().length === 2, 'two partitions each', 30_000);
        await produceKeyed(client, topic, 100, 8, { seqs });
        await col.waitForUnique(200, 30_000);
        await s2.close();
        await waitFor(() => s1.assignments().length === 4, 'partitions back with the first member', 30_000);
        await produceKeyed(client, topic, 100, 8, { seqs });
        await col.waitForUnique(300, 60_000);
        await s1.close();
      } finally {
        await c1.close();
        await c2.close();
      }
      expect(col.unique().size).toBe(300);
      expect(col.orderViolations()).toEqual([]);
      expect(assignments.some((p) => p.length === 2)).toBe(true);
      // the first member was told it lost two partitions (and stopped them, fenced) when the second one joined
      expect(lost.filter((m) => m === 'eventhubs partition ownership lost').length).toBeGreaterThanOrEqual(2);
      expect(col.received.some((r) => r.member === 'm2')).toBe(true);
    });
  });
});
