/**
 * Kinesis-specific behaviour against moto (Kinesis + DynamoDB): key -> shard as AWS computes it, resharding
 * during consumption, partial PutRecords failures and throttling (fault injection in front of the real peer),
 * streams that are missing or still CREATING, lease tables that may not be created, fenced checkpoints of an
 * expired lease.
 */
import './env.js';
import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { type ConsumedMessage, parseUri, utf8 } from '@speedlayer/core';
import { Collector, deferred, produceKeyed, uniqueName, waitFor } from '@speedlayer/testing';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createKinesisStreamClient,
  type KinesisClientExtras,
  type KinesisStreamClient,
  LeaseTable,
  listShards,
  openShards,
  type RequestHandlerLike,
  shardForKey,
} from '../src/stream/index.js';
import { fastConfig, motoUri } from './env.js';
import { FaultInjectingHandler } from './fault-injection.js';

describePeer('moto', 'aws-kinesis-ecs/stream on moto', (moto) => {
  const uri = motoUri(moto);
  const clients: Array<{ close(): Promise<void> }> = [];
  let client: KinesisStreamClient;
  let raw: KinesisClient;

  async function open(
    config: Record<string, unknown> = {},
    extras: Omit<KinesisClientExtras, 'kinesisRequestHandler'> & { kinesisRequestHandler?: FaultInjectingHandler } = {},
  ): Promise<KinesisStreamClient> {
    // the fault injector is a smithy HttpHandler; the SDK's config type also admits fetch options, which it is not
    const { kinesisRequestHandler, ...rest } = extras;
    const handler = kinesisRequestHandler as unknown as RequestHandlerLike | undefined;
    const c = await createKinesisStreamClient(
      parseUri(uri),
      { config: { ...fastConfig, ...config } },
      { ...rest, ...(handler ? { kinesisRequestHandler: handler } : {}) },
    );
    clients.push(c);
    return c;
  }

  /** Every record of a stream, read straight from the peer, per shard in sequence order. */
  async function readStream(stream: string): Promise<Array<{ shard: string; key: string; value: string }>> {
    const out: Array<{ shard: string; key: string; value: string }> = [];
    for (const s of await listShards(raw, stream)) {
      const it = await raw.send(
        new GetShardIteratorCommand({ StreamName: stream, ShardId: s.shardId, ShardIteratorType: 'TRIM_HORIZON' }),
      );
      const res = await raw.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator, Limit: 10_000 }));
      for (const r of res.Records ?? [])
        out.push({ shard: s.shardId, key: r.PartitionKey ?? '', value: utf8(r.Data ?? new Uint8Array()) });
    }
    return out;
  }

  /** Per key, the values in stream order must be the key's sequence 0, 1, 2, ... with nothing missing or repeated. */
  function expectExactlyInOrder(records: Array<{ key: string; value: string }>, sent: string[]): void {
    const byKey = new Map<string, number[]>();
    for (const r of records) {
      const [k = '', seq = ''] = r.value.split(':');
      byKey.set(k, [...(byKey.get(k) ?? []), Number(seq)]);
    }
    const expected = new Map<string, number[]>();
    for (const v of sent) {
      const [k = '', seq = ''] = v.split(':');
      expected.set(k, [...(expected.get(k) ?? []), Number(seq)]);
    }
    expect(Object.fromEntries(byKey)).toEqual(Object.fromEntries(expected));
  }

  beforeAll(async () => {
    client = await open();
    raw = new KinesisClient({ region: moto.region, endpoint: moto.endpoint, requestHandler: new NodeHttpHandler() });
  });

  afterAll(async () => {
    for (const c of clients) await c.close();
    raw.destroy();
  });

  describe('partitioning', () => {
    it('maps partition keys to shards by MD5 into hash-key ranges, as Kinesis does', async () => {
      const topic = uniqueName('kin-hash');
      await client.admin.ensureTopic(topic, { partitions: 4 });
      const shards = openShards(await listShards(raw, topic));
      const keys = Array.from({ length: 200 }, (_, i) => `customer-${i}`);
      const producer = client.producer();
      const meta = await producer.send(
        topic,
        keys.map((key) => ({ key, value: 'x' })),
      );
      // the shard the service chose (reported by PutRecords) is the one our MD5 rule predicts
      for (const [i, key] of keys.entries()) expect(meta[i]?.partition, key).toBe(shardForKey(shards, key)?.partition);
      expect(new Set(meta.map((m) => m.partition))).toEqual(new Set([0, 1, 2, 3]));
      // an explicit partition lands in that shard whatever the key
      const explicit = await producer.send(
        topic,
        [0, 1, 2, 3].map((partition) => ({ key: 'same-key', value: 'p', partition })),
      );
      expect(explicit.map((m) => m.partition)).toEqual([0, 1, 2, 3]);
      await expect(producer.send(topic, [{ key: 'k', value: 'v', partition: 9 }])).rejects.toMatchObject({ kind: 'validation' });
      await producer.close();
      const described = await client.admin.describeTopic(topic);
      expect(described.partitions).toBe(4);
      await client.admin.deleteTopic(topic);
    });

    it('keeps envelope-free records readable by any Kinesis client, and headers in the documented frame', async () => {
      const topic = uniqueName('kin-env');
      await client.admin.ensureTopic(topic, { partitions: 1 });
      const producer = client.producer();
      await producer.send(topic, [
        { key: 'plain', value: '{"a":1}' },
        { key: 'with-headers', value: 'v', headers: { trace: 't1' } },
      ]);
      await producer.close();
      const records = await readStream(topic);
      expect(records[0]).toMatchObject({ key: 'plain', value: '{"a":1}' });
      expect(records[1]?.value.endsWith('v')).toBe(true);
      await client.admin.deleteTopic(topic);
    });
  });

  describe('resharding', () => {
    // moto 5.2.5 routes every write after a split or merge to the first shard whose range matches, which is
    // the closed parent (its get_shard_for_key does not skip closed shards), and re-puts a split parent's
    // records into that parent. So on moto the stream is only resharded after the last write; writes after a
    // reshard are tested on AWS (SPEEDLAYER_CLOUD=aws). See TESTPLAN.md.
    it('a split during consumption loses nothing and keeps per-key order; parents end before children start', async () => {
      const topic = uniqueName('kin-reshard');
      await client.admin.ensureTopic(topic, { partitions: 2 });
      const group = uniqueName('g');
      const sent = await produceKeyed(client, topic, 600, 20);
      const col = new Collector();
      const slow = () => new Promise<void>((r) => setTimeout(r, 2));
      const members = [
        await (await open()).subscribe({ topic, group, sessionTimeoutMs: 1500 }, col.handler('m0', slow)),
        await (await open()).subscribe({ topic, group, sessionTimeoutMs: 1500 }, col.handler('m1', slow)),
      ];
      await waitFor(() => col.unique().size >= 50, 'some messages consumed before the split', 60_000);
      expect(col.unique().size).toBeLessThan(sent.length);
      // split: 2 -> 4 shards while the members read
      const grown = await client.admin.growPartitions(topic, 4);
      expect(grown.partitions).toBe(4);
      await col.waitForUnique(sent.length, 120_000);
      const table = new LeaseTable(client.dynamodb, client.leaseTableFor(topic, group));
      const shards = await listShards(raw, topic);
      const closed = shards.filter((s) => s.endingSequenceNumber !== undefined).map((s) => s.shardId);
      expect(closed).toHaveLength(2);
      // every parent is read to its end and recorded as such; children get leases naming their parent
      await waitFor(
        async () => {
          const leases = await table.list();
          return closed.every((id) => leases.find((l) => l.leaseKey === id)?.checkpoint === 'SHARD_END');
        },
        'parents at SHARD_END',
        30_000,
      );
      const leases = await table.list();
      const children = leases.filter((l) => l.parentShardIds.length > 0);
      expect(children).toHaveLength(4);
      for (const c of children) expect(closed).toContain(c.parentShardIds[0]);
      for (const m of members) await m.close();
      expect(col.unique()).toEqual(new Set(sent));
      expect(col.orderViolations()).toEqual([]);
      await client.admin.deleteTopic(topic);
    }, 240_000);
  });

  describe('produce faults', () => {
    it('retries a partial PutRecords failure without loss and without a later record of a key overtaking an earlier one', async () => {
      const topic = uniqueName('kin-partial');
      await client.admin.ensureTopic(topic, { partitions: 2 });
      // fail roughly a third of the records on each of the first six calls
      const faults = new FaultInjectingHandler({
        failRecords: (r, call) => call <= 6 && (r.PartitionKey.charCodeAt(r.PartitionKey.length - 1) + call) % 3 === 0,
      });
      const c = await open({ produceBackoffMs: 5 }, { kinesisRequestHandler: faults });
      const sent = await produceKeyed(c, topic, 600, 10, { batch: 200 });
      expect(faults.failedRecords).toBeGreaterThan(0);
      // exactly once and in order per key, as stored by the peer
      expectExactlyInOrder(await readStream(topic), sent);
      await client.admin.deleteTopic(topic);
    });

    it('retries throttled requests with backoff and sends everything', async () => {
      const topic = uniqueName('kin-throttle');
      await client.admin.ensureTopic(topic, { partitions: 1 });
      const faults = new FaultInjectingHandler({ throttle: (target, call) => target === 'PutRecords' && call <= 5 });
      const c = await open({ produceBackoffMs: 5 }, { kinesisRequestHandler: faults });
      const sent = await produceKeyed(c, topic, 50, 5, { batch: 50 });
      expect(faults.calls.get('PutRecords')).toBeGreaterThan(5);
      expectExactlyInOrder(await readStream(topic), sent);
      await client.admin.deleteTopic(topic);
    });

    it('gives up on records that keep failing with a retriable ThrottledError once produceTimeoutMs has passed', async () => {
      const topic = uniqueName('kin-giveup');
      await client.admin.ensureTopic(topic, { partitions: 1 });
      const faults = new FaultInjectingHandler({ failRecords: (r) => r.PartitionKey === 'stuck' });
      const c = await open({ produceBackoffMs: 5, produceTimeoutMs: 300 }, { kinesisRequestHandler: faults });
      const p = c.producer();
      await expect(
        p.send(topic, [
          { key: 'ok', value: 'a' },
          { key: 'stuck', value: 'b' },
        ]),
      ).rejects.toMatchObject({ kind: 'throttled', retriable: true });
      await p.close();
      await client.admin.deleteTopic(topic);
    });

    it('rejects an oversize record before sending anything', async () => {
      const topic = uniqueName('kin-big');
      await client.admin.ensureTopic(topic, { partitions: 1 });
      const p = client.producer();
      // value under the limit, but value + partition key over it
      const value = new Uint8Array(1024 * 1024 - 2);
      await expect(
        p.send(topic, [
          { key: 'k', value: 'first' },
          { key: 'key', value },
        ]),
      ).rejects.toMatchObject({
        kind: 'message-too-large',
        index: 1,
      });
      await p.close();
      expect(await readStream(topic)).toEqual([]);
      await client.admin.deleteTopic(topic);
    });
  });

  describe('stream state', () => {
    it('a missing stream is a NotFoundError for send, subscribe and describe', async () => {
      const topic = uniqueName('kin-missing');
      const p = client.producer();
      await expect(p.send(topic, [{ key: 'k', value: 'v' }])).rejects.toMatchObject({ kind: 'not-found' });
      await p.close();
      await expect(client.subscribe({ topic, group: 'g' }, () => {})).rejects.toMatchObject({ kind: 'not-found' });
      await expect(client.admin.describeTopic(topic)).rejects.toMatchObject({ kind: 'not-found' });
    });

    it('a stream still CREATING is waited for; one that stays CREATING is a retriable TimeoutError', async () => {
      const topic = uniqueName('kin-creating');
      await client.admin.ensureTopic(topic, { partitions: 1 });
      const creating = (body: Record<string, unknown>) => ({
        ...body,
        StreamDescriptionSummary: { ...(body.StreamDescriptionSummary as object), StreamStatus: 'CREATING' },
      });
      // PutRecords answers ResourceNotFound (as AWS does before ACTIVE) once; describe says CREATING twice
      const faults = new FaultInjectingHandler({
        error: (target, call) => (target === 'PutRecords' && call === 1 ? 'ResourceNotFoundException' : undefined),
        rewrite: (target, call, body) => (target === 'DescribeStreamSummary' && call <= 2 ? creating(body) : body),
      });
      const c = await open({}, { kinesisRequestHandler: faults });
      const p = c.producer();
      const meta = await p.send(topic, [{ key: 'k', value: 'v' }]);
      expect(meta).toHaveLength(1);
      expect(faults.calls.get('DescribeStreamSummary')).toBeGreaterThanOrEqual(3);
      await p.close();
      const stuck = new FaultInjectingHandler({
        rewrite: (target, _call, body) => (target === 'DescribeStreamSummary' ? creating(body) : body),
      });
      const s = await open({ streamWaitMs: 300 }, { kinesisRequestHandler: stuck });
      await expect(s.subscribe({ topic, group: 'g' }, () => {})).rejects.toMatchObject({ kind: 'timeout', retriable: true });
      await client.admin.deleteTopic(topic);
    });
  });

  describe('leases', () => {
    it('a missing lease table is created on demand, or is a clear NotFoundError when creation is not allowed', async () => {
      const topic = uniqueName('kin-table');
      await client.admin.ensureTopic(topic, { partitions: 1 });
      const strict = await open({ createLeaseTable: false });
      await expect(strict.subscribe({ topic, group: uniqueName('g') }, () => {})).rejects.toMatchObject({
        kind: 'not-found',
        field: 'createLeaseTable',
        message: expect.stringContaining('createLeaseTable is false'),
      });
      const group = uniqueName('g');
      const s = await client.subscribe({ topic, group }, () => {});
      await s.close();
      const s2 = await strict.subscribe({ topic, group }, () => {});
      await s2.close();
      await client.admin.deleteTopic(topic);
    });

    it('a member whose lease was taken over cannot checkpoint any more (fencing) and stops reading the shard', async () => {
      const topic = uniqueName('kin-fence');
      await client.admin.ensureTopic(topic, { partitions: 1 });
      const p = client.producer();
      await p.send(
        topic,
        Array.from({ length: 5 }, (_, i) => ({ key: 'k', value: `m${i}` })),
      );
      const group = uniqueName('g');
      const gate = deferred();
      const errors: unknown[] = [];
      const seen: ConsumedMessage[] = [];
      const c = await open({ commitIntervalMs: 0 });
      const s = await c.subscribe({ topic, group, sessionTimeoutMs: 3000, onError: (e) => errors.push(e) }, async (m) => {
        seen.push(m);
        if (utf8(m.value) === 'm2') await gate.promise;
      });
      await waitFor(() => seen.length >= 3, 'm0..m2 handed to the handler');
      try {
        const table = new LeaseTable(c.dynamodb, c.leaseTableFor(topic, group));
        const before = await waitFor(async () => {
          const [l] = await table.list();
          return l?.checkpoint === seen[1]?.position ? l : undefined;
        }, 'checkpoint after m1');
        // another worker takes the lease as if ours had expired
        const taken = await table.take(before.leaseKey, 'intruder', before.leaseCounter);
        expect(taken?.leaseOwner).toBe('intruder');
        gate.resolve();
        await waitFor(() => s.assignments().length === 0, 'the member to notice the lost lease', 30_000);
        await waitFor(() => errors.some((e) => (e as { kind?: string }).kind === 'conflict'), 'a refused checkpoint');
        const [after] = await table.list();
        expect(after?.leaseOwner).toBe('intruder');
        expect(after?.checkpoint).toBe(seen[1]?.position);
      } finally {
        gate.resolve();
        await s.close();
      }
      await p.close();
      await client.admin.deleteTopic(topic);
    });
  });
});
