/**
 * Latency recording on HDR histograms (`hdr-histogram-js`): values in microseconds, an interval histogram for
 * the time series and an aggregate one for the whole phase, as OMB does with HdrHistogram's Recorder.
 *
 * @packageDocumentation
 */
import * as hdr from 'hdr-histogram-js';

/** The percentiles OMB reports, as result-field suffixes. */
export const PERCENTILES = [
  ['50pct', 50],
  ['75pct', 75],
  ['95pct', 95],
  ['99pct', 99],
  ['999pct', 99.9],
  ['9999pct', 99.99],
  ['99999pct', 99.999],
] as const;

/** Summary of one histogram, in microseconds. */
export interface LatencySummary {
  /** Values recorded. */
  count: number;
  /** Mean. */
  avg: number;
  /** Value at each OMB percentile, keyed by suffix (`50pct`, `999pct`, ...). */
  pct: Record<(typeof PERCENTILES)[number][0], number>;
  /** Largest value. */
  max: number;
  /** Quantile map for charts: percentile -> value (OMB's `aggregated*Quantiles`). */
  quantiles: Array<[number, number]>;
}

/** Largest value tracked: one hour in µs; larger values are clamped (and counted as the max). */
const HIGHEST_US = 3_600_000_000;

function newHistogram(): hdr.Histogram {
  return hdr.build({
    bitBucketSize: 64,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
}

/** Records one latency metric into an interval histogram and an aggregate histogram. */
export class LatencyRecorder {
  private interval = newHistogram();
  private aggregate = newHistogram();

  /** Records a value in microseconds (negative values, from clock steps, count as 0). */
  record(us: number): void {
    const v = Math.min(HIGHEST_US, Math.max(0, Math.round(us)));
    this.interval.recordValue(v);
    this.aggregate.recordValue(v);
  }

  /** Summary of the interval since the last call, then starts a new interval. */
  takeInterval(): LatencySummary {
    const s = summarize(this.interval);
    this.interval.reset();
    return s;
  }

  /** Summary of everything since the last {@link reset}. */
  total(): LatencySummary {
    return summarize(this.aggregate);
  }

  /** Adds another recorder's aggregate (for merging interleaved rounds). */
  addAggregate(other: LatencyRecorder): void {
    this.aggregate.add(other.aggregate);
  }

  /** Forgets everything (end of warm-up). */
  reset(): void {
    this.interval.reset();
    this.aggregate.reset();
  }
}

const QUANTILE_POINTS = [
  0, 10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 92.5, 95, 96, 97, 98, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100,
];

/** Summarizes a histogram (zeros when empty). */
export function summarize(h: hdr.Histogram): LatencySummary {
  const count = h.totalCount;
  const at = (p: number) => (count === 0 ? 0 : h.getValueAtPercentile(p));
  const pct = Object.fromEntries(PERCENTILES.map(([k, p]) => [k, at(p)])) as LatencySummary['pct'];
  return {
    count,
    avg: count === 0 ? 0 : h.mean,
    pct,
    max: count === 0 ? 0 : h.maxValue,
    quantiles: count === 0 ? [] : QUANTILE_POINTS.map((p) => [p, at(p)]),
  };
}
