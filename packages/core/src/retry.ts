/**
 * Retry with exponential backoff and full jitter, driven by the errors' `retriable` flag.
 *
 * @packageDocumentation
 */
import { isSpeedlayerError } from './errors.js';

/** Retry policy. */
export interface RetryOptions {
  /** Attempts in all, the first included. @default 5 */
  attempts?: number;
  /** First delay in ms. @default 100 */
  initialMs?: number;
  /** Largest delay in ms. @default 5000 */
  maxMs?: number;
  /** Growth factor. @default 2 */
  factor?: number;
  /** Randomize delays over [0, delay] (full jitter). @default true */
  jitter?: boolean;
  /** Decides whether an error is worth another attempt. @default speedlayer errors by `retriable`, others yes */
  isRetriable?: (error: unknown) => boolean;
  /** Aborts waiting between attempts. */
  signal?: AbortSignal;
  /** Called before each wait. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/** A fast profile for tests: same logic, tiny delays. */
export const FAST_RETRY: Readonly<RetryOptions> = Object.freeze({ initialMs: 1, maxMs: 10, jitter: false });

/** Delay before attempt `attempt + 1` (attempt counts from 1). */
export function backoffDelay(attempt: number, options: RetryOptions = {}, random: () => number = Math.random): number {
  const initial = options.initialMs ?? 100;
  const max = options.maxMs ?? 5000;
  const factor = options.factor ?? 2;
  const base = Math.min(max, initial * factor ** Math.max(0, attempt - 1));
  return options.jitter === false ? base : Math.round(base * random());
}

/** Default retriable check: speedlayer errors say so themselves; unknown errors are worth one more try. */
export function defaultIsRetriable(error: unknown): boolean {
  return isSpeedlayerError(error) ? error.retriable : true;
}

/** Sleeps `ms`, resolving early (without throwing) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs `fn` until it succeeds, a non-retriable error is thrown, or the attempts are used up.
 * @throws the last error.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 5;
  const isRetriable = options.isRetriable ?? defaultIsRetriable;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt >= attempts || !isRetriable(e) || options.signal?.aborted) throw e;
      const delay = backoffDelay(attempt, options);
      options.onRetry?.(e, attempt, delay);
      await sleep(delay, options.signal);
    }
  }
}
