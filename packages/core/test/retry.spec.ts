import { describe, expect, it } from 'vitest';
import { backoffDelay, ConfigError, ConnectionError, FAST_RETRY, retry } from '../src/index.js';

describe('core/retry', () => {
  it('retries retriable errors until success', async () => {
    let calls = 0;
    const v = await retry(async () => {
      calls++;
      if (calls < 3) throw new ConnectionError('down');
      return 'ok';
    }, FAST_RETRY);
    expect(v).toBe('ok');
    expect(calls).toBe(3);
  });

  it('does not retry a non-retriable error', async () => {
    let calls = 0;
    await expect(
      retry(async () => {
        calls++;
        throw new ConfigError('bad');
      }, FAST_RETRY),
    ).rejects.toBeInstanceOf(ConfigError);
    expect(calls).toBe(1);
  });

  it('gives up after the attempts and throws the last error', async () => {
    let calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw new ConnectionError(`down ${calls}`);
        },
        { ...FAST_RETRY, attempts: 4 },
      ),
    ).rejects.toThrow('down 4');
    expect(calls).toBe(4);
  });

  it('backs off exponentially up to the maximum, with full jitter inside [0, delay]', () => {
    const o = { initialMs: 100, maxMs: 1000, jitter: false } as const;
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(a, o))).toEqual([100, 200, 400, 800, 1000]);
    expect(backoffDelay(3, { initialMs: 100 }, () => 0.5)).toBe(200);
    expect(backoffDelay(3, { initialMs: 100 }, () => 0)).toBe(0);
  });
});
