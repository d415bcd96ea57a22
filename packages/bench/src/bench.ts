/**
 * One bench invocation: the same workload on several stream targets, one after another. A target that fails
 * (unreachable, cannot hold the partition count) is reported with a message naming it and the others still
 * run. With `overhead`, each target also runs through its raw vendor client, interleaved with the speedlayer
 * runs (A B B A ...) so drift hits both sides alike.
 *
 * @packageDocumentation
 */
import { describeError, isSpeedlayerError, parseUri, TimeoutError } from '@speedlayer/core';
import type { PlannerTarget } from '@speedlayer/planner';
import { type BaselineLookup, baselineFor } from './baselines/index.js';
import { type CostEstimate, estimateCost } from './cost.js';
import { type BenchDriver, type SendMode, speedlayerDriver } from './driver.js';
import { aggregatedValue, type BenchResult, toBenchResult } from './result.js';
import { type Measurement, mergeMeasurements, type Progress, runWorkload } from './runner.js';
import { runSweep, type SweepOptions, type SweepResult, type SweepStep } from './sweep.js';
import type { Durations, LoadedWorkload } from './workload.js';

/** Options of {@link runBench}. */
export interface BenchOptions {
  /** Stream URIs, run in this order. */
  streams: readonly string[];
  /** Phase lengths. */
  durations: Durations;
  /** Time-series interval, ms. @default min(10 s, test / 5) */
  sampleIntervalMs?: number;
  /** How the speedlayer side hands messages to the client (see {@link SendMode}). @default 'single' */
  sendMode?: SendMode;
  /** Records per hand-made batch with `sendMode: 'batched'`. @default 500 */
  batchSize?: number;
  /** Also run the raw vendor client and compare. */
  overhead?: boolean;
  /** Rounds per side with `overhead` (each round is a full warm-up + test). @default 2 */
  overheadRounds?: number;
  /** Loads the planner profile of a target id for `--with-cost` (undefined: no profile for that target). */
  costTarget?: (targetId: string) => Promise<PlannerTarget | undefined>;
  /** Retention priced by `--with-cost`, hours. @default 24 */
  costRetentionHours?: number;
  /** Time allowed to connect and create topics, ms. @default 30000 */
  connectTimeoutMs?: number;
  /** Stops the run; what was measured is written. */
  signal?: AbortSignal;
  /** Progress of the run. */
  onProgress?: (e: BenchProgress) => void;
  /**
   * Latency against throughput instead of one run: fixed `rates` or a max-rate search, each step a full warm-up +
   * measured phase. With `overhead`, the raw client is swept the same way right after speedlayer.
   */
  sweep?: SweepOptions;
  /** After each sweep step. */
  onSweepStep?: (e: { stream: string; client: string; step: SweepStep }) => void;
}

/** Progress of one target's run. */
export interface BenchProgress extends Progress {
  /** The stream URI. */
  stream: string;
  /** `speedlayer` or a baseline name. */
  client: string;
  /** 1-based run number and how many runs there are for this stream. */
  run: number;
  runs: number;
}

/** Latency deltas of speedlayer against the raw client (ms; positive = speedlayer slower). */
export interface LatencyDelta {
  p50: number;
  p99: number;
  max: number;
}

/** `--overhead` outcome for one target. */
export type OverheadResult =
  | {
      done: true;
      /** The raw client's name (`raw-lmdb`, `raw-kafkajs`). */
      baseline: string;
      /** Rounds per side. */
      rounds: number;
      /** speedlayer publish rate / raw publish rate (1 = no overhead at this rate). */
      publishThroughputRatio: number;
      /** speedlayer consume rate / raw consume rate. */
      consumeThroughputRatio: number;
      /** Publish latency, speedlayer minus raw. */
      publishLatencyDeltaMs: LatencyDelta;
      /** End-to-end latency, speedlayer minus raw. */
      endToEndLatencyDeltaMs: LatencyDelta;
      /** The raw client's result (OMB fields). */
      raw: BenchResult;
    }
  | { done: false; reason: string };

/** One target's outcome. */
export interface TargetOutcome {
  /** The stream URI as given. */
  stream: string;
  /** Target id, when connected. */
  target?: string;
  /** The result (present even when aborted: what was measured). */
  result?: BenchResult;
  /** Why the target could not run. */
  error?: { message: string; kind?: string; field?: string };
  /** `--overhead`. */
  overhead?: OverheadResult;
  /** `--with-cost`. */
  cost?: CostEstimate | { done: false; reason: string };
  /** `--rates` / `--sweep`: the speedlayer sweep and, with `--overhead`, the raw client's. */
  sweep?: {
    speedlayer: SweepResult;
    raw?: SweepResult;
    /** speedlayer's highest sustained rate / the raw client's (with `--overhead`, when both sustained a rate). */
    maxSustainedRatio?: number;
  };
}

