/**
 * Pure logic of the Kinesis stream adapter: key -> shard hashing, partition numbering, the header envelope,
 * request packing, lease balancing and config resolution.
 */
import { ConfigError, MessageTooLargeError, parseUri, ValidationError } from '@speedlayer/core';
import { describe, expect, it } from 'vitest';
import {
  decodeEnvelope,
  eligible,
  encodeEnvelope,
  expired,
  kinesisRecordCheck,
  type Lease,
  leaseTableName,
  MAX_HASH_KEY,
  nextRequest,
  type Observations,
  observe,
  partitionKeyHash,
  planBalance,
  prepareEntries,
  resolveKinesisConfig,
  shardForKey,
  shardIndex,
} from '../src/stream/index.js';

/** Shards of a fresh stream the way Kinesis splits the hash space evenly. */
function evenShards(n: number) {
  const step = (MAX_HASH_KEY + 1n) / BigInt(n);
  return Array.from({ length: n }, (_, i) => ({
    shardId: `shardId-${String(i).padStart(12, '0')}`,
    startingHashKey: step * BigInt(i),
    endingHashKey: i === n - 1 ? MAX_HASH_KEY : step * BigInt(i + 1) - 1n,
  }));
}

describe('aws-kinesis-ecs/stream/hash', () => {
  it('hashes a partition key as the 128-bit big-endian integer of its MD5 digest', () => {
    // MD5 test vectors from RFC 1321, appendix A.5
    expect(partitionKeyHash('')).toBe(BigInt('0xd41d8cd98f00b204e9800998ecf8427e'));
    expect(partitionKeyHash('a')).toBe(BigInt('0x0cc175b9c0f1b6a831c399e269772661'));
    expect(partitionKeyHash('abc')).toBe(BigInt('0x900150983cd24fb0d6963f7d28e17f72'));
    expect(partitionKeyHash('message digest')).toBe(BigInt('0xf96b697d7cb7938d525a2f31aaf161d0'));
    // UTF-8 bytes, not UTF-16 code units
    expect(partitionKeyHash('é')).toBe(BigInt('0x66ddcd97cfdeabb2f6fb8a999b4bc76f')); // hashlib.md5('é'.encode())
  });

  it('maps a key to the shard whose inclusive hash-key range contains it', () => {
    const shards = evenShards(4);
    // the first hex digit of the digest picks one of four even shards: 0-3 -> 0, 4-7 -> 1, 8-b -> 2, c-f -> 3
    expect(shardForKey(shards, 'a')?.shardId).toBe('shardId-000000000000'); // 0cc1...
    expect(shardForKey(shards, 'abc')?.shardId).toBe('shardId-000000000002'); // 9001...
    expect(shardForKey(shards, '')?.shardId).toBe('shardId-000000000003'); // d41d...
    expect(shardForKey(shards, 'message digest')?.shardId).toBe('shardId-000000000003'); // f96b...
    // range ends are inclusive
    expect(shardForKey(shards, 'x', String(shards[1]!.endingHashKey))?.shardId).toBe('shardId-000000000001');
    expect(shardForKey(shards, 'x', String(shards[2]!.startingHashKey))?.shardId).toBe('shardId-000000000002');
    expect(shardForKey(shards, 'x', String(MAX_HASH_KEY))?.shardId).toBe('shardId-000000000003');
  });

  it('numbers partitions by the shard id number, which never changes', () => {
    expect(shardIndex('shardId-000000000000')).toBe(0);
    expect(shardIndex('shardId-000000000017')).toBe(17);
    expect(shardIndex('not-a-shard')).toBe(-1);
  });
});

describe('aws-kinesis-ecs/stream/envelope', () => {
  const bytes = (s: string) => new TextEncoder().encode(s);

  it('writes a plain record raw, byte for byte', () => {
    const v = bytes('{"plain":true}');
    expect(encodeEnvelope(v, {})).toBe(v);
    expect(decodeEnvelope(v).value).toBe(v);
  });

  it('round-trips headers, timestamp and a missing key, and documents the frame', () => {
    const v = bytes('payload');
    const framed = encodeEnvelope(v, { headers: { a: 'b', 'x-ü': '✓' }, timestamp: 1_700_000_000_000, noKey: true });
    expect([...framed.subarray(0, 4)]).toEqual([0xf5, 0x53, 0x4c, 0x01]);
    const n = Buffer.from(framed).readUInt32BE(4);
    expect(JSON.parse(Buffer.from(framed.subarray(8, 8 + n)).toString('utf8'))).toEqual({
      h: { a: 'b', 'x-ü': '✓' },
      ts: 1_700_000_000_000,
      nk: 1,
    });
    // a reader that knows nothing of speedlayer skips 8 + N bytes and has the value
    expect(Buffer.from(framed.subarray(8 + n)).toString()).toBe('payload');
    const d = decodeEnvelope(framed);
    expect(Buffer.from(d.value).toString()).toBe('payload');
    expect(d.meta).toEqual({ headers: { a: 'b', 'x-ü': '✓' }, timestamp: 1_700_000_000_000, noKey: true });
  });

  it('frames a value that itself starts with the magic so it reads back unchanged', () => {
    const v = Uint8Array.of(0xf5, 0x53, 0x4c, 0x01, 9, 9);
    const d = decodeEnvelope(encodeEnvelope(v, {}));
    expect([...d.value]).toEqual([...v]);
  });

  it('reads a broken frame as a raw value', () => {
    const v = Uint8Array.of(0xf5, 0x53, 0x4c, 0x01, 0, 0, 0, 50, 1, 2);
    expect(decodeEnvelope(v).value).toBe(v);
  });
});

