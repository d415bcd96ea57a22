import { describe, expect, it } from 'vitest';
import { type ConsumedMessage, DeadLetterHeaders, deadLetterHeaders, newStats, PartitionProcessor } from '../src/index.js';

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
});