/** The whole invocation. */
export interface BenchReport {
  /** The workload's name. */
  workload: string;
  /** The workload file. */
  workloadFile: string;
  /** When it started (ISO). */
  startedAt: string;
  /** Phase lengths, seconds. */
  warmupSeconds: number;
  testSeconds: number;
  /** Stopped with Ctrl-C. */
  aborted: boolean;
  /** One entry per `--stream`, in order. */
  targets: TargetOutcome[];
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string, onLate?: (v: T) => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let late = false;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      late = true;
      reject(new TimeoutError(`${what}: no answer within ${Math.round(ms / 1000)} s`, { retriable: true }));
    }, ms);
  });
  p.then(
    (v) => {
      if (late) onLate?.(v);
    },
    () => undefined,
  );
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function errorOf(e: unknown): NonNullable<TargetOutcome['error']> {
  if (isSpeedlayerError(e)) {
    return { message: e.message, kind: e.kind, ...(e.field !== undefined ? { field: e.field } : {}) };
  }
  return { message: describeError(e) };
}

const latencyDelta = (a: BenchResult, b: BenchResult, metric: 'PublishLatency' | 'EndToEndLatency'): LatencyDelta => {
  const d = (s: '50pct' | '99pct' | 'Max') =>
    Math.round((aggregatedValue(a, metric, s) - aggregatedValue(b, metric, s)) * 1000) / 1000;
  return { p50: d('50pct'), p99: d('99pct'), max: d('Max') };
};

const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 1000) / 1000 : 0);

/**
 * Runs the workload on every stream, one after another, and returns per-target outcomes. Never throws for
 * a target's failure: it is recorded in that target's entry.
 */
export async function runBench(loaded: LoadedWorkload, options: BenchOptions): Promise<BenchReport> {
  const report: BenchReport = {
    workload: loaded.workload.name,
    workloadFile: loaded.path,
    startedAt: new Date().toISOString(),
    warmupSeconds: options.durations.warmupMs / 1000,
    testSeconds: options.durations.testMs / 1000,
    aborted: false,
    targets: [],
  };
  const sampleIntervalMs = options.sampleIntervalMs ?? Math.max(200, Math.min(10_000, Math.floor(options.durations.testMs / 5)));
  const connectTimeoutMs = options.connectTimeoutMs ?? 30_000;
  for (const stream of options.streams) {
    if (options.signal?.aborted) break;
    const outcome: TargetOutcome = { stream };
    report.targets.push(outcome);
    try {
      parseUri(stream, '--stream');
      const baseline = options.overhead ? await baselineFor(stream) : undefined;
      const rounds = options.overhead && baseline?.available ? Math.max(1, options.overheadRounds ?? 2) : 1;
      if (options.sweep) {
        await sweepTarget(loaded, options, outcome, baseline, sampleIntervalMs, connectTimeoutMs);
        continue;
      }
      const plan: Array<'speedlayer' | 'raw'> = [];
      for (let r = 0; r < rounds; r++)
        plan.push(...(r % 2 === 0 ? (['speedlayer', 'raw'] as const) : (['raw', 'speedlayer'] as const)));
      if (!(options.overhead && baseline?.available)) plan.splice(0, plan.length, 'speedlayer');
      const parts: Record<'speedlayer' | 'raw', Measurement[]> = { speedlayer: [], raw: [] };
      let runNo = 0;
      for (const side of plan) {
        if (options.signal?.aborted) break;
        runNo++;
        const driver = await openDriver(stream, side, options, baseline, connectTimeoutMs);
        outcome.target ??= driver.target;
        try {
          const m = await runWorkload(driver, {
            workload: loaded.workload,
            payloads: loaded.payloads,
            durations: options.durations,
            sampleIntervalMs,
            ...(options.signal ? { signal: options.signal } : {}),
            onProgress: (p) => options.onProgress?.({ ...p, stream, client: driver.name, run: runNo, runs: plan.length }),
            setupTimeoutMs: connectTimeoutMs,
          }).catch((e: unknown) => {
            throw annotate(e, stream, driver.name);
          });
          parts[side].push(m);
        } finally {
          await withTimeout(driver.close(), 15_000, `${stream}: close`).catch(() => undefined);
        }
      }
      const ctx = { workload: loaded.workload, stream, warmupMs: options.durations.warmupMs, sampleIntervalMs };
      if (parts.speedlayer.length > 0) outcome.result = toBenchResult(mergeMeasurements(parts.speedlayer), ctx);
      if (options.overhead) {
        if (!baseline?.available) outcome.overhead = { done: false, reason: baseline?.reason ?? 'no baseline' };
        else if (parts.raw.length === 0 || !outcome.result)
          outcome.overhead = { done: false, reason: 'stopped before the raw client ran' };
        else {
          const raw = toBenchResult(mergeMeasurements(parts.raw), ctx);
          const sl = outcome.result;
          outcome.overhead = {
            done: true,
            baseline: baseline.name,
            rounds,
            publishThroughputRatio: ratio(sl.speedlayer.avgPublishRate, raw.speedlayer.avgPublishRate),
            consumeThroughputRatio: ratio(sl.speedlayer.avgConsumeRate, raw.speedlayer.avgConsumeRate),
            publishLatencyDeltaMs: latencyDelta(sl, raw, 'PublishLatency'),
            endToEndLatencyDeltaMs: latencyDelta(sl, raw, 'EndToEndLatency'),
            raw,
          };
        }
      }
      await addCost(outcome, options);
    } catch (e) {
      outcome.error = errorOf(e);
    }
  }
  report.aborted = options.signal?.aborted ?? false;
  return report;
}