describe('aws-kinesis-ecs/stream/producer', () => {
  const entry = (partitionKey: string, bytes = 10) => ({ partitionKey, bytes });

  it('puts at most one record per key in a request, keeping each key in order', () => {
    const pending = [entry('a'), entry('a'), entry('b'), entry('a'), entry('c'), entry('b')];
    const first = nextRequest(pending, 500, 1000);
    expect(first).toEqual([pending[0], pending[2], pending[4]]);
  });

  it('respects the record and byte limits of one request', () => {
    const pending = Array.from({ length: 10 }, (_, i) => entry(`k${i}`, 100));
    expect(nextRequest(pending, 3, 10_000)).toHaveLength(3);
    expect(nextRequest(pending, 500, 350)).toHaveLength(3);
    expect(nextRequest([entry('big', 5000)], 500, 100)).toHaveLength(1);
  });

  it('rejects a record whose encoded size (data + partition key) is over the limit, naming its index', () => {
    const config = resolveKinesisConfig(parseUri('kinesis://us-east-1'), { maxRecordBytes: 1000 }).config;
    const ok = { key: 'k', value: 'x'.repeat(900) };
    const big = { key: 'k', value: 'x'.repeat(990), headers: { h: 'v' } };
    expect(() => prepareEntries([ok, big], config, () => '0')).toThrow(MessageTooLargeError);
    try {
      prepareEntries([ok, big], config, () => '0');
    } catch (e) {
      expect(e).toMatchObject({ index: 1, field: 'records[1]' });
    }
  });

  it('refuses over-long keys, bad explicit hash keys, and headers in raw mode', () => {
    const envelope = resolveKinesisConfig(parseUri('kinesis://us-east-1'), {}).config;
    const raw = resolveKinesisConfig(parseUri('kinesis://us-east-1?headers=raw'), {}).config;
    expect(() => kinesisRecordCheck(envelope)({ key: 'k'.repeat(257), value: 'v' }, 0)).toThrow(ValidationError);
    expect(() =>
      kinesisRecordCheck(envelope)(
        { key: 'k', value: 'v', headers: { 'kinesis-explicit-hash-key': String(MAX_HASH_KEY + 1n) } },
        0,
      ),
    ).toThrow(ValidationError);
    expect(() => kinesisRecordCheck(raw)({ key: 'k', value: 'v', headers: { a: 'b' } }, 3)).toThrow(/records\[3\]\.headers/);
    expect(() => kinesisRecordCheck(raw)({ key: 'k', value: 'v' }, 0)).not.toThrow();
  });

  it('uses the explicit hash key header and the partition field, and never writes the header', () => {
    const config = resolveKinesisConfig(parseUri('kinesis://us-east-1'), {}).config;
    const [a, b] = prepareEntries(
      [
        { key: 'k', value: 'v', headers: { 'kinesis-explicit-hash-key': '42' } },
        { key: 'k', value: 'v', partition: 3 },
      ],
      config,
      (p) => `start-of-${p}`,
    );
    expect(a?.explicitHashKey).toBe('42');
    expect(a?.data).toEqual(new TextEncoder().encode('v'));
    expect(b?.explicitHashKey).toBe('start-of-3');
  });
});

function lease(key: string, owner: string | undefined, counter = 1, extra: Partial<Lease> = {}): Lease {
  return {
    leaseKey: key,
    leaseOwner: owner,
    leaseCounter: counter,
    checkpoint: 'TRIM_HORIZON',
    checkpointSubSequenceNumber: 0,
    ownerSwitchesSinceCheckpoint: 0,
    parentShardIds: [],
    checkpointOwner: undefined,
    timestamp: undefined,
    ...extra,
  };
}

