/**
 * Consumer lag on Pub/Sub (`src/stream/lag.ts`): on the peers' pstest, which has no snapshots, a typed refusal that
 * creates nothing, and the backlog scan itself on a plain subscription; on a private pstest with snapshots
 * (`pstest-snapshots/`), the whole reading: 100 produced, 40 consumed by group g, lag 60 with a plausible age, the
 * group's own subscription untouched, the temporary snapshot and subscription deleted, caching, truncation, and the
 * time of a reading for 60 and for 10 000 unacked messages.
 *
 * Run: `npx vitest run --project int adapters/gcp-pubsub-gke/test/lag.int.spec.ts` (peers up).
 */
import { PubSub } from '@google-cloud/pubsub';
import { connect, type StreamClient } from '@speedlayer/core';
import { Collector, produceKeyed, uniqueName, waitFor } from '@speedlayer/testing';
import { STREAM_STEPS, type StreamStep, streamConformance } from '@speedlayer/testing/conformance';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAG_RESOURCE_PREFIX, scanSubscription } from '../src/stream/lag.js';
import { type SnapshotPstest, snapshotPstest } from './pstest-snapshots/server.js';

function rawClient(projectId: string, host: string): PubSub {
  return new PubSub({ projectId, apiEndpoint: host, emulatorMode: true, universeDomain: 'googleapis.com' });
}

/** Subscribes and closes at once: the group's subscription exists from now on (pstest has no Seek for history). */
async function registerGroup(client: StreamClient, topic: string, group: string): Promise<void> {
  const s = await client.subscribe({ topic, group }, async () => {});
  await s.close();
}

/** 100 produced, the first 40 consumed (and acked) by `group`, over 7 ordering keys. */
async function hundredFortyConsumed(client: StreamClient, topic: string, group: string): Promise<void> {
  await client.admin.ensureTopic(topic);
  await registerGroup(client, topic, group);
  const seqs = new Map<string, number>();
  const first = await produceKeyed(client, topic, 40, 7, { seqs });
  const col = new Collector();
  const s = await client.subscribe({ topic, group }, col.handler('m'));
  await col.waitForUnique(first.length, 60_000);
  await s.close(); // drains and acks all 40
  await produceKeyed(client, topic, 60, 7, { seqs });
}

/** One private pstest with snapshots for the whole file, started on first use. */
let started: Promise<SnapshotPstest> | undefined;
const snapshotServer = () => {
  started ??= snapshotPstest();
  return started;
};
afterAll(async () => {
  const server = await started;
  if (server && !('skip' in server)) await server.stop();
});

