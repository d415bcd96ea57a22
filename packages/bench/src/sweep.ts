/**
 * Latency against throughput: the workload at a series of fixed publish rates (`--rates 1k,5k,...`), or a
 * max-rate search (`--sweep`) that doubles the rate until a step is not sustained and then bisects, reporting
 * p50/p99 of publish and end-to-end latency per step. A step is not sustained when the publish rate falls short
 * of the target, sends fail, end-to-end p99 runs away from the first step's, or the backlog grows through the step.
 * The judging and the next-rate choice are pure functions here; {@link runSweep} drives a {@link BenchDriver}.
 *
 * @packageDocumentation
 */
import { ValidationError } from '@speedlayer/core';
import type { BenchDriver } from './driver.js';
import { type Measurement, runWorkload } from './runner.js';
import type { Durations, OmbWorkload } from './workload.js';

/** When a step counts as not sustained. */
export interface RunawayLimits {
  /** Achieved publish rate / target rate below this fails the step. @default 0.9 */
  minAchievedRatio?: number;
  /** End-to-end p99 above this many times the first step's p99 fails the step. @default 10 */
  p99Factor?: number;
  /** ...but never below this many ms (a 2 ms p99 that becomes 15 ms is no runaway). @default 200 */
  p99FloorMs?: number;
  /** Backlog at the end above this many seconds of the target rate, and growing through the step, fails it. @default 1 */
  backlogSeconds?: number;
}

/** One step of a sweep. */
export interface SweepStep {
  /** Target publish rate, msg/s (all producers). */
  targetRate: number;
  /** Achieved publish and consume rates (consume: per subscription), msg/s. */
  publishRate: number;
  consumeRate: number;
  /** Publish latency p50 / p99, ms. */
  publishP50Ms: number;
  publishP99Ms: number;
  /** End-to-end latency p50 / p99, ms. */
  endToEndP50Ms: number;
  endToEndP99Ms: number;
  /** Backlog at the end of the step (messages, per subscription), and its growth through the step (msg/s). */
  backlogEnd: number;
  backlogGrowthPerSec: number;
  /** Failed sends. */
  errors: number;
  /** False when a limit was crossed; `reason` names it. */
  sustained: boolean;
  reason?: string;
}

/** What a sweep measured on one driver. */
export interface SweepResult {
  /** `speedlayer` or a baseline name. */
  client: string;
  /** Steps in the order they ran. */
  steps: SweepStep[];
  /** Highest target rate that was sustained (null when none was). */
  maxSustainedRate: number | null;
  /** Why the sweep stopped early (the first step that was not sustained), if it did. */
  stoppedBecause?: string;
}

/** Options of the search and of {@link runSweep}. */
export interface SweepOptions {
  /** Fixed rates to run, ascending (`--rates`); without them, a search. */
  rates?: readonly number[];
  /** First rate of the search, msg/s. @default 1000 */
  startRate?: number;
  /** Most steps of a search. @default 8 */
  maxSteps?: number;
  /** The search stops bisecting when the gap between the best sustained and the lowest failed rate is below this fraction. @default 0.15 */
  resolution?: number;
  /** Limits of a sustained step. */
  limits?: RunawayLimits;
  /** With fixed rates: keep running the rates above a step that was not sustained. @default false */
  continueAfterRunaway?: boolean;
}

const ratePattern = /^(\d+(?:\.\d+)?)([kKmM]?)$/;

/**
 * Parses `--rates 500,1k,2.5k,1m` into ascending msg/s values.
 * @throws `ValidationError` (field `--rates`) naming the bad entry.
 */
export function parseRates(text: string): number[] {
  const out: number[] = [];
  for (const raw of text.split(',')) {
    const part = raw.trim();
    const m = ratePattern.exec(part);
    const value = m ? Number(m[1]) * ({ k: 1e3, K: 1e3, m: 1e6, M: 1e6 }[m[2] as string] ?? 1) : Number.NaN;
    if (!(value > 0)) {
      throw new ValidationError(`--rates: "${part}" is not a rate; expected e.g. 500,1k,5k,20k (msg/s)`, { field: '--rates' });
    }
    out.push(Math.round(value));
  }
  return [...new Set(out)].sort((a, b) => a - b);
}

/**
 * Judges one step against the limits; `firstP99Ms` is the end-to-end p99 of the sweep's first step (undefined when
 * judging the first step itself, whose latency is the reference).
 */
export function judgeStep(
  step: Omit<SweepStep, 'sustained' | 'reason'>,
  firstP99Ms: number | undefined,
  limits: RunawayLimits = {},
): { sustained: boolean; reason?: string } {
  const minRatio = limits.minAchievedRatio ?? 0.9;
  const p99Limit = Math.max(limits.p99FloorMs ?? 200, (limits.p99Factor ?? 10) * (firstP99Ms ?? 0));
  const backlogLimit = step.targetRate * (limits.backlogSeconds ?? 1);
  if (step.errors > 0) return { sustained: false, reason: `${step.errors} failed sends` };
  if (step.publishRate < step.targetRate * minRatio) {
    return {
      sustained: false,
      reason: `published ${Math.round(step.publishRate)} msg/s, below ${Math.round(minRatio * 100)}% of ${step.targetRate}`,
    };
  }
  // The first step is the reference: its p99 is judged by nothing but the steps after it.
  if (firstP99Ms !== undefined && step.endToEndP99Ms > p99Limit) {
    return { sustained: false, reason: `end-to-end p99 ${round(step.endToEndP99Ms)} ms above ${round(p99Limit)} ms` };
  }
  if (step.backlogEnd > backlogLimit && step.backlogGrowthPerSec > 0) {
    return {
      sustained: false,
      reason: `backlog ${Math.round(step.backlogEnd)} messages and growing ${Math.round(step.backlogGrowthPerSec)} msg/s`,
    };
  }
  return { sustained: true };
}

