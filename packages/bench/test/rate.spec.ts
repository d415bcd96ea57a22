import { describe, expect, it } from 'vitest';
import { keyDistributor, MaxRateController, producerSchedules, RateSchedule, topicNames } from '../src/index.js';

describe('bench/rate: the schedule of intended send times', () => {
  it('spaces messages by 1/rate from the start, whatever the sends took', () => {
    const s = new RateSchedule(1000, 5_000_000);
    expect([s.next(), s.next(), s.next()]).toEqual([5_000_000, 5_001_000, 5_002_000]);
    expect(s.peek()).toBe(5_003_000);
    expect(s.rate).toBe(1000);
  });

  it('restarts at the given time when the rate changes', () => {
    const s = new RateSchedule(10, 0);
    s.next();
    s.setRate(100, 50_000);
    expect([s.next(), s.next()]).toEqual([50_000, 60_000]);
  });

  it('splits a total rate over producers with interleaved offsets', () => {
    const all = producerSchedules(300, 3, 0);
    expect(all.map((s) => s.rate)).toEqual([100, 100, 100]);
    expect(all.map((s) => s.next()).map(Math.round)).toEqual([0, 3333, 6667]);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new RateSchedule(0, 0)).toThrow(RangeError);
  });
});

describe('bench/rate: the max-rate search (producerRate 0)', () => {
  const ok = (rate: number) => ({ publishRate: rate, consumeRate: rate, backlog: 0, inFlight: 0, errors: 0 });

  it('grows while publish and consume keep up', () => {
    const c = new MaxRateController({ startRate: 1000 });
    expect(c.step(ok(1000))).toBe(1500);
    expect(c.step(ok(1500))).toBe(2250);
  });

  it('steps back to what was achieved when the backlog grows, then grows slowly near that ceiling', () => {
    const c = new MaxRateController({ startRate: 10_000 });
    const down = c.step({ publishRate: 6000, consumeRate: 5000, backlog: 20_000, inFlight: 10, errors: 0 });
    expect(down).toBeLessThanOrEqual(5000);
    expect(down).toBeGreaterThan(0);
    const up = c.step(ok(down));
    expect(up).toBeCloseTo(down * 1.5);
    const near = c.step(ok(up));
    expect(near).toBeCloseTo(up * 1.05);
  });

  it('counts sends queued for an acknowledgement as falling behind', () => {
    const c = new MaxRateController({ startRate: 1000 });
    expect(c.step({ ...ok(1000), inFlight: 900 })).toBeLessThan(1000);
  });

  it('backs off on errors and saturated in-flight sends, never below the minimum', () => {
    const c = new MaxRateController({ startRate: 100, minRate: 50, maxInFlight: 10 });
    expect(c.step({ ...ok(100), errors: 1 })).toBeLessThan(100);
    expect(c.step({ ...ok(0), inFlight: 10 })).toBe(50);
  });
});

describe('bench/runner: keys and topic names', () => {
  it('cycles a fixed key set with KEY_ROUND_ROBIN and sends none with NO_KEY', () => {
    const rr = keyDistributor('KEY_ROUND_ROBIN', 3);
    const keys = [rr(), rr(), rr(), rr()];
    expect(keys[3]).toBe(keys[0]);
    expect(new Set(keys.slice(0, 3)).size).toBe(3);
    expect(keyDistributor('NO_KEY')()).toBeUndefined();
    expect(typeof keyDistributor('RANDOM_NANO', 5)()).toBe('string');
  });

  it('makes short topic names valid on every target', () => {
    expect(topicNames('1 topic / 16 partitions / 1Kb', 2, 'abc123')).toEqual([
      'slbench-1-topic-16-partitions-1k-abc123-0',
      'slbench-1-topic-16-partitions-1k-abc123-1',
    ]);
  });
});