describePeer('pubsub', 'gcp-pubsub-gke lag', (pubsub) => {
  describe('on the peers pstest (no snapshots)', () => {
    const uri = `pubsub://${pubsub.projectId}?emulatorHost=${pubsub.emulatorHost}`;
    let client: StreamClient;
    const raw = rawClient(pubsub.projectId, pubsub.emulatorHost);
    beforeAll(async () => {
      client = await connect(uri);
    });
    afterAll(async () => {
      await client?.close();
      await raw.close();
    });

    it('lag() is a typed UnsupportedError naming the missing snapshots, and creates nothing', async () => {
      const topic = uniqueName('ps-lag-unsup');
      await client.admin.ensureTopic(topic);
      await registerGroup(client, topic, 'g');
      await produceKeyed(client, topic, 10, 3);
      for (let i = 0; i < 2; i++) {
        await expect(client.lag(topic, 'g')).rejects.toMatchObject({
          kind: 'unsupported',
          target: 'gcp-pubsub-gke',
          message: expect.stringMatching(/snapshot.*pstest has no snapshots/),
        });
      }
      const [subs] = await raw.topic(topic).getSubscriptions();
      expect(subs.map((s) => s.name.slice(s.name.lastIndexOf('/') + 1))).toEqual([`${topic}.g`]);
      // the group's backlog is intact: all 10 are still delivered to it
      const col = new Collector();
      const s = await client.subscribe({ topic, group: 'g' }, col.handler('m'));
      await col.waitForUnique(10, 30_000);
      await s.close();
      await client.admin.deleteTopic(topic);
    });

    it('the backlog scan counts a subscription without acking: 60 over 7 ordering keys, the oldest publish time, truncation', async () => {
      const topic = uniqueName('ps-lag-scan');
      await client.admin.ensureTopic(topic);
      const names = [uniqueName('scan-a'), uniqueName('scan-b')];
      for (const n of names) await raw.topic(topic).createSubscription(n, { ackDeadlineSeconds: 600 });
      const before = Date.now();
      await produceKeyed(client, topic, 60, 7);
      const after = Date.now();
      const full = await scanSubscription(raw, raw.subscription(names[0] as string).name, {
        maxMessages: 1000,
        deadline: Date.now() + 20_000,
      });
      expect(full).toMatchObject({ messages: 60, truncated: false });
      expect(full.oldestPublishMs).toBeGreaterThanOrEqual(before - 1000);
      expect(full.oldestPublishMs).toBeLessThanOrEqual(after + 1000);
      const capped = await scanSubscription(raw, raw.subscription(names[1] as string).name, {
        maxMessages: 25,
        deadline: Date.now() + 20_000,
      });
      expect(capped).toMatchObject({ messages: 25, truncated: true });
      await client.admin.deleteTopic(topic);
      for (const n of names) await raw.subscription(n).delete();
    });
  });

  describe('on a pstest with snapshots', () => {
    let server: SnapshotPstest = { skip: 'not started' };
    let uri = '';
    let client: StreamClient;
    let raw: PubSub | undefined;
    beforeAll(async () => {
      server = await snapshotServer();
      if ('skip' in server) return;
      uri = `pubsub://${pubsub.projectId}?emulatorHost=${server.host}`;
      client = await connect(uri, { config: { lagCacheMs: 0 } });
      raw = rawClient(pubsub.projectId, server.host);
    }, 600_000);
    afterAll(async () => {
      await client?.close();
      await raw?.close();
    });
    const live = (ctx: { skip: (note?: string) => void }) => {
      if ('skip' in server) ctx.skip(server.skip);
    };

    it('after 100 produced and 40 consumed by group g, lag is 60 on partition 0 with a plausible age; the group still gets all 60 in order', async (ctx) => {
      live(ctx);
      const topic = uniqueName('ps-lag');
      const started = Date.now();
      await hundredFortyConsumed(client, topic, 'g');
      await new Promise((r) => setTimeout(r, 300));
      const t0 = Date.now();
      const report = await client.lag(topic, 'g');
      const readMs = Date.now() - t0;
      console.log(`[lag] pubsub (pstest with snapshots): lag() of 60 unacked took ${readMs} ms`);
      expect(report).toMatchObject({ topic, group: 'g', total: 60 });
      expect(report.partitions).toHaveLength(1);
      expect(report.partitions[0]).toMatchObject({ partition: 0, lag: 60 });
      expect(report.partitions[0]?.truncated).toBeUndefined();
      // age of the oldest unacked message: at least the 300 ms waited, at most the whole test so far
      expect(report.maxAgeSeconds).toBeGreaterThanOrEqual(0.3);
      expect(report.maxAgeSeconds).toBeLessThanOrEqual((Date.now() - started) / 1000 + 1);
      // nothing of the reading is left: only the group's subscription, no snapshot
      const [subs] = await (raw as PubSub).topic(topic).getSubscriptions();
      expect(subs.map((s) => s.name.slice(s.name.lastIndexOf('/') + 1))).toEqual([`${topic}.g`]);
      const [snapshots] = await (raw as PubSub).getSnapshots();
      expect(snapshots.filter((s) => s.name.includes(LAG_RESOURCE_PREFIX))).toEqual([]);
      // the group's subscription was not read: its 60 arrive, in order per key, none leased away
      const col = new Collector();
      const s = await client.subscribe({ topic, group: 'g' }, col.handler('m'));
      await col.waitForUnique(60, 30_000);
      await s.close();
      expect(col.orderViolations()).toEqual([]);
      await waitFor(async () => (await client.lag(topic, 'g')).total === 0, 'lag 0 after the group caught up', 10_000, 200);
      await client.admin.deleteTopic(topic);
    }, 120_000);

    it('a missing group or topic is a NotFoundError naming it', async (ctx) => {
      live(ctx);
      const topic = uniqueName('ps-lag-nf');
      await client.admin.ensureTopic(topic);
      await expect(client.lag(topic, 'never')).rejects.toMatchObject({ kind: 'not-found', field: 'group' });
      await expect(client.lag(uniqueName('ps-lag-missing'), 'g')).rejects.toMatchObject({ kind: 'not-found', field: 'topic' });
      await client.admin.deleteTopic(topic);
    });

    it('readings are reused for lagCacheMs and shared by concurrent callers; a capped scan is a truncated lower bound', async (ctx) => {
      live(ctx);
      const topic = uniqueName('ps-lag-cache');
      await client.admin.ensureTopic(topic);
      await registerGroup(client, topic, 'g');
      await produceKeyed(client, topic, 30, 3);
      const cached = await connect(uri, { config: { lagCacheMs: 60_000 } });
      const capped = await connect(uri, { config: { lagScanMaxMessages: 10, lagCacheMs: 0 } });
      // count the snapshots the cached client creates
      const native = cached.as<PubSub>();
      const request = native.request.bind(native);
      let snapshots = 0;
      native.request = ((config, callback) => {
        if (config.method === 'createSnapshot') snapshots++;
        request(config, callback);
      }) as typeof native.request;
      try {
        const [a, b] = await Promise.all([cached.lag(topic, 'g'), cached.lag(topic, 'g')]);
        expect(a.total).toBe(30);
        expect(b.total).toBe(30);
        await produceKeyed(client, topic, 5, 3);
        expect((await client.lag(topic, 'g')).total).toBe(35); // lagCacheMs 0: a fresh reading
        expect((await cached.lag(topic, 'g')).total).toBe(30); // within lagCacheMs: the earlier reading
        expect(snapshots).toBe(1);
        const low = await capped.lag(topic, 'g');
        expect(low.total).toBe(10);
        expect(low.partitions[0]).toMatchObject({ lag: 10, truncated: true });
      } finally {
        await cached.close();
        await capped.close();
      }
      await client.admin.deleteTopic(topic);
    });

    it('a backlog of 10 000 is counted exactly', async (ctx) => {
      live(ctx);
      const topic = uniqueName('ps-lag-10k');
      await client.admin.ensureTopic(topic);
      await registerGroup(client, topic, 'g');
      await produceKeyed(client, topic, 10_000, 16, { batch: 1000 });
      const t0 = Date.now();
      const report = await client.lag(topic, 'g');
      console.log(`[lag] pubsub (pstest with snapshots): lag() of 10000 unacked took ${Date.now() - t0} ms`);
      expect(report.total).toBe(10_000);
      expect(report.partitions[0]?.truncated).toBeUndefined();
      await client.admin.deleteTopic(topic);
    }, 180_000);
  });
});

// The conformance lag step (100 produced, 40 consumed by a group, total 60) on Pub/Sub, against the pstest with
// snapshots. Its other steps run on the peers' pstest entry (stream.int.spec.ts), which keeps `lag: false` (no
// snapshots there: the step asserts the UnsupportedError), so they are not repeated here.
describePeer('pubsub', 'gcp-pubsub-gke conformance lag step on a pstest with snapshots', (pubsub) => {
  const elsewhere =
    'runs on the pubsub (pstest) entry in stream.int.spec.ts; this entry adds the lag step, which needs snapshots';
  streamConformance({
    name: 'pubsub (pstest with snapshots)',
    nativeClient: 'PubSub',
    uri: async () => {
      const server = await snapshotServer();
      if ('skip' in server) throw new Error(`no pstest with snapshots: ${server.skip}`);
      return `pubsub://${pubsub.projectId}?emulatorHost=${server.host}`;
    },
    skip: Object.fromEntries(STREAM_STEPS.filter((s) => !s.startsWith('lag:')).map((s) => [s, elsewhere])) as Partial<
      Record<StreamStep, string>
    >,
  });
});
