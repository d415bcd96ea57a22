import {
  connect,
  dedupe,
  handlerTimeout,
  isSpeedlayerError,
  type Middleware,
  type PortableProducer,
  PortableStreamClient,
  type ProducerRecord,
  type RecordMetadata,
  retrySends,
  TimeoutError,
  TopicBatcher,
  ValidationError,
} from '@speedlayer/core';
import { describe, expect, it } from 'vitest';
import { batcherOptions } from './batcher-options.js';

const opts = batcherOptions;

/** A recording batch sender: each batch waits until released (or resolves at once). */
function sender(auto = true) {
  const batches: ProducerRecord[][] = [];
  const release: Array<() => void> = [];
  let offset = 0;
  const send = async (records: ProducerRecord[]): Promise<RecordMetadata[]> => {
    batches.push(records);
    if (!auto) await new Promise<void>((r) => release.push(r));
    if (records.some((r) => r.value === 'bad')) throw new ValidationError('bad value', { field: 'value' });
    return records.map(() => ({ partition: 0, position: String(offset++) }));
  };
  return { batches, release, send };
}

describe('core/batcher: TopicBatcher', () => {
  it('coalesces calls made in one event-loop turn into one batch and settles each with its own metadata', async () => {
    const s = sender();
    const b = new TopicBatcher(s.send, opts());
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => b.add([{ key: `k${i}`, value: `v${i}` }])));
    expect(s.batches).toHaveLength(1);
    expect(s.batches[0]).toHaveLength(100);
    expect(results.map((r) => r[0]?.position)).toEqual(Array.from({ length: 100 }, (_, i) => String(i)));
  });

  it('caps batches at maxBatchRecords and keeps a call whole', async () => {
    const s = sender();
    const b = new TopicBatcher(s.send, opts({ maxBatchRecords: 10 }));
    await Promise.all([
      ...Array.from({ length: 25 }, (_, i) => b.add([{ value: `v${i}` }])),
      b.add(Array.from({ length: 15 }, (_, i) => ({ value: `w${i}` }))),
    ]);
    expect(s.batches.map((x) => x.length)).toEqual([10, 10, 5, 15]);
  });

  it('keeps per-key order: a key in flight waits for its batch, other keys go ahead', async () => {
    const s = sender(false);
    const b = new TopicBatcher(s.send, opts({ maxInFlight: 4 }));
    const first = b.add([{ key: 'a', value: 'a1' }]);
    await new Promise((r) => setImmediate(r));
    const second = b.add([{ key: 'a', value: 'a2' }]);
    const other = b.add([{ key: 'b', value: 'b1' }]);
    await new Promise((r) => setImmediate(r));
    // b went out beside the first batch; a2 waits for a1
    expect(s.batches.map((x) => x.map((r) => r.value))).toEqual([['a1'], ['b1']]);
    s.release.shift()?.();
    await first;
    await new Promise((r) => setImmediate(r));
    expect(s.batches.map((x) => x.map((r) => r.value))).toEqual([['a1'], ['b1'], ['a2']]);
    for (const r of s.release.splice(0)) r();
    await Promise.all([second, other]);
  });

  it('fails only the call with the bad record when a batch is refused as non-retriable', async () => {
    const s = sender();
    const b = new TopicBatcher(s.send, opts());
    const calls = ['ok1', 'bad', 'ok2'].map((v) => b.add([{ value: v }]));
    const settled = await Promise.allSettled(calls);
    expect(settled.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason).toBeInstanceOf(ValidationError);
    expect(b.stats.splits).toBe(1);
  });

  it('an aborted call that is still waiting rejects with CancelledError and is never sent', async () => {
    const s = sender(false);
    const b = new TopicBatcher(s.send, opts({ maxInFlight: 1 }));
    const first = b.add([{ value: 'x' }]);
    await new Promise((r) => setImmediate(r));
    const ac = new AbortController();
    const second = b.add([{ value: 'y' }], ac.signal);
    ac.abort();
    await expect(second).rejects.toMatchObject({ kind: 'cancelled', retriable: false });
    s.release.shift()?.();
    await first;
    await b.idle();
    expect(s.batches.flat().map((r) => r.value)).toEqual(['x']);
  });

  it('lingerMs holds a lone call until the linger passes', async () => {
    const s = sender();
    const b = new TopicBatcher(s.send, opts({ lingerMs: 30 }));
    const t0 = Date.now();
    const p = b.add([{ value: 'x' }]);
    await new Promise((r) => setTimeout(r, 5));
    expect(s.batches).toHaveLength(0);
    await p;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
  });
});

