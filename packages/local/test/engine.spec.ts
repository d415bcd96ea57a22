import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type ConsumedMessage, connect, isSpeedlayerError, parseUri, type StreamClient, utf8 } from '@speedlayer/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createLocalStreamClient,
  DeadLetterError,
  dataDirFor,
  type LocalLog,
  type LocalStreamClient,
  streamFactory,
} from '../src/index.js';
import { driver, fill, tempDir, unique, waitUntil } from './support.js';

const open: Array<{ close(): Promise<void> }> = [];
async function local(config: Record<string, unknown> = {}, name = unique('eng')): Promise<LocalStreamClient> {
  const c = await driver(`memory://${name}`, config);
  open.push(c);
  return c;
}
async function portable(uri: string, config: Record<string, unknown> = {}): Promise<StreamClient> {
  const c = await connect(uri, { config });
  open.push(c);
  return c;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

function errorOf(fn: () => unknown): Promise<unknown> {
  return Promise.resolve()
    .then(fn)
    .then(
      () => undefined,
      (e: unknown) => e,
    );
}

describe('local/admin/deleteTopic', () => {
  it('removes the group state, so a topic created again is read from its start by an old group', async () => {
    const client = await local();
    const topic = unique('t');
    await client.admin.ensureTopic(topic, { partitions: 2 });
    await fill(client, topic, 100);
    const first: ConsumedMessage[] = [];
    const sub1 = await client.subscribe({ topic, group: 'old' }, (m) => {
      first.push(m);
    });
    await waitUntil(() => first.length === 100, 'the first generation');
    await sub1.close();
    await client.admin.deleteTopic(topic);
    expect(client.log.checkpoint('old', topic, 0)).toBeUndefined();
    await client.admin.ensureTopic(topic, { partitions: 2 });
    await fill(client, topic, 10);
    const second: ConsumedMessage[] = [];
    const sub2 = await client.subscribe({ topic, group: 'old' }, (m) => {
      second.push(m);
    });
    await waitUntil(() => second.length === 10, 'the new messages (the old checkpoints skipped them)', 5000);
    await sub2.close();
  });

  it('keeps the state of other topics of the same group', async () => {
    const client = await local();
    const [a, b] = [unique('a'), unique('b')];
    for (const t of [a, b]) await client.admin.ensureTopic(t, { partitions: 1 });
    await client.log.initCheckpoint('g', a, 0, 5);
    await client.log.initCheckpoint('g', b, 0, 7);
    await client.admin.deleteTopic(a);
    expect(client.log.checkpoint('g', a, 0)).toBeUndefined();
    expect(client.log.checkpoint('g', b, 0)).toBe(7);
  });
});

describe('local/retention', () => {
  it('drops messages past the topic retention in the background', async () => {
    const client = await local({ retentionCheckMs: 20 });
    const topic = unique('t');
    await client.admin.ensureTopic(topic, { partitions: 1, retentionHours: 1 });
    const producer = client.producer();
    const old = Date.now() - 2 * 3_600_000;
    await producer.send(topic, [
      { value: 'old-1', timestamp: old },
      { value: 'old-2', timestamp: old },
      { value: 'new', timestamp: Date.now() },
    ]);
    await waitUntil(() => client.log.lowWatermark(topic, 0) === 2, 'the background sweep', 5000);
    expect(client.log.read(topic, 0, 0, 10).map((r) => utf8(r.msg.v))).toEqual(['new']);
  });

  it('keeps at most retentionBytes per partition, dropping the oldest', async () => {
    const client = await local({ retentionCheckMs: 20, retentionBytes: 10_000 });
    const topic = unique('t');
    await client.admin.ensureTopic(topic, { partitions: 1 });
    await fill(client, topic, 100, 1000, 1); // ~100 KB
    await waitUntil(() => client.log.partitionBytes(topic, 0) <= 10_000, 'the byte bound', 5000);
    const lo = client.log.lowWatermark(topic, 0);
    expect(lo).toBeGreaterThan(85);
    expect(client.log.highWatermark(topic, 0)).toBe(100);
    const info = await client.admin.describeTopic(topic);
    expect(info.details?.bytes).toBeLessThanOrEqual(10_000);
  });

  it('trims in bounded steps (one step removes at most its budget)', async () => {
    const client = await local({ retentionCheckMs: 0 });
    const topic = unique('t');
    await client.admin.ensureTopic(topic, { partitions: 1, retentionHours: 1 });
    await fill(client, topic, 3000);
    const later = Date.now() + 2 * 3_600_000;
    expect(await client.log.trim(topic, { now: later, budget: 1000 })).toBe(1000);
    expect(await client.enforceRetention(later)).toBe(2000);
    expect(client.log.lowWatermark(topic, 0)).toBe(3000);
  });
});

describe('local/consume/dead-letter', () => {
  async function failing(policy: 'park' | 'stop') {
    // a record near the size limit: its dead letter (same value plus error headers) is too large to publish
    const client = await local({ maxMessageBytes: 2048, deadLetterFailure: policy, deadLetterAttempts: 2 });
    const topic = unique('t');
    await client.admin.ensureTopic(topic, { partitions: 1 });
    const producer = client.producer();
    await producer.send(topic, [{ key: 'big', value: new Uint8Array(2000) }, { value: 'next' }]);
    const errors: unknown[] = [];
    const handled: string[] = [];
    const sub = await client.subscribe({ topic, group: 'g', maxAttempts: 1, onError: (e) => errors.push(e) }, (m) => {
      if (m.key === 'big') throw new Error('cannot handle');
      handled.push(utf8(m.value));
    });
    return { client, topic, sub, errors, handled };
  }

  it('park: a dead letter that cannot be published is surfaced, parked durably, and the partition moves on', async () => {
    const { client, topic, sub, errors, handled } = await failing('park');
    await waitUntil(() => handled.length === 1, 'the next message after the failed dead letter', 5000);
    const failure = errors.find((e) => e instanceof DeadLetterError) as DeadLetterError | undefined;
    expect(failure?.policy).toBe('park');
    expect(failure?.position).toBe('0');
    expect(isSpeedlayerError(failure?.cause) && failure.cause.kind).toBe('message-too-large');
    expect(sub.stats()).toMatchObject({ deadLetterFailures: 1, deadLettered: 0 });
    const parked = client.log.parked('g', topic);
    expect(parked).toHaveLength(1);
    expect(parked[0]).toMatchObject({ partition: 0, position: '0', key: 'big' });
    expect(parked[0]?.value.byteLength).toBe(2000);
    await sub.close();
  });

  it('stop: a dead letter that cannot be published stops its partition (nothing after it handled), once', async () => {
    const { sub, errors, handled } = await failing('stop');
    await waitUntil(() => errors.some((e) => e instanceof DeadLetterError), 'the failure report', 5000);
    await new Promise((r) => setTimeout(r, 300));
    expect(handled).toEqual([]);
    expect(errors.filter((e) => e instanceof DeadLetterError)).toHaveLength(1);
    expect(sub.stats()).toMatchObject({ deadLetterFailures: 1 });
    await sub.close();
  });
});

describe('local/consume/bounds', () => {
  it('prefetch is bounded by bytes, not only by count', async () => {
    const client = await local({ maxBufferedBytes: 1_000_000, fetchMaxBytes: 200_000 });
    const topic = unique('t');
    await client.admin.ensureTopic(topic, { partitions: 1 });
    await fill(client, topic, 100, 100_000, 100); // 10 MB, distinct keys
    let started = 0;
    const release: Array<() => void> = [];
    // with high concurrency every fetched message starts at once: started = messages fetched
    const sub = await client.subscribe({ topic, group: 'g', concurrency: 1000 }, () => {
      started++;
      return new Promise<void>((r) => release.push(r));
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(started).toBeGreaterThan(0);
    expect(started).toBeLessThanOrEqual(11); // 1 MB of 100 KB records, plus the first of a fetch
    for (const r of release.splice(0)) r();
    await sub.close();
  });

  it('close() of a subscription with a hung handler reports it and returns, releasing the lease', async () => {
    const client = await local();
    const topic = unique('t');
    await client.admin.ensureTopic(topic, { partitions: 1 });
    await fill(client, topic, 1);
    const errors: unknown[] = [];
    let entered = false;
    const sub = await client.subscribe({ topic, group: 'g', drainTimeoutMs: 100, onError: (e) => errors.push(e) }, () => {
      entered = true;
      return new Promise<void>(() => {}); // never settles
    });
    await waitUntil(() => entered, 'the handler to start');
    await sub.close();
    expect(errors.some((e) => isSpeedlayerError(e) && e.kind === 'timeout' && e.field === 'drainTimeoutMs')).toBe(true);
    expect(client.log.leases('g', topic).get(0)?.owner).toBe('');
    await client.close(); // does not wait for the handler either
  });
});

describe('local/produce', () => {
  it('concurrent sends share write transactions (group commit) and each gets its own position', async () => {
    const client = await driver(`local://${tempDir()}`);
    open.push(client);
    const log = client.log as LocalLog;
    const topic = unique('t');
    await client.admin.ensureTopic(topic, { partitions: 1 });
    const producer = client.producer();
    const before = (log.db.getStats() as { lastTxnId: number }).lastTxnId;
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => producer.send(topic, { value: `v${i}` })));
    const txns = (log.db.getStats() as { lastTxnId: number }).lastTxnId - before;
    expect(new Set(results.map((r) => r[0]?.position)).size).toBe(500);
    expect(txns).toBeLessThan(20);
    expect(client.log.highWatermark(topic, 0)).toBe(500);
  });

  it('a failed batch leaves nothing behind while the batches beside it in the transaction are stored', async () => {
    const client = await local();
    const topic = unique('t');
    await client.admin.ensureTopic(topic, { partitions: 2 });
    const producer = client.producer();
    const [ok, bad] = await Promise.allSettled([
      producer.send(topic, [{ value: 'a', partition: 0 }]),
      producer.send(topic, [
        { value: 'b', partition: 0 },
        { value: 'c', partition: 5 },
      ]),
    ]);
    expect(ok.status).toBe('fulfilled');
    expect(bad.status === 'rejected' && isSpeedlayerError(bad.reason) && bad.reason.kind).toBe('not-found');
    expect(client.log.read(topic, 0, 0, 10).map((r) => utf8(r.msg.v))).toEqual(['a']);
  });

  it('rejects keys and headers with lone surrogates (they would merge as U+FFFD) with a typed error', async () => {
    const client = await local();
    const topic = unique('t');
    await client.admin.ensureTopic(topic, { partitions: 4 });
    const producer = client.producer();
    const e = await errorOf(() => producer.send(topic, [{ key: 'a\uD800', value: 'x' }]));
    expect(isSpeedlayerError(e) && [e.kind, e.field]).toEqual(['validation', 'records[0].key']);
    const h = await errorOf(() => producer.send(topic, [{ value: 'x', headers: { n: 'b\uDC00' } }]));
    expect(isSpeedlayerError(h) && h.kind).toBe('validation');
    // a well-formed astral character is fine
    await producer.send(topic, [{ key: 'emoji-😀', value: 'x' }]);
  });

  it('checks records once: behind connect() the portable client does, the driver alone and dead letters check their own', async () => {
    const name = unique('once');
    const behind = await streamFactory(parseUri(`memory://${name}`), { config: { maxMessageBytes: 16 } });
    open.push(behind);
    const topic = unique('t');
    await behind.admin.ensureTopic(topic, { partitions: 1 });
    // the driver behind connect() leaves the record checks to the portable client (the driver SPI's contract)...
    await behind.producer().send(topic, [{ value: 'x'.repeat(32) }]);
    // ...but checks what it builds itself (dead letters), and a driver used directly checks everything
    const own = await errorOf(() =>
      (behind as LocalStreamClient).producer({ validate: true }).send(topic, [{ value: 'x'.repeat(32) }]),
    );
    expect(isSpeedlayerError(own) && own.kind).toBe('message-too-large');
    const direct = await local({ maxMessageBytes: 16 });
    await direct.admin.ensureTopic(topic, { partitions: 1 });
    const d = await errorOf(() => direct.producer().send(topic, [{ key: 'a\uD800', value: 'x' }]));
    expect(isSpeedlayerError(d) && [d.kind, d.field]).toEqual(['validation', 'records[0].key']);
    // through connect() the same records are refused before they reach the driver, naming the field
    const client = await portable(`memory://${name}`, { maxMessageBytes: 16 });
    const big = await errorOf(() => client.producer().send(topic, { value: 'x'.repeat(32) }));
    expect(isSpeedlayerError(big) && big.kind).toBe('message-too-large');
    const key = await errorOf(() => client.producer().send(topic, { key: 'a\uD800', value: 'x' }));
    expect(isSpeedlayerError(key) && [key.kind, key.field]).toEqual(['validation', 'records[0].key']);
    expect(direct.log.highWatermark(topic, 0)).toBe(0);
  });

  it('stores a __proto__ header as data and gives it back as an own property', async () => {
    const client = await local();
    const topic = unique('t');
    await client.admin.ensureTopic(topic, { partitions: 1 });
    const headers = JSON.parse('{"__proto__":"p","constructor":"c","a":"1"}') as Record<string, string>;
    await client.producer().send(topic, [{ value: 'x', headers }]);
    const [row] = client.log.read(topic, 0, 0, 1);
    const h = row?.msg.h as Record<string, string>;
    expect(Object.getPrototypeOf(h)).toBe(Object.prototype);
    expect(Object.keys(h).sort()).toEqual(['__proto__', 'a', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(h, '__proto__')?.value).toBe('p');
    expect(({} as Record<string, unknown>).a).toBeUndefined();
  });
});

describe('local/config', () => {
  it('honours local:// and memory:// query parameters as config', async () => {
    const client = await createLocalStreamClient(parseUri(`memory://${unique('q')}?maxMessageBytes=4096&pollIntervalMs=5`));
    open.push(client);
    expect(client.config.pollIntervalMs).toBe(5);
    expect(client.capabilities.maxMessageBytes).toBe(4096);
  });

  it('refuses a bad or unknown query parameter, naming it', async () => {
    const bad = await errorOf(() => createLocalStreamClient(parseUri('memory://q2?pollIntervalMs=abc')));
    expect(isSpeedlayerError(bad) && [bad.kind, bad.field]).toEqual(['config', 'pollIntervalMs']);
    const unknown = await errorOf(() => createLocalStreamClient(parseUri('memory://q3?nosuch=1')));
    expect(isSpeedlayerError(unknown) && unknown.kind).toBe('config');
    expect(String((unknown as Error).message)).toContain('nosuch');
  });

  it('memory:// lives in a private directory whose name another user cannot predict', async () => {
    const { dir } = dataDirFor(parseUri('memory://x'));
    const root = dirname(dir);
    expect(root).not.toBe(join(tmpdir(), `speedlayer-memory-${process.pid}`));
    expect(statSync(root).mode & 0o777).toBe(0o700);
    expect(dataDirFor(parseUri('memory://../../etc')).dir.startsWith(`${root}/`)).toBe(true);
  });

  it('a new local:// data directory is private to its user (0700)', async () => {
    const dir = join(tempDir(), 'fresh', 'data');
    const client = await driver(`local://${dir}`);
    open.push(client);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('does not claim idempotent produce', async () => {
    const client = await local();
    expect(client.capabilities.idempotentProduce).toBe(false);
  });

  it('subscribe options: NaN, negative and unknown keys are refused naming the field (through connect)', async () => {
    const client = await portable(`memory://${unique('opts')}`);
    const topic = unique('t');
    await client.admin.ensureTopic(topic);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ sessionTimeoutMs: Number.NaN }, 'sessionTimeoutMs'],
      [{ maxAttempts: -1 }, 'maxAttempts'],
      [{ maxBufferedPerPartition: 0 }, 'maxBufferedPerPartition'],
      [{ bogus: true }, 'bogus'],
    ];
    for (const [extra, field] of cases) {
      const e = await errorOf(() => client.subscribe({ topic, group: 'g', ...extra } as never, () => {}));
      expect(isSpeedlayerError(e) && e.kind, field).toBe('validation');
      expect(String((e as Error).message), field).toContain(field);
    }
  });

  it('a long or malformed group name gives a clear ValidationError, not a raw LMDB error', async () => {
    const client = await local();
    const topic = unique('t');
    await client.admin.ensureTopic(topic);
    const long = await errorOf(() => client.subscribe({ topic, group: 'g'.repeat(5000) }, () => {}));
    expect(isSpeedlayerError(long) && [long.kind, long.field]).toEqual(['validation', 'group']);
    const lone = await errorOf(() => client.subscribe({ topic, group: 'g\uD800' }, () => {}));
    expect(isSpeedlayerError(lone) && [lone.kind, lone.field]).toEqual(['validation', 'group']);
  });
});