describe('aws-kinesis-ecs/stream/balance', () => {
  const known = new Set(['s0', 's1', 's2', 's3']);

  it('takes every unowned lease when alone', () => {
    const leases = ['s0', 's1', 's2', 's3'].map((k) => lease(k, undefined));
    const plan = planBalance(leases, 'me', observe(new Map(), leases, 0), 0, 1000, known);
    expect(plan.take.map((l) => l.leaseKey)).toEqual(['s0', 's1', 's2', 's3']);
  });

  it('steals one lease per round from the most loaded live member, and stops at a fair share', () => {
    const leases = ['s0', 's1', 's2', 's3'].map((k) => lease(k, 'other'));
    const seen = observe(new Map(), leases, 0);
    const plan = planBalance(leases, 'me', seen, 10, 1000, known);
    expect(plan.take).toEqual([]);
    expect(plan.steal?.victim).toBe('other');
    expect(plan.target).toBe(2);
    const after = [lease('s0', 'other'), lease('s1', 'other'), lease('s2', 'me'), lease('s3', 'me')];
    expect(planBalance(after, 'me', observe(new Map(), after, 0), 10, 1000, known).steal).toBeUndefined();
    // 3 members, 4 leases: 2/1/1 is fair, nobody steals
    const three = [lease('s0', 'a'), lease('s1', 'a'), lease('s2', 'b'), lease('s3', 'me')];
    const p3 = planBalance(three, 'me', observe(new Map(), three, 0), 10, 1000, known);
    expect(p3.members).toBe(3);
    expect(p3.steal).toBeUndefined();
  });

  it('treats a lease whose counter has not moved for the failover time as expired', () => {
    const seen: Observations = new Map();
    const leases = [lease('s0', 'dead', 7), lease('s1', 'alive', 3)];
    observe(seen, leases, 0);
    observe(seen, [lease('s0', 'dead', 7), lease('s1', 'alive', 4)], 900);
    expect(expired(leases[0]!, seen, 1500, 1000)).toBe(true);
    expect(expired(leases[1]!, seen, 1500, 1000)).toBe(false);
    const plan = planBalance([lease('s0', 'dead', 7), lease('s1', 'alive', 4)], 'me', seen, 1500, 1000, new Set(['s0', 's1']));
    expect(plan.take.map((l) => l.leaseKey)).toEqual(['s0']);
  });

  it('starts a child only after every parent reached SHARD_END', () => {
    const parent = lease('s0', 'x', 1, { checkpoint: '123' });
    const child = lease('s4', undefined, 0, { parentShardIds: ['s0'] });
    const merged = lease('s5', undefined, 0, { parentShardIds: ['s1', 's2'] });
    const byKey = new Map([parent, child, merged].map((l) => [l.leaseKey, l]));
    expect(eligible(child, byKey, known)).toBe(false);
    byKey.set('s0', { ...parent, checkpoint: 'SHARD_END' });
    expect(eligible(child, byKey, known)).toBe(true);
    // s1 and s2 exist on the stream but have no lease yet: wait
    expect(eligible(merged, byKey, known)).toBe(false);
    // parents aged out of the stream and without leases: nothing left to read
    expect(eligible(merged, byKey, new Set())).toBe(true);
    expect(eligible({ ...parent, checkpoint: 'SHARD_END' }, byKey, known)).toBe(false);
  });
});

describe('aws-kinesis-ecs/stream/config', () => {
  it('reads the region, the endpoint and the header mode from the URI', () => {
    const r = resolveKinesisConfig(parseUri('kinesis://eu-west-1?endpoint=http%3A%2F%2F127.0.0.1%3A5000&headers=raw'));
    expect(r.region).toBe('eu-west-1');
    expect(r.config.endpoint).toBe('http://127.0.0.1:5000');
    expect(r.config.headers).toBe('raw');
    expect(r.config.maxRecordBytes).toBe(1024 * 1024);
    expect(r.config.maxRequestRecords).toBe(500);
  });

  it('names the field at fault', () => {
    expect(() => resolveKinesisConfig(parseUri('kinesis://nowhere'))).toThrow(ConfigError);
    expect(() => resolveKinesisConfig(parseUri('kinesis://us-east-1?bogus=1'))).toThrow(/unknown parameter "bogus"/);
    expect(() => resolveKinesisConfig(parseUri('kinesis://us-east-1'), { maxRequestRecords: 501 })).toThrow(
      expect.objectContaining({ field: 'maxRequestRecords' }),
    );
  });

  it('names lease tables per stream and group within DynamoDB rules', () => {
    expect(leaseTableName('speedlayer-', 'orders', 'billing')).toBe('speedlayer-orders.billing');
    expect(leaseTableName('', 'o', 'g/1 x')).toBe('o.g_1_x');
    const long = leaseTableName('speedlayer-', 'o'.repeat(128), 'g'.repeat(300));
    expect(long.length).toBeLessThanOrEqual(255);
    expect(long).not.toBe(leaseTableName('speedlayer-', 'o'.repeat(128), `${'g'.repeat(299)}h`));
  });
});
