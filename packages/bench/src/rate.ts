/**
 * Rate scheduling. Every message has an *intended* send time fixed by the schedule, independent of how long
 * earlier sends took; the gap between intended and actual send time is the publish delay, which makes
 * coordinated omission visible (OMB #247 / PR #248). `producerRate: 0` uses {@link MaxRateController}.
 *
 * @packageDocumentation
 */

/** Intended send times of a constant-rate schedule, in microseconds on the caller's clock. */
export class RateSchedule {
  private base: number;
  private index = 0;
  private intervalUs: number;

  /**
   * @param ratePerSec messages per second (> 0)
   * @param startUs time of the first message
   */
  constructor(ratePerSec: number, startUs: number) {
    if (!(ratePerSec > 0) || !Number.isFinite(ratePerSec)) throw new RangeError(`rate must be > 0, got ${ratePerSec}`);
    this.intervalUs = 1_000_000 / ratePerSec;
    this.base = startUs;
  }

  /** Messages per second. */
  get rate(): number {
    return 1_000_000 / this.intervalUs;
  }

  /** Intended time of the next message (and advances). */
  next(): number {
    return this.base + this.index++ * this.intervalUs;
  }

  /** Intended time of the next message without advancing. */
  peek(): number {
    return this.base + this.index * this.intervalUs;
  }

  /**
   * Changes the rate from `nowUs` on: the new schedule starts at `nowUs` (the max-rate search restarts its
   * schedule at each step; delays already recorded stay recorded).
   */
  setRate(ratePerSec: number, nowUs: number): void {
    if (!(ratePerSec > 0) || !Number.isFinite(ratePerSec)) throw new RangeError(`rate must be > 0, got ${ratePerSec}`);
    this.intervalUs = 1_000_000 / ratePerSec;
    this.base = nowUs;
    this.index = 0;
  }
}

/** Splits a total rate over producers; each producer's schedule is offset so sends interleave. */
export function producerSchedules(totalRate: number, producers: number, startUs: number): RateSchedule[] {
  const per = totalRate / producers;
  const interval = 1_000_000 / totalRate;
  return Array.from({ length: producers }, (_, i) => new RateSchedule(per, startUs + i * interval));
}

/** What the max-rate controller sees at each step. */
export interface RateObservation {
  /** Messages acknowledged per second in the last step. */
  publishRate: number;
  /** Messages received per second (all subscriptions) in the last step, divided by subscriptions. */
  consumeRate: number;
  /** Messages sent but not yet received (per subscription). */
  backlog: number;
  /** Sends waiting for an acknowledgement. */
  inFlight: number;
  /** Sends that failed in the last step. */
  errors: number;
}

/** Options of {@link MaxRateController}. */
export interface MaxRateOptions {
  /** First rate tried, msg/s. @default 1000 */
  startRate?: number;
  /** Lowest rate, msg/s. @default 10 */
  minRate?: number;
  /** Highest rate, msg/s. @default 1_000_000 */
  maxRate?: number;
  /** Backlog that counts as "keeping up", in seconds of the current rate. @default 0.5 */
  backlogSeconds?: number;
  /** Sends in flight that count as saturation. @default 1000 */
  maxInFlight?: number;
}

/**
 * Finds the maximum sustainable rate for `producerRate: 0`: multiplicative increase while publish and consume
 * keep up with the target and the backlog stays under half a second of traffic, a step back (to what was
 * actually achieved) when they do not. Pure: feed it one observation per step.
 */
export class MaxRateController {
  private current: number;
  private readonly min: number;
  private readonly max: number;
  private readonly backlogSeconds: number;
  private readonly maxInFlight: number;
  private ceiling = Number.POSITIVE_INFINITY;

  constructor(options: MaxRateOptions = {}) {
    this.current = options.startRate ?? 1000;
    this.min = options.minRate ?? 10;
    this.max = options.maxRate ?? 1_000_000;
    this.backlogSeconds = options.backlogSeconds ?? 0.5;
    this.maxInFlight = options.maxInFlight ?? 1000;
  }

  /** The rate to use now. */
  get rate(): number {
    return this.current;
  }

  /** Takes one step's observation and returns the next rate. */
  step(o: RateObservation): number {
    const allowedBacklog = Math.max(100, this.current * this.backlogSeconds);
    // Sends queued for an acknowledgement count like backlog: a client that queues instead of sending is behind.
    const behind =
      o.errors > 0 ||
      o.inFlight >= this.maxInFlight ||
      o.inFlight > allowedBacklog ||
      o.backlog > allowedBacklog ||
      o.publishRate < this.current * 0.9 ||
      o.consumeRate < this.current * 0.8;
    if (behind) {
      this.ceiling = this.current;
      const achieved = Math.min(o.publishRate, o.consumeRate > 0 ? o.consumeRate : o.publishRate);
      // Step below what was achieved so queued sends can drain.
      this.current = Math.max(this.min, Math.min(this.current * 0.8, achieved * 0.9));
    } else {
      // Grow fast far from the last failure, slowly near it.
      const factor = this.current * 1.5 < this.ceiling ? 1.5 : 1.05;
      this.current = Math.min(this.max, this.current * factor);
    }
    return this.current;
  }
}
