/**
 * Result shaping: a {@link Measurement} as OMB's `TestResult` JSON (same field names and units, so OMB's
 * `bin/create_charts.py` reads it), plus a `speedlayer` block with what OMB has no field for.
 *
 * Units, as OMB: publish and end-to-end latency in milliseconds, publish delay in microseconds, rates in
 * messages per second, backlog in messages.
 *
 * @packageDocumentation
 */
import { type LatencySummary, PERCENTILES } from './histogram.js';
import type { Measurement } from './runner.js';
import type { OmbWorkload } from './workload.js';

type Pct = (typeof PERCENTILES)[number][0];
type Series<P extends string> = { [K in `${P}Avg` | `${P}${Pct}` | `${P}Max`]: number[] };
type Aggregated<P extends string> = { [K in `aggregated${P}Avg` | `aggregated${P}${Pct}` | `aggregated${P}Max`]: number };

/** OMB's `TestResult`, field for field. */
export type OmbTestResult = {
  workload: string;
  driver: string;
  messageSize: number;
  topics: number;
  partitions: number;
  producersPerTopic: number;
  consumersPerTopic: number;
  publishRate: number[];
  publishErrorRate: number[];
  consumeRate: number[];
  backlog: number[];
  aggregatedPublishLatencyQuantiles: Record<string, number>;
  aggregatedPublishDelayLatencyQuantiles: Record<string, number>;
  aggregatedEndToEndLatencyQuantiles: Record<string, number>;
} & Series<'publishLatency'> &
  Series<'publishDelayLatency'> &
  Series<'endToEndLatency'> &
  Aggregated<'PublishLatency'> &
  Aggregated<'PublishDelayLatency'> &
  Aggregated<'EndToEndLatency'>;

/** What speedlayer adds next to OMB's fields. */
export interface SpeedlayerResultInfo {
  /** The stream URI. */
  stream: string;
  /** Target id. */
  target: string;
  /** `speedlayer` or the raw baseline's name. */
  client: string;
  /** Seconds of the measured phase actually run. */
  testSeconds: number;
  /** Seconds of warm-up asked for. */
  warmupSeconds: number;
  /** Seconds per time-series sample, as asked. */
  sampleIntervalSeconds: number;
  /** When each time-series sample was taken, seconds into the measured phase (OMB has no such field). */
  sampleSeconds: number[];
  /** Target rate (msg/s) from the workload; 0 = max-rate search. */
  producerRate: number;
  /** Subscriptions (consumer groups) per topic. */
  subscriptionsPerTopic: number;
  /** Messages acknowledged, failed and received in the measured phase. */
  sent: number;
  publishErrors: number;
  received: number;
  /** Average rates over the whole measured phase (msg/s, MB/s). */
  avgPublishRate: number;
  avgConsumeRate: number;
  avgPublishMBps: number;
  avgConsumeMBps: number;
  /** Stopped early (Ctrl-C). */
  aborted: boolean;
  /** The phase reached. */
  phase: string;
  /** First publish error. */
  firstError?: string;
  /** For producerRate 0: where the max-rate search settled. */
  maxRate?: { final: number; steps: number[] };
  /** How end-to-end latency is measured. */
  endToEndClock: string;
}

/** One target's result file: OMB's fields plus `speedlayer`. */
export type BenchResult = OmbTestResult & { speedlayer: SpeedlayerResultInfo };

const round = (n: number, digits = 3) => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};
const ms = (us: number) => round(us / 1000);
const usInt = (us: number) => Math.round(us);

function series<P extends string>(prefix: P, list: readonly LatencySummary[], conv: (us: number) => number): Series<P> {
  const out: Record<string, number[]> = {};
  out[`${prefix}Avg`] = list.map((s) => conv(s.avg));
  for (const [k] of PERCENTILES) out[`${prefix}${k}`] = list.map((s) => conv(s.pct[k]));
  out[`${prefix}Max`] = list.map((s) => conv(s.max));
  return out as Series<P>;
}

function aggregated<P extends string>(name: P, s: LatencySummary, conv: (us: number) => number): Aggregated<P> {
  const out: Record<string, number> = {};
  out[`aggregated${name}Avg`] = conv(s.avg);
  for (const [k] of PERCENTILES) out[`aggregated${name}${k}`] = conv(s.pct[k]);
  out[`aggregated${name}Max`] = conv(s.max);
  return out as Aggregated<P>;
}

function quantiles(s: LatencySummary, conv: (us: number) => number): Record<string, number> {
  // OMB (Jackson) writes Map<Double, ...> keys as Java doubles: "50.0", "99.9".
  return Object.fromEntries(s.quantiles.map(([p, v]) => [Number.isInteger(p) ? `${p}.0` : String(p), conv(v)]));
}