const round = (n: number) => Math.round(n * 100) / 100;

/**
 * The next rate to run, or undefined when the sweep is done. Fixed rates: the next one, stopping after a step
 * that was not sustained (unless `continueAfterRunaway`). Search: doubles from `startRate` until a step fails, then
 * bisects between the best sustained and the lowest failed rate until they are within `resolution`.
 */
export function nextRate(steps: readonly SweepStep[], options: SweepOptions = {}): number | undefined {
  const last = steps.at(-1);
  if (options.rates) {
    if (last && !last.sustained && !options.continueAfterRunaway) return undefined;
    return options.rates[steps.length];
  }
  if (steps.length >= (options.maxSteps ?? 8)) return undefined;
  if (!last) return Math.round(options.startRate ?? 1000);
  const failed = steps.filter((s) => !s.sustained).map((s) => s.targetRate);
  const good = steps.filter((s) => s.sustained).map((s) => s.targetRate);
  if (failed.length === 0) return Math.round(last.targetRate * 2);
  const lowFail = Math.min(...failed);
  const best = good.filter((r) => r < lowFail);
  if (best.length === 0) {
    // Even the first rate failed: go down until one holds.
    const next = Math.round(lowFail / 2);
    return next >= 1 ? next : undefined;
  }
  const hi = Math.max(...best);
  if ((lowFail - hi) / hi <= (options.resolution ?? 0.15)) return undefined;
  return Math.round((hi + lowFail) / 2);
}

/** Turns one run's measurement into a step (not yet judged). */
export function stepOf(m: Measurement, targetRate: number, subscriptions: number): Omit<SweepStep, 'sustained' | 'reason'> {
  const secs = Math.max(1e-3, m.totals.durationMs / 1000);
  const perSub = Math.max(1, subscriptions);
  const first = m.intervals[0];
  const last = m.intervals.at(-1);
  const span = first && last ? Math.max(1e-3, last.atSeconds - first.atSeconds) : 0;
  const pub = m.publishLatency.total();
  const e2e = m.endToEnd.total();
  return {
    targetRate,
    publishRate: m.totals.sent / secs,
    consumeRate: m.totals.received / perSub / secs,
    publishP50Ms: pub.pct['50pct'] / 1000,
    publishP99Ms: pub.pct['99pct'] / 1000,
    endToEndP50Ms: e2e.pct['50pct'] / 1000,
    endToEndP99Ms: e2e.pct['99pct'] / 1000,
    backlogEnd: (last?.backlog ?? 0) / perSub,
    backlogGrowthPerSec: first && last && span > 0 ? (last.backlog - first.backlog) / perSub / span : 0,
    errors: m.totals.errors,
  };
}

/** Options of {@link runSweep}. */
export interface RunSweepOptions extends SweepOptions {
  workload: OmbWorkload;
  payloads: readonly Uint8Array[];
  /** Warm-up and measured phase of each step. */
  durations: Durations;
  sampleIntervalMs?: number;
  signal?: AbortSignal;
  /** Called after each step. */
  onStep?: (step: SweepStep) => void;
  /** Time allowed for each topic, consumer and producer creation, ms. */
  setupTimeoutMs?: number;
}

/**
 * Runs the sweep on one driver (a fresh topic per step) and returns every step plus the measurement of the
 * highest sustained step (or of the last step when none was sustained), for the regular report.
 */
export async function runSweep(
  driver: BenchDriver,
  options: RunSweepOptions,
): Promise<{ sweep: SweepResult; best: Measurement | undefined }> {
  const steps: SweepStep[] = [];
  let best: { rate: number; m: Measurement } | undefined;
  let lastM: Measurement | undefined;
  for (let rate = nextRate(steps, options); rate !== undefined; rate = nextRate(steps, options)) {
    if (options.signal?.aborted) break;
    const m = await runWorkload(driver, {
      workload: { ...options.workload, producerRate: rate },
      payloads: options.payloads,
      durations: options.durations,
      ...(options.sampleIntervalMs !== undefined ? { sampleIntervalMs: options.sampleIntervalMs } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.setupTimeoutMs !== undefined ? { setupTimeoutMs: options.setupTimeoutMs } : {}),
    });
    lastM = m;
    const raw = stepOf(m, rate, options.workload.subscriptionsPerTopic);
    const step: SweepStep = { ...raw, ...judgeStep(raw, steps[0]?.endToEndP99Ms, options.limits) };
    steps.push(step);
    options.onStep?.(step);
    if (step.sustained && (!best || rate > best.rate)) best = { rate, m };
    if (m.aborted) break;
  }
  const sustained = steps.filter((s) => s.sustained).map((s) => s.targetRate);
  const firstFail = steps.find((s) => !s.sustained);
  return {
    sweep: {
      client: driver.name,
      steps,
      maxSustainedRate: sustained.length > 0 ? Math.max(...sustained) : null,
      ...(firstFail?.reason ? { stoppedBecause: `${firstFail.targetRate} msg/s: ${firstFail.reason}` } : {}),
    },
    best: best?.m ?? lastM,
  };
}
