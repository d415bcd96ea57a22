/**
 * Runs one OMB workload on one driver: creates the topics, starts the consumers, then produces on the rate
 * schedule through a warm-up and a measured phase, sampling rates, backlog and latency histograms every
 * interval. Stops early and keeps what was measured when its signal aborts.
 *
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import { sleep, TimeoutError } from '@speedlayer/core';
import { type BenchConsumer, type BenchDriver, type BenchProducer, nowUs, SENT_AT_HEADER } from './driver.js';
import { LatencyRecorder, type LatencySummary } from './histogram.js';
import { MaxRateController, producerSchedules, type RateSchedule } from './rate.js';
import type { Durations, KeyDistributorType, OmbWorkload } from './workload.js';

/** One sample of the time series (OMB logs one every 10 s). */
export interface IntervalSample {
  /** Seconds since the measured phase began (end of the interval). */
  atSeconds: number;
  /** Acknowledged messages per second. */
  publishRate: number;
  /** Failed sends per second. */
  publishErrorRate: number;
  /** Received messages per second (all subscriptions). */
  consumeRate: number;
  /** Messages sent but not yet received, over all subscriptions. */
  backlog: number;
  /** Publish latency, µs. */
  publishLatency: LatencySummary;
  /** Publish delay (intended vs actual send), µs. */
  publishDelay: LatencySummary;
  /** End-to-end latency, µs. */
  endToEnd: LatencySummary;
  /** Target rate of the schedule at the end of the interval (msg/s). */
  targetRate: number;
}

/** Totals of the measured phase. */
export interface PhaseTotals {
  /** Acknowledged messages. */
  sent: number;
  /** Failed sends. */
  errors: number;
  /** Received messages (all subscriptions). */
  received: number;
  /** Payload bytes acknowledged. */
  bytesSent: number;
  /** Payload bytes received. */
  bytesReceived: number;
  /** Length of the measured phase in ms. */
  durationMs: number;
}

/** What one run measured. */
export interface Measurement {
  /** Driver name (`speedlayer`, `raw-lmdb`, ...). */
  driver: string;
  /** Target id. */
  target: string;
  /** Time series of the measured phase. */
  intervals: IntervalSample[];
  /** Aggregates of the measured phase. */
  publishLatency: LatencyRecorder;
  publishDelay: LatencyRecorder;
  endToEnd: LatencyRecorder;
  /** Totals of the measured phase. */
  totals: PhaseTotals;
  /** True when stopped by the signal before the end. */
  aborted: boolean;
  /** Phase reached when it stopped. */
  phase: 'setup' | 'warmup' | 'test' | 'done';
  /** First publish error seen, if any. */
  firstError?: string;
  /** For `producerRate: 0`: the rate the search settled on (msg/s), and its steps. */
  maxRate?: { final: number; steps: number[] };
}

/** A progress update (about once a second). */
export interface Progress {
  /** `warmup` or `test`. */
  phase: 'warmup' | 'test';
  /** ms into the phase. */
  elapsedMs: number;
  /** Length of the phase in ms. */
  phaseMs: number;
  /** Messages acknowledged per second, last second. */
  publishRate: number;
  /** Messages received per second, last second. */
  consumeRate: number;
  /** Current backlog. */
  backlog: number;
}

/** Options of {@link runWorkload}. */
export interface RunOptions {
  /** The workload. */
  workload: OmbWorkload;
  /** Payloads to cycle through. */
  payloads: readonly Uint8Array[];
  /** Warm-up and measured phase lengths. */
  durations: Durations;
  /** Time-series interval in ms. @default 10000 (OMB's), or a fifth of the test when shorter */
  sampleIntervalMs?: number;
  /** Stops the run early; what was measured is kept. */
  signal?: AbortSignal;
  /** Progress updates. */
  onProgress?: (p: Progress) => void;
  /** Sends awaiting acknowledgement per producer before it waits. @default 1000 */
  maxInFlightPerProducer?: number;
  /** Leave the topics on the target afterwards. @default false */
  keepTopics?: boolean;
  /** Time allowed for in-flight sends and consumer shutdown at the end, ms. @default 10000 */
  drainTimeoutMs?: number;
  /** Time allowed for each topic, consumer and producer creation, ms. @default 30000 */
  setupTimeoutMs?: number;
}

