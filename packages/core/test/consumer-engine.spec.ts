import { describe, expect, it } from 'vitest';
import {
  ConnectionError,
  type ConsumedMessage,
  DeadLetterError,
  DeadLetterHeaders,
  DeadLetterSink,
  deadLetterHeaders,
  MessageTooLargeError,
  newStats,
  PartitionProcessor,
  type Producer,
  type ProducerRecord,
} from '../src/index.js';

function msg(i: number, key: string | null = `k${i}`): ConsumedMessage {
  return {
    topic: 't',
    partition: 0,
    position: String(i),
    key,
    value: new TextEncoder().encode(`m${i}`),
    headers: {},
    timestamp: 0,
    deliveryAttempt: 1,
  };
}

function processor(
  handler: (m: ConsumedMessage) => Promise<void> | void,
  extra: Partial<ConstructorParameters<typeof PartitionProcessor>[0]> = {},
) {
  const commits: string[] = [];
  const dead: string[] = [];
  const p = new PartitionProcessor({
    topic: 't',
    group: 'g',
    partition: 0,
    handler,
    backoff: { initialMs: 1, maxMs: 2 },
    commitIntervalMs: 0,
    stats: newStats(),
    deadLetter: async (m) => {
      dead.push(m.position);
    },
    commit: async (m) => {
      commits.push(m.position);
    },
    ...extra,
  });
  return { p, commits, dead };
}

