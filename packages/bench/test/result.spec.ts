import { describe, expect, it } from 'vitest';
import {
  type BenchReport,
  LatencyRecorder,
  type Measurement,
  mergeMeasurements,
  parseOmbWorkload,
  toBenchResult,
  toHtml,
  toMarkdown,
} from '../src/index.js';

const workload = parseOmbWorkload(`
name: shape test
topics: 2
partitionsPerTopic: 4
messageSize: 100
subscriptionsPerTopic: 2
consumerPerSubscription: 3
producersPerTopic: 1
producerRate: 100
testDurationMinutes: 1
`);

/** A measurement with known values: publish latency 1..1000 ms, delay 1..1000 µs, e2e 2..2000 ms. */
function measurement(driver = 'speedlayer', target = 'memory'): Measurement {
  const pub = new LatencyRecorder();
  const delay = new LatencyRecorder();
  const e2e = new LatencyRecorder();
  for (let i = 1; i <= 1000; i++) {
    pub.record(i * 1000);
    delay.record(i);
    e2e.record(i * 2000);
  }
  const intervals = [1, 2].map((s) => ({
    atSeconds: s,
    publishRate: 100,
    publishErrorRate: 0,
    consumeRate: 200,
    backlog: 3,
    publishLatency: pub.takeInterval(),
    publishDelay: delay.takeInterval(),
    endToEnd: e2e.takeInterval(),
    targetRate: 100,
  }));
  return {
    driver,
    target,
    intervals,
    publishLatency: pub,
    publishDelay: delay,
    endToEnd: e2e,
    totals: { sent: 1000, errors: 0, received: 2000, bytesSent: 100_000, bytesReceived: 200_000, durationMs: 10_000 },
    aborted: false,
    phase: 'done',
  };
}

/** Every field of OMB's TestResult (benchmark-framework/.../TestResult.java). */
const OMB_FIELDS = [
  'workload',
  'driver',
  'messageSize',
  'topics',
  'partitions',
  'producersPerTopic',
  'consumersPerTopic',
  'publishRate',
  'publishErrorRate',
  'consumeRate',
  'backlog',
  ...['publishLatency', 'publishDelayLatency', 'endToEndLatency'].flatMap((p) =>
    ['Avg', '50pct', '75pct', '95pct', '99pct', '999pct', '9999pct', '99999pct', 'Max'].flatMap((s) => [
      `${p}${s}`,
      `aggregated${p[0]!.toUpperCase()}${p.slice(1)}${s}`,
    ]),
  ),
  'aggregatedPublishLatencyQuantiles',
  'aggregatedPublishDelayLatencyQuantiles',
  'aggregatedEndToEndLatencyQuantiles',
];

const ctx = { workload, stream: 'memory://x', warmupMs: 1000, sampleIntervalMs: 1000 };

describe('bench/result: shaping as OMB TestResult', () => {
  it('has every OMB TestResult field', () => {
    const r = toBenchResult(measurement(), ctx);
    for (const f of OMB_FIELDS) expect(r, f).toHaveProperty(f);
  });

  it('uses OMB units: latency in ms, publish delay in µs, rates per interval', () => {
    const r = toBenchResult(measurement(), ctx);
    expect(r).toMatchObject({
      workload: 'shape test',
      driver: 'speedlayer:memory',
      topics: 2,
      partitions: 4,
      consumersPerTopic: 6,
      publishRate: [100, 100],
      consumeRate: [200, 200],
      backlog: [3, 3],
    });
    expect(r.aggregatedPublishLatency50pct).toBeCloseTo(500, -1);
    expect(r.aggregatedPublishLatencyMax).toBeCloseTo(1000, -1);
    expect(r.aggregatedPublishDelayLatency99pct).toBeGreaterThanOrEqual(985);
    expect(Number.isInteger(r.aggregatedPublishDelayLatency99pct)).toBe(true);
    expect(r.aggregatedEndToEndLatency999pct).toBeCloseTo(1998, -1);
    // the first interval has the values, the second is empty
    expect(r.publishLatency99pct[0]).toBeCloseTo(990, -1);
    expect(r.publishLatency99pct[1]).toBe(0);
    expect(r.speedlayer).toMatchObject({
      avgPublishRate: 100,
      avgConsumeRate: 200,
      sent: 1000,
      received: 2000,
      client: 'speedlayer',
    });
  });

  it('keys quantile maps as Java doubles, ordered, ending at the max', () => {
    const q = toBenchResult(measurement(), ctx).aggregatedEndToEndLatencyQuantiles;
    const keys = Object.keys(q);
    expect(keys).toContain('50.0');
    expect(keys).toContain('99.9');
    expect(keys.map(Number)).toEqual([...keys.map(Number)].sort((a, b) => a - b));
    expect(q['100.0']).toBeCloseTo(2000, -1);
  });

  it('merges interleaved rounds: histograms and totals add up, series continue', () => {
    const m = mergeMeasurements([measurement(), measurement()]);
    expect(m.publishLatency.total().count).toBe(2000);
    expect(m.totals.sent).toBe(2000);
    expect(m.intervals.map((i) => i.atSeconds)).toEqual([1, 2, 11, 12]);
  });
});

describe('bench/report: Markdown and HTML', () => {
  const report: BenchReport = {
    workload: 'shape test',
    workloadFile: 'w.yaml',
    startedAt: '2026-01-01T00:00:00.000Z',
    warmupSeconds: 1,
    testSeconds: 10,
    aborted: false,
    targets: [
      {
        stream: 'memory://x',
        target: 'memory',
        result: toBenchResult(measurement(), ctx),
        overhead: {
          done: true,
          baseline: 'raw-lmdb',
          rounds: 2,
          publishThroughputRatio: 0.98,
          consumeThroughputRatio: 0.97,
          publishLatencyDeltaMs: { p50: 1, p99: 2, max: 3 },
          endToEndLatencyDeltaMs: { p50: -1, p99: 2, max: 3 },
          raw: toBenchResult(measurement('raw-lmdb'), ctx),
        },
      },
      {
        stream: 'kafka://127.0.0.1:1',
        error: { message: 'kafka://127.0.0.1:1: connect: no answer within 5 s', kind: 'timeout' },
      },
    ],
  };

  it('puts targets side by side with every percentile, the overhead and the failure', () => {
    const md = toMarkdown(report);
    expect(md).toContain('| metric | `memory://x` | `kafka://127.0.0.1:1` |');
    for (const p of ['p50', 'p75', 'p95', 'p99', 'p99.9', 'p99.99', 'max']) expect(md).toContain(`end-to-end latency ${p} (ms)`);
    expect(md).toContain('| overhead: publish throughput ratio (speedlayer / raw) | 0.98 |');
    expect(md).toContain('FAILED: kafka://127.0.0.1:1: connect');
  });

  it('writes self-contained HTML with SVG charts holding the data points', () => {
    const html = toHtml(report);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    const charts = html.match(/<svg class="chart"/g) ?? [];
    expect(charts.length).toBe(6);
    expect(html).toContain('data-chart="end-to-end-latency"');
    expect((html.match(/class="point"/g) ?? []).length).toBeGreaterThan(20);
  });
});