describe('core/portable: the client connect() returns', () => {
  it('coalesces concurrent one-record sends on memory:// into few driver batches, each caller with its own result', async () => {
    const c = await connect(`memory://portable-${Date.now()}`);
    await c.admin.ensureTopic('t', { partitions: 4 });
    const p = c.producer() as PortableProducer;
    const results = await Promise.all(Array.from({ length: 2000 }, (_, i) => p.send('t', { key: `k${i % 50}`, value: `v${i}` })));
    expect(results.every((r) => r.length === 1)).toBe(true);
    const stats = p.batchStats().t;
    expect(stats?.records).toBe(2000);
    expect(stats?.batches).toBeLessThanOrEqual(10);
    await c.close();
  });

  it('a bad record in a coalesced batch fails only its own send, naming the field', async () => {
    const c = await connect(`memory://portable-bad-${Date.now()}`);
    await c.admin.ensureTopic('t', { partitions: 1 });
    const p = c.producer();
    const big = new Uint8Array(c.capabilities.maxMessageBytes + 1);
    const settled = await Promise.allSettled([
      p.send('t', { key: 'a', value: '1' }),
      p.send('t', { key: 'a', value: big }),
      p.send('t', { key: 'a', value: '2' }),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason).toMatchObject({ kind: 'message-too-large', field: 'records[0]' });
    await c.close();
  });

  it('validates producer and subscribe options, naming the field', async () => {
    const c = await connect(`memory://portable-opts-${Date.now()}`);
    await c.admin.ensureTopic('t', { partitions: 1 });
    expect(() => c.producer({ lingerMs: -1 })).toThrow(
      expect.objectContaining({ kind: 'validation', field: 'producer options.lingerMs' }),
    );
    expect(() => c.producer({ nope: 1 } as never)).toThrow(
      expect.objectContaining({ kind: 'validation', field: 'producer options.nope' }),
    );
    await expect(c.subscribe({ topic: 't', group: 'g', maxAttempts: Number.NaN }, () => {})).rejects.toMatchObject({
      kind: 'validation',
      field: 'options.maxAttempts',
    });
    await expect(c.subscribe({ topic: 't', group: 'g', bogus: true } as never, () => {})).rejects.toMatchObject({
      kind: 'validation',
      field: 'options.bogus',
    });
    await expect(c.subscribe({ topic: 't', group: '' }, () => {})).rejects.toMatchObject({ field: 'options.group' });
    await c.close();
  });

  it('concurrent close() callers all wait for the same drain; use after close is ClosedError', async () => {
    const c = await connect(`memory://portable-close-${Date.now()}`);
    await c.admin.ensureTopic('t', { partitions: 2 });
    const p = c.producer();
    const sends = Array.from({ length: 500 }, (_, i) => p.send('t', { key: `k${i}`, value: 'v' }));
    const [a, b] = [p.close(), p.close()];
    let settledSends = 0;
    for (const s of sends) void s.then(() => settledSends++);
    await b;
    expect(settledSends).toBe(500);
    await a;
    await expect(p.send('t', { value: 'x' })).rejects.toMatchObject({ kind: 'closed' });
    await Promise.all([c.close(), c.close()]);
    expect(() => c.producer()).toThrow(expect.objectContaining({ kind: 'closed' }));
  });

  it('a non-retriable handler error is attempted once and dead-lettered; a retriable one is retried', async () => {
    const c = await connect(`memory://portable-dlq-${Date.now()}`);
    await c.admin.ensureTopic('t', { partitions: 1 });
    const attempts = new Map<string, number>();
    const sub = await c.subscribe({ topic: 't', group: 'g', maxAttempts: 4, retryBackoff: { initialMs: 1, maxMs: 2 } }, (m) => {
      const v = new TextDecoder().decode(m.value);
      attempts.set(v, (attempts.get(v) ?? 0) + 1);
      if (v === 'permanent') throw new ValidationError('cannot parse', { field: 'value' });
      if (v === 'transient') throw new Error('flaky');
    });
    await c.producer().send('t', [{ value: 'permanent' }, { value: 'transient' }, { value: 'ok' }]);
    const deadline = Date.now() + 10_000;
    while ((attempts.get('ok') ?? 0) < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(attempts.get('permanent')).toBe(1);
    expect(attempts.get('transient')).toBe(4);
    expect(attempts.get('ok')).toBe(1);
    expect(sub.stats().deadLettered).toBe(2);
    await c.close();
  });

  it('close() is bounded by drainTimeoutMs and names the stuck handler; handlers get an aborted signal', async () => {
    const c = await connect(`memory://portable-stuck-${Date.now()}`);
    await c.admin.ensureTopic('t', { partitions: 1 });
    const errors: unknown[] = [];
    let sawAbort = false;
    let started = false;
    const sub = await c.subscribe({ topic: 't', group: 'g', drainTimeoutMs: 200, onError: (e) => errors.push(e) }, (_m, ctx) => {
      started = true;
      ctx.signal.addEventListener('abort', () => {
        sawAbort = true;
      });
      return new Promise<void>(() => {}); // hangs forever
    });
    await c.producer().send('t', { key: 'k', value: 'stuck' });
    while (!started) await new Promise((r) => setTimeout(r, 5));
    const t0 = Date.now();
    await sub.close();
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(sawAbort).toBe(true);
    expect(errors[0]).toBeInstanceOf(TimeoutError);
    expect(String((errors[0] as Error).message)).toMatch(/t\/0@0/);
  });

  it('as() returns the native client, and middleware wraps send and handle in order', async () => {
    const order: string[] = [];
    const tag = (name: string): Middleware => ({
      name,
      send: async (call, next) => {
        order.push(`send:${name}`);
        return next({ ...call, records: call.records.map((r) => ({ ...r, headers: { ...r.headers, [name]: '1' } })) });
      },
      handle: async (m, ctx, next) => {
        order.push(`handle:${name}`);
        await next(m, ctx);
      },
    });
    const c = await connect(`memory://portable-mw-${Date.now()}`, { middleware: [tag('outer'), tag('inner')] });
    expect(c.as()).toBeDefined();
    await c.admin.ensureTopic('t', { partitions: 1 });
    const got: Record<string, string>[] = [];
    const sub = await c.subscribe({ topic: 't', group: 'g' }, (m) => {
      got.push(m.headers);
    });
    await c.producer().send('t', { value: 'x' });
    const deadline = Date.now() + 5_000;
    while (got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await sub.close();
    expect(got[0]).toMatchObject({ outer: '1', inner: '1' });
    expect(order).toEqual(['send:outer', 'send:inner', 'handle:outer', 'handle:inner']);
    await c.close();
  });

  it('handlerTimeout fails a slow attempt with TimeoutError; dedupe skips a handled id; retrySends retries retriable errors', async () => {
    const c = await connect(`memory://portable-builtins-${Date.now()}`, {
      middleware: [dedupe({ header: 'id' }), handlerTimeout(50)],
    });
    await c.admin.ensureTopic('t', { partitions: 1 });
    const seen: string[] = [];
    let slowOnce = true;
    const sub = await c.subscribe({ topic: 't', group: 'g', retryBackoff: { initialMs: 1, maxMs: 1 } }, async (m) => {
      const v = new TextDecoder().decode(m.value);
      if (v === 'slow' && slowOnce) {
        slowOnce = false;
        await new Promise((r) => setTimeout(r, 500));
      }
      seen.push(v);
    });
    const p = c.producer();
    await p.send('t', [
      { value: 'slow' },
      { value: 'a', headers: { id: '1' } },
      { value: 'a-again', headers: { id: '1' } },
      { value: 'end' },
    ]);
    const deadline = Date.now() + 5_000;
    while (!seen.includes('end') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await sub.close();
    expect(seen).toEqual(['slow', 'a', 'end']);
    expect(sub.stats().failures).toBe(1);

    let calls = 0;
    const flaky: Middleware = {
      name: 'flaky',
      send: async (call, next) => {
        calls++;
        if (calls < 3) throw new TimeoutError('try again');
        return next(call);
      },
    };
    const c2 = await connect(`memory://portable-retry-${Date.now()}`, {
      middleware: [retrySends({ attempts: 5, initialMs: 1, jitter: false }), flaky],
    });
    await c2.admin.ensureTopic('t', { partitions: 1 });
    const r = await c2.producer().send('t', { value: 'x' });
    expect(r).toHaveLength(1);
    expect(calls).toBe(3);
    expect(isSpeedlayerError(new TimeoutError('x'))).toBe(true);
    await Promise.all([c.close(), c2.close()]);
  });

  it('refuses more partitions than the target allows before any request, naming the field', async () => {
    const c = await connect(`memory://portable-maxparts-${Date.now()}`);
    const inner = (c as PortableStreamClient).driverInstance;
    const capped = new PortableStreamClient(
      Object.assign(Object.create(inner) as typeof inner, { capabilities: { ...inner.capabilities, maxPartitions: 8 } }),
    );
    expect(capped.limits.maxPartitions).toBe(8);
    const err = await capped.admin.ensureTopic('too-many', { partitions: 9 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err).toMatchObject({ field: 'partitions', retriable: false });
    expect(String((err as Error).message)).toMatch(/at most 8 partitions.*got 9/);
    expect((await c.admin.listTopics()).includes('too-many')).toBe(false); // nothing was created
    await capped.admin.ensureTopic('eight', { partitions: 8 });
    await expect(capped.admin.growPartitions('eight', 9)).rejects.toMatchObject({ field: 'partitions' });
    expect((await c.admin.describeTopic('eight')).partitions).toBe(8);
    await c.close();
  });
});