describe('core/consumer-engine', () => {
  it('handles a partition serially in position order by default', async () => {
    const seen: string[] = [];
    const { p, commits } = processor(async (m) => {
      await new Promise((r) => setTimeout(r, 3 - Number(m.position)));
      seen.push(m.position);
    });
    p.enqueue([msg(0), msg(1), msg(2)]);
    await p.idle();
    expect(seen).toEqual(['0', '1', '2']);
    expect(commits.at(-1)).toBe('2');
  });

  it('never commits past an unfinished message even when later ones finish first', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { p, commits } = processor(
      async (m) => {
        if (m.position === '1') await gate;
      },
      { concurrency: 4 },
    );
    p.enqueue([msg(0), msg(1), msg(2), msg(3)]);
    await new Promise((r) => setTimeout(r, 20));
    expect(commits).toEqual(['0']);
    release();
    await p.idle();
    expect(commits.at(-1)).toBe('3');
  });

  it('keeps per-key order under concurrency', async () => {
    const order: string[] = [];
    const { p } = processor(
      async (m) => {
        await new Promise((r) => setTimeout(r, m.position === '0' ? 15 : 1));
        order.push(m.position);
      },
      { concurrency: 8 },
    );
    p.enqueue([msg(0, 'same'), msg(1, 'other'), msg(2, 'same')]);
    await p.idle();
    expect(order.indexOf('0')).toBeLessThan(order.indexOf('2'));
    expect(order.indexOf('1')).toBeLessThan(order.indexOf('0'));
  });

  it('retries with increasing delivery attempts, then dead-letters and moves on', async () => {
    const attempts: number[] = [];
    const { p, dead, commits } = processor(
      (m) => {
        if (m.position === '0') {
          attempts.push(m.deliveryAttempt);
          throw new Error('poison');
        }
      },
      { maxAttempts: 3 },
    );
    p.enqueue([msg(0), msg(1)]);
    await p.idle();
    expect(attempts).toEqual([1, 2, 3]);
    expect(dead).toEqual(['0']);
    expect(commits.at(-1)).toBe('1');
  });

  it('retries a failing dead-letter publish instead of skipping the message', async () => {
    let fails = 2;
    const dead: string[] = [];
    const { p, commits } = processor(
      () => {
        throw new Error('always');
      },
      {
        maxAttempts: 1,
        deadLetter: async (m) => {
          if (fails-- > 0) throw new Error('dlq down');
          dead.push(m.position);
        },
      },
    );
    p.enqueue([msg(0)]);
    await p.idle();
    expect(dead).toEqual(['0']);
    expect(commits).toEqual(['0']);
  });

  it('stops the partition after bounded dead-letter attempts: typed error reported, counted, nothing skipped', async () => {
    let tries = 0;
    const errors: unknown[] = [];
    const handled: string[] = [];
    const stats = newStats();
    const { p, commits } = processor(
      (m) => {
        if (m.position === '1') throw new Error('always');
        handled.push(m.position);
      },
      {
        maxAttempts: 1,
        deadLetterAttempts: 3,
        stats,
        onError: (e) => errors.push(e),
        deadLetter: async () => {
          tries++;
          throw new ConnectionError('dlq down', { retriable: true });
        },
      },
    );
    p.enqueue([msg(0), msg(1), msg(2)]);
    const deadline = Date.now() + 5000;
    while (stats.deadLetterFailures === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    expect(tries).toBe(3);
    expect(stats.deadLetterFailures).toBe(1);
    expect(handled).toEqual(['0']); // message 2 waits behind the stopped one
    expect(commits).toEqual(['0']);
    const failure = errors.at(-1);
    expect(failure).toBeInstanceOf(DeadLetterError);
    expect(failure).toMatchObject({ policy: 'stop', partition: 0, position: '1', retriable: false });
    expect(String((failure as Error).message)).toMatch(/t\/0@1 .*partition is stopped/);
    await p.stop(); // close is not wedged by the stopped partition
    expect(commits).toEqual(['0']);
  });

  it('does not retry a dead letter that failed for a non-retriable reason', async () => {
    let tries = 0;
    const errors: unknown[] = [];
    const stats = newStats();
    const { p } = processor(
      () => {
        throw new Error('always');
      },
      {
        maxAttempts: 1,
        stats,
        onError: (e) => errors.push(e),
        deadLetter: async () => {
          tries++;
          throw new MessageTooLargeError(0, 2_000_000, 1_000_000);
        },
      },
    );
    p.enqueue([msg(0)]);
    const deadline = Date.now() + 5000;
    while (stats.deadLetterFailures === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(tries).toBe(1);
    expect(errors).toHaveLength(1);
    expect((errors[0] as DeadLetterError).cause).toBeInstanceOf(MessageTooLargeError);
    await p.stop();
  });

  it('stop leaves a message that is waiting for a retry uncommitted', async () => {
    const { p, commits, dead } = processor(
      (m) => {
        if (m.position === '1') throw new Error('fails');
      },
      { maxAttempts: 5, backoff: { initialMs: 10_000, maxMs: 10_000 } },
    );
    p.enqueue([msg(0), msg(1), msg(2)]);
    await new Promise((r) => setTimeout(r, 20));
    await p.stop();
    expect(commits).toEqual(['0']);
    expect(dead).toEqual([]);
    expect(p.isStopped).toBe(true);
  });

  it('applies backpressure through waitForSpace', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { p } = processor(async () => gate);
    p.enqueue([msg(0), msg(1), msg(2)]);
    let resolved = false;
    const waiting = p.waitForSpace(2).then(() => (resolved = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(resolved).toBe(false);
    release();
    await waiting;
    expect(p.buffered).toBeLessThan(2);
  });

  it('dead-letter headers carry the error and the source position', () => {
    const h = deadLetterHeaders({ ...msg(7), headers: { trace: 'x' } }, new Error('nope'), 5, 'billing');
    expect(h[DeadLetterHeaders.error]).toBe('nope');
    expect(h[DeadLetterHeaders.sourcePosition]).toBe('7');
    expect(h[DeadLetterHeaders.attempts]).toBe('5');
    expect(h[DeadLetterHeaders.group]).toBe('billing');
    expect(h.trace).toBe('x');
  });

  describe('coalesced checkpoints', () => {
    it('writes at most one checkpoint per interval and never past a message that is still running', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const { p, commits } = processor(
        async (m) => {
          if (m.position === '3') await gate;
        },
        { concurrency: 4, commitIntervalMs: 30 },
      );
      p.enqueue(Array.from({ length: 40 }, (_, i) => msg(i)));
      await new Promise((r) => setTimeout(r, 100));
      // 0..2 are the contiguous prefix; 4..39 finished too but sit behind the gap at 3
      expect(commits.length).toBeGreaterThan(0);
      expect(commits.every((c) => Number(c) <= 2)).toBe(true);
      expect(commits.at(-1)).toBe('2');
      release();
      await p.drained();
      await new Promise((r) => setTimeout(r, 100));
      expect(commits.at(-1)).toBe('39');
      // coalesced: far fewer writes than messages
      expect(commits.length).toBeLessThan(10);
    });

    it('drained() does not wait for the checkpoint; the interval writes it, stop() flushes it', async () => {
      const { p, commits } = processor(() => {}, { commitIntervalMs: 60_000 });
      p.enqueue([msg(0)]);
      await p.drained();
      expect(commits).toEqual(['0']); // first write goes out at once after a quiet period
      p.enqueue([msg(1), msg(2)]);
      await p.drained();
      expect(p.buffered).toBe(0);
      expect(commits).toEqual(['0']); // the next one waits for the interval
      await p.stop();
      expect(commits).toEqual(['0', '2']);
    });

    it('retries a failed checkpoint on the interval without new messages', async () => {
      let failures = 1;
      const commits: string[] = [];
      const errors: unknown[] = [];
      const { p } = processor(() => {}, {
        commitIntervalMs: 20,
        commit: async (m) => {
          if (failures-- > 0) throw new Error('coordinator moved');
          commits.push(m.position);
        },
        onError: (e) => errors.push(e),
      });
      p.enqueue([msg(0), msg(1)]);
      await p.drained();
      await new Promise((r) => setTimeout(r, 80));
      expect(errors).toHaveLength(1);
      expect(commits).toEqual(['1']);
      await p.stop();
    });

    it('hands the commit callback the enqueued message object', async () => {
      const enqueued = [msg(0), msg(1)];
      const seen: ConsumedMessage[] = [];
      const { p } = processor(
        (m) => {
          // what a handler does to its message cannot move the checkpoint
          (m as { position: string }).position = '999';
        },
        { commit: async (m) => void seen.push(m) },
      );
      p.enqueue(enqueued);
      await p.idle();
      expect(seen.at(-1)).toBe(enqueued[1]);
      expect(seen.at(-1)?.position).toBe('1');
    });
  });

  describe('fast path', () => {
    it('runs a long backlog of synchronous handlers in order without deep recursion', async () => {
      const seen: number[] = [];
      const { p, commits } = processor((m) => {
        seen.push(Number(m.position));
      });
      const n = 50_000;
      p.enqueue(Array.from({ length: n }, (_, i) => msg(i)));
      await p.idle();
      expect(seen).toHaveLength(n);
      expect(seen.every((v, i) => v === i)).toBe(true);
      expect(commits.at(-1)).toBe(String(n - 1));
      expect(p.buffered).toBe(0);
    });

    it('keeps per-key order with one hot key and many others under concurrency', async () => {
      const byKey = new Map<string, number[]>();
      let running = 0;
      let maxRunning = 0;
      const runningKeys = new Set<string>();
      let sameKeyOverlaps = 0;
      const { p, commits } = processor(
        async (m) => {
          const key = m.key as string;
          if (runningKeys.has(key)) sameKeyOverlaps++;
          runningKeys.add(key);
          running++;
          maxRunning = Math.max(maxRunning, running);
          await new Promise((r) => setImmediate(r));
          running--;
          runningKeys.delete(key);
          byKey.set(key, [...(byKey.get(key) ?? []), Number(m.position)]);
        },
        { concurrency: 8 },
      );
      const n = 3000;
      p.enqueue(Array.from({ length: n }, (_, i) => msg(i, i % 3 === 0 ? 'hot' : `k${i % 50}`)));
      await p.idle();
      for (const positions of byKey.values()) expect(positions).toEqual([...positions].sort((a, b) => a - b));
      expect([...byKey.values()].reduce((a, v) => a + v.length, 0)).toBe(n);
      expect(sameKeyOverlaps).toBe(0);
      expect(maxRunning).toBeGreaterThan(1);
      expect(maxRunning).toBeLessThanOrEqual(8);
      expect(commits.at(-1)).toBe(String(n - 1));
    });

    it('a synchronous throw is retried like a rejection', async () => {
      const attempts: number[] = [];
      const { p, commits, dead } = processor(
        (m) => {
          if (m.position === '1') {
            attempts.push(m.deliveryAttempt);
            if (m.deliveryAttempt < 3) throw new Error('flaky');
          }
        },
        { maxAttempts: 5 },
      );
      p.enqueue([msg(0), msg(1), msg(2)]);
      await p.idle();
      expect(attempts).toEqual([1, 2, 3]);
      expect(dead).toEqual([]);
      expect(commits.at(-1)).toBe('2');
    });
  });
});

describe('core/DeadLetterSink', () => {
  it('sets the topic up once (again after a failure), creates one producer and sends the message with the error headers', async () => {
    const sent: { topic: string; record: ProducerRecord }[] = [];
    let producers = 0;
    let ensureCalls = 0;
    const producer = {
      send: async (topic: string, record: ProducerRecord) => {
        sent.push({ topic, record });
        return [];
      },
      close: async () => {},
    } as unknown as Producer;
    const sink = new DeadLetterSink({
      topic: 'orders',
      group: 'billing',
      ensureTopic: async (t) => {
        ensureCalls++;
        if (ensureCalls === 1) throw new Error(`cannot create ${t} yet`);
      },
      producer: () => {
        producers++;
        return producer;
      },
    });
    expect(sink.topic).toBe('orders.dlq');
    await expect(sink.publish(msg(1), new Error('boom'), 3)).rejects.toThrow('cannot create orders.dlq yet');
    expect(sent).toEqual([]);
    await sink.publish(msg(1), new Error('boom'), 3);
    await sink.publish(msg(2), new Error('bang'), 5);
    expect([ensureCalls, producers]).toEqual([2, 1]);
    expect(sent.map((s) => s.topic)).toEqual(['orders.dlq', 'orders.dlq']);
    expect(sent[0]?.record).toMatchObject({
      key: 'k1',
      headers: { [DeadLetterHeaders.attempts]: '3', [DeadLetterHeaders.group]: 'billing' },
    });
    expect(String(sent[1]?.record.headers?.[DeadLetterHeaders.error])).toContain('bang');
  });
});