async function addCost(outcome: TargetOutcome, options: BenchOptions): Promise<void> {
  if (!options.costTarget || !outcome.result || !outcome.target) return;
  const profile = await options.costTarget(outcome.target);
  outcome.cost = profile
    ? estimateCost(outcome.result, profile, { retentionHours: options.costRetentionHours ?? 24 })
    : { done: false, reason: `the planner has no price table for ${outcome.target} (it runs on your own machine)` };
}

async function openDriver(
  stream: string,
  side: 'speedlayer' | 'raw',
  options: BenchOptions,
  baseline: BaselineLookup | undefined,
  connectTimeoutMs: number,
): Promise<BenchDriver> {
  const open = async (): Promise<BenchDriver> =>
    side === 'speedlayer'
      ? speedlayerDriver(stream, {
          ...(options.sendMode ? { sendMode: options.sendMode } : {}),
          ...(options.batchSize ? { batchSize: options.batchSize } : {}),
        })
      : (baseline as { open: () => Promise<BenchDriver> }).open();
  return withTimeout(open(), connectTimeoutMs, `${stream}: connect`, (d) => void d.close().catch(() => {})).catch(
    (e: unknown) => {
      throw annotate(e, stream, side === 'speedlayer' ? 'speedlayer' : (baseline as { name: string }).name);
    },
  );
}

/** `--rates` / `--sweep` on one stream: speedlayer, then (with `overhead`) the raw client, the same steps each. */
async function sweepTarget(
  loaded: LoadedWorkload,
  options: BenchOptions,
  outcome: TargetOutcome,
  baseline: BaselineLookup | undefined,
  sampleIntervalMs: number,
  connectTimeoutMs: number,
): Promise<void> {
  const stream = outcome.stream;
  const sides: Array<'speedlayer' | 'raw'> = options.overhead && baseline?.available ? ['speedlayer', 'raw'] : ['speedlayer'];
  const results: Partial<Record<'speedlayer' | 'raw', SweepResult>> = {};
  const ctx = { workload: loaded.workload, stream, warmupMs: options.durations.warmupMs, sampleIntervalMs };
  for (const side of sides) {
    if (options.signal?.aborted) break;
    const driver = await openDriver(stream, side, options, baseline, connectTimeoutMs);
    outcome.target ??= driver.target;
    try {
      const { sweep, best } = await runSweep(driver, {
        ...(options.sweep as SweepOptions),
        workload: loaded.workload,
        payloads: loaded.payloads,
        durations: options.durations,
        sampleIntervalMs,
        setupTimeoutMs: connectTimeoutMs,
        ...(options.signal ? { signal: options.signal } : {}),
        onStep: (step) => options.onSweepStep?.({ stream, client: driver.name, step }),
      }).catch((e: unknown) => {
        throw annotate(e, stream, driver.name);
      });
      results[side] = sweep;
      if (side === 'speedlayer' && best) outcome.result = toBenchResult(best, ctx);
    } finally {
      await withTimeout(driver.close(), 15_000, `${stream}: close`).catch(() => undefined);
    }
  }
  if (results.speedlayer) {
    const sl = results.speedlayer.maxSustainedRate;
    const raw = results.raw?.maxSustainedRate;
    outcome.sweep = {
      speedlayer: results.speedlayer,
      ...(results.raw ? { raw: results.raw } : {}),
      ...(sl !== null && raw !== undefined && raw !== null && raw > 0 ? { maxSustainedRatio: ratio(sl, raw) } : {}),
    };
  }
  await addCost(outcome, options);
}

function annotate(e: unknown, stream: string, client: string): unknown {
  if (isSpeedlayerError(e)) {
    if (!e.message.includes(stream)) e.message = `${stream} (${client}): ${e.message}`;
    return e;
  }
  return new Error(`${stream} (${client}): ${describeError(e)}`, { cause: e });
}