const tick = () => new Promise<void>((r) => setImmediate(r));

/** OMB's key distributors over a fixed pool of 10,000 random keys. */
export function keyDistributor(type: KeyDistributorType, poolSize = 10_000): () => string | undefined {
  if (type === 'NO_KEY') return () => undefined;
  const keys = Array.from({ length: poolSize }, () => randomBytes(4).toString('hex').slice(0, 7));
  if (type === 'KEY_ROUND_ROBIN') {
    let i = 0;
    return () => keys[i++ % keys.length];
  }
  return () => keys[Number(process.hrtime.bigint() % BigInt(keys.length))];
}

/** Topic names of a run: short, unique, valid on every target. */
export function topicNames(workloadName: string, topics: number, runId: string): string[] {
  const base =
    workloadName
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 24) || 'workload';
  return Array.from({ length: topics }, (_, i) => `slbench-${base}-${runId}-${i}`);
}

async function guard<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(
      () => reject(new TimeoutError(`${what}: no answer within ${Math.round(ms / 1000)} s`, { retriable: true })),
      ms,
    );
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(t);
  }
}

async function withDeadline<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((r) => {
    t = setTimeout(() => r(undefined), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(t);
  }
}

/**
 * Runs `options.workload` on `driver` and returns what was measured. Never throws for publish errors (they
 * are counted); throws when topics, producers or consumers cannot be created.
 */
export async function runWorkload(driver: BenchDriver, options: RunOptions): Promise<Measurement> {
  const w = options.workload;
  const { warmupMs, testMs } = options.durations;
  const sampleMs = options.sampleIntervalMs ?? Math.max(200, Math.min(10_000, Math.floor(testMs / 5)));
  const cap = options.maxInFlightPerProducer ?? 1000;
  const signal = options.signal;
  const runId = randomBytes(3).toString('hex');
  const topics = topicNames(w.name, w.topics, runId);

  const publishLatency = new LatencyRecorder();
  const publishDelay = new LatencyRecorder();
  const endToEnd = new LatencyRecorder();
  // absolute counters (backlog) and phase counters (rates)
  let sentAll = 0;
  let receivedAll = 0;
  let sent = 0;
  let errors = 0;
  let received = 0;
  let bytesSent = 0;
  let bytesReceived = 0;
  let firstError: string | undefined;
  let inFlight = 0;
  let stopping = false;
  let phase: Measurement['phase'] = 'setup';
  const wakers: Array<() => void> = [];
  const wake = () => {
    for (const f of wakers.splice(0)) f();
  };

  const consumers: BenchConsumer[] = [];
  const producers: BenchProducer[] = [];
  const measurement: Measurement = {
    driver: driver.name,
    target: driver.target,
    intervals: [],
    publishLatency,
    publishDelay,
    endToEnd,
    totals: { sent: 0, errors: 0, received: 0, bytesSent: 0, bytesReceived: 0, durationMs: 0 },
    aborted: false,
    phase,
  };
  const backlog = () => Math.max(0, sentAll * w.subscriptionsPerTopic - receivedAll);
  try {
    const setupMs = options.setupTimeoutMs ?? 30_000;
    for (const t of topics) await guard(driver.createTopic(t, w.partitionsPerTopic), setupMs, `create topic ${t}`);
    for (const t of topics) {
      for (let s = 0; s < w.subscriptionsPerTopic; s++) {
        const group = `sub-${runId}-${s}`;
        for (let c = 0; c < w.consumerPerSubscription; c++) {
          const onMessage = (headers: Readonly<Record<string, string>>, bytes: number) => {
            receivedAll++;
            received++;
            bytesReceived += bytes;
            const at = headers[SENT_AT_HEADER];
            if (at !== undefined) endToEnd.record(nowUs() - Number(at));
          };
          consumers.push(await guard(driver.createConsumer(t, group, onMessage), setupMs, `subscribe ${group} to ${t}`));
        }
      }
    }
    const topicProducers: Array<{ topic: string; producer: BenchProducer }> = [];
    for (const t of topics) {
      for (let p = 0; p < w.producersPerTopic; p++) {
        const producer = await guard(driver.createProducer(t), setupMs, `create producer for ${t}`);
        producers.push(producer);
        topicProducers.push({ topic: t, producer });
      }
    }

    const controller =
      w.producerRate === 0 ? new MaxRateController({ startRate: 100, maxInFlight: cap * topicProducers.length }) : undefined;
    let targetRate = controller ? controller.rate : w.producerRate;
    const schedules: RateSchedule[] = producerSchedules(targetRate, topicProducers.length, nowUs());
    // In max-rate mode, no more than half a second of traffic waits for acknowledgements (all producers), so a
    // slow client cannot queue minutes of sends while the search is still high.
    const inFlightCap = controller
      ? () => Math.min(cap * topicProducers.length, Math.max(16, Math.ceil(targetRate * 0.5)))
      : () => cap * topicProducers.length;
    const nextKey = keyDistributor(w.keyDistributor);
    let payloadIndex = 0;

    const produceLoop = async (producer: BenchProducer, schedule: RateSchedule) => {
      let burst = 0;
      while (!stopping) {
        const intended = schedule.next();
        for (;;) {
          const wait = intended - nowUs();
          if (wait <= 0 || stopping) break;
          if (wait >= 1500) await sleep(Math.floor(wait / 1000) - 1);
          else await tick();
          burst = 0;
        }
        while (inFlight >= inFlightCap() && !stopping) await new Promise<void>((r) => wakers.push(r));
        if (stopping) break;
        const start = nowUs();
        publishDelay.record(start - intended);
        const payload = options.payloads[payloadIndex++ % options.payloads.length]!;
        inFlight++;
        producer.send(nextKey(), payload, { [SENT_AT_HEADER]: String(Math.round(start)) }).then(
          () => {
            publishLatency.record(nowUs() - start);
            sentAll++;
            sent++;
            bytesSent += payload.byteLength;
            inFlight--;
            wake();
          },
          (e: unknown) => {
            errors++;
            firstError ??= e instanceof Error ? e.message : String(e);
            inFlight--;
            wake();
          },
        );
        if (++burst >= 64) {
          burst = 0;
          await tick();
        }
      }
    };

    // Progress and max-rate steps, once a second.
    let last = { at: performance.now(), sent: sentAll, received: receivedAll, errors };
    let phaseStart = performance.now();
    let phaseMs = warmupMs;
    const steps: number[] = [];
    const everySecond = setInterval(() => {
      const now = performance.now();
      const secs = (now - last.at) / 1000;
      const pub = (sentAll - last.sent) / secs;
      const cons = (receivedAll - last.received) / secs;
      const errs = errors - last.errors;
      last = { at: now, sent: sentAll, received: receivedAll, errors };
      if (controller) {
        const perSub = Math.max(1, w.subscriptionsPerTopic);
        targetRate = controller.step({
          publishRate: pub,
          consumeRate: w.subscriptionsPerTopic === 0 ? pub : cons / perSub,
          backlog: backlog() / perSub,
          inFlight,
          errors: errs,
        });
        steps.push(Math.round(targetRate));
        const t = nowUs();
        for (const s of schedules) s.setRate(targetRate / schedules.length, t);
      }
      if (phase === 'warmup' || phase === 'test') {
        options.onProgress?.({
          phase,
          elapsedMs: now - phaseStart,
          phaseMs,
          publishRate: pub,
          consumeRate: cons,
          backlog: backlog(),
        });
      }
    }, 1000);

    phase = 'warmup';
    const loops = topicProducers.map(({ producer }, i) => produceLoop(producer, schedules[i]!));
    try {
      if (warmupMs > 0) await sleep(warmupMs, signal);
      // Measured phase: forget the warm-up.
      phase = 'test';
      phaseStart = performance.now();
      phaseMs = testMs;
      publishLatency.reset();
      publishDelay.reset();
      endToEnd.reset();
      sent = 0;
      errors = 0;
      received = 0;
      bytesSent = 0;
      bytesReceived = 0;
      last = { at: performance.now(), sent: sentAll, received: receivedAll, errors };
      const testStart = performance.now();
      let sampleStart = testStart;
      let prev = { sent: 0, errors: 0, received: 0 };
      const takeSample = () => {
        const now = performance.now();
        const secs = Math.max(1e-3, (now - sampleStart) / 1000);
        measurement.intervals.push({
          atSeconds: (now - testStart) / 1000,
          publishRate: (sent - prev.sent) / secs,
          publishErrorRate: (errors - prev.errors) / secs,
          consumeRate: (received - prev.received) / secs,
          backlog: backlog(),
          publishLatency: publishLatency.takeInterval(),
          publishDelay: publishDelay.takeInterval(),
          endToEnd: endToEnd.takeInterval(),
          targetRate,
        });
        prev = { sent, errors, received };
        sampleStart = now;
      };
      const end = testStart + testMs;
      while (!signal?.aborted) {
        const now = performance.now();
        if (now >= end) break;
        await sleep(Math.min(sampleMs - (now - sampleStart), end - now), signal);
        if (performance.now() - sampleStart >= sampleMs - 1 || performance.now() >= end) takeSample();
      }
      if (performance.now() - sampleStart > Math.min(200, sampleMs / 5)) takeSample();
      measurement.totals = { sent, errors, received, bytesSent, bytesReceived, durationMs: performance.now() - testStart };
      if (!signal?.aborted) phase = 'done';
    } finally {
      measurement.aborted = signal?.aborted ?? false;
      measurement.phase = phase;
      if (phase === 'warmup') {
        measurement.totals = { sent, errors, received, bytesSent, bytesReceived, durationMs: performance.now() - phaseStart };
      }
      stopping = true;
      wake();
      clearInterval(everySecond);
      await Promise.all(loops);
      // Let acknowledgements in flight land (not counted in the measured phase any more).
      const drainUntil = performance.now() + (options.drainTimeoutMs ?? 10_000);
      while (inFlight > 0 && performance.now() < drainUntil) await sleep(5);
      if (controller) measurement.maxRate = { final: Math.round(controller.rate), steps };
      if (firstError !== undefined) measurement.firstError = firstError;
    }
  } finally {
    const drainMs = options.drainTimeoutMs ?? 10_000;
    await withDeadline(Promise.allSettled(consumers.map((c) => c.close())), drainMs);
    await withDeadline(Promise.allSettled(producers.map((p) => p.close())), drainMs);
    if (!options.keepTopics) {
      for (const t of topics)
        await withDeadline(
          driver.deleteTopic(t).catch(() => undefined),
          drainMs,
        );
    }
  }
  return measurement;
}

/** Merges the measurements of interleaved rounds of one driver into one. */
export function mergeMeasurements(parts: readonly Measurement[]): Measurement {
  const first = parts[0];
  if (!first) throw new RangeError('nothing to merge');
  const merged: Measurement = {
    driver: first.driver,
    target: first.target,
    intervals: [],
    publishLatency: new LatencyRecorder(),
    publishDelay: new LatencyRecorder(),
    endToEnd: new LatencyRecorder(),
    totals: { sent: 0, errors: 0, received: 0, bytesSent: 0, bytesReceived: 0, durationMs: 0 },
    aborted: parts.some((p) => p.aborted),
    phase: parts[parts.length - 1]!.phase,
  };
  let offset = 0;
  for (const p of parts) {
    for (const s of p.intervals) merged.intervals.push({ ...s, atSeconds: s.atSeconds + offset });
    offset += p.totals.durationMs / 1000;
    merged.publishLatency.addAggregate(p.publishLatency);
    merged.publishDelay.addAggregate(p.publishDelay);
    merged.endToEnd.addAggregate(p.endToEnd);
    for (const k of Object.keys(merged.totals) as Array<keyof PhaseTotals>) merged.totals[k] += p.totals[k];
    if (p.firstError !== undefined && merged.firstError === undefined) merged.firstError = p.firstError;
    if (p.maxRate) merged.maxRate = p.maxRate;
  }
  return merged;
}