/** Context of a result that the measurement does not carry. */
export interface ResultContext {
  /** The workload run. */
  workload: OmbWorkload;
  /** The stream URI. */
  stream: string;
  /** Warm-up asked for, ms. */
  warmupMs: number;
  /** Sample interval, ms. */
  sampleIntervalMs: number;
}

/** Shapes a measurement as an OMB `TestResult` plus the `speedlayer` block. */
export function toBenchResult(m: Measurement, ctx: ResultContext): BenchResult {
  const w = ctx.workload;
  const pub = m.publishLatency.total();
  const delay = m.publishDelay.total();
  const e2e = m.endToEnd.total();
  const secs = Math.max(1e-3, m.totals.durationMs / 1000);
  const info: SpeedlayerResultInfo = {
    stream: ctx.stream,
    target: m.target,
    client: m.driver,
    testSeconds: round(m.totals.durationMs / 1000),
    warmupSeconds: round(ctx.warmupMs / 1000),
    sampleIntervalSeconds: round(ctx.sampleIntervalMs / 1000),
    sampleSeconds: m.intervals.map((s) => round(s.atSeconds)),
    producerRate: w.producerRate,
    subscriptionsPerTopic: w.subscriptionsPerTopic,
    sent: m.totals.sent,
    publishErrors: m.totals.errors,
    received: m.totals.received,
    avgPublishRate: round(m.totals.sent / secs),
    avgConsumeRate: round(m.totals.received / secs),
    avgPublishMBps: round(m.totals.bytesSent / secs / 1_048_576),
    avgConsumeMBps: round(m.totals.bytesReceived / secs / 1_048_576),
    aborted: m.aborted,
    phase: m.phase,
    ...(m.firstError !== undefined ? { firstError: m.firstError } : {}),
    ...(m.maxRate ? { maxRate: m.maxRate } : {}),
    endToEndClock: `one process on one host: the send time (µs) travels in header ${'sl-bench-sent-us'}; no cross-host clock skew (OMB #216)`,
  };
  const iv = m.intervals;
  return {
    workload: w.name,
    driver: m.driver === 'speedlayer' ? `speedlayer:${m.target}` : `${m.driver}:${m.target}`,
    messageSize: w.messageSize,
    topics: w.topics,
    partitions: w.partitionsPerTopic,
    producersPerTopic: w.producersPerTopic,
    consumersPerTopic: w.subscriptionsPerTopic * w.consumerPerSubscription,
    publishRate: iv.map((s) => round(s.publishRate)),
    publishErrorRate: iv.map((s) => round(s.publishErrorRate)),
    consumeRate: iv.map((s) => round(s.consumeRate)),
    backlog: iv.map((s) => s.backlog),
    ...series(
      'publishLatency',
      iv.map((s) => s.publishLatency),
      ms,
    ),
    ...series(
      'publishDelayLatency',
      iv.map((s) => s.publishDelay),
      usInt,
    ),
    ...aggregated('PublishLatency', pub, ms),
    ...aggregated('PublishDelayLatency', delay, usInt),
    aggregatedPublishLatencyQuantiles: quantiles(pub, ms),
    aggregatedPublishDelayLatencyQuantiles: quantiles(delay, usInt),
    ...series(
      'endToEndLatency',
      iv.map((s) => s.endToEnd),
      ms,
    ),
    aggregatedEndToEndLatencyQuantiles: quantiles(e2e, ms),
    ...aggregated('EndToEndLatency', e2e, ms),
    speedlayer: info,
  };
}

/** The percentile columns reports show: label and result-field suffix. */
export const REPORT_PERCENTILES: ReadonlyArray<readonly [string, Pct | 'Avg' | 'Max']> = [
  ['avg', 'Avg'],
  ['p50', '50pct'],
  ['p75', '75pct'],
  ['p95', '95pct'],
  ['p99', '99pct'],
  ['p99.9', '999pct'],
  ['p99.99', '9999pct'],
  ['max', 'Max'],
];

/** Reads an aggregated value, e.g. `aggregatedValue(r, 'EndToEndLatency', '99pct')`. */
export function aggregatedValue(
  r: OmbTestResult,
  metric: 'PublishLatency' | 'PublishDelayLatency' | 'EndToEndLatency',
  suffix: Pct | 'Avg' | 'Max',
): number {
  return (r as unknown as Record<string, number>)[`aggregated${metric}${suffix}`] ?? 0;
}
