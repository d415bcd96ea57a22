/**
 * Middleware of the portable client: plain functions around `send()` and around the handler, in an ordered
 * chain (the first in the list is the outermost), as watermill's router middleware. Handler retries and
 * dead-lettering are built into core's consumer engine (driven by each error's `retriable` flag); the
 * middleware here adds what an application chooses: timeouts, de-duplication, send retries, tracing hooks.
 *
 * @example
 * ```ts
 * import { connect, handlerTimeout, dedupe } from '@speedlayer/core';
 * const client = await connect('local://./data', { middleware: [handlerTimeout(5_000), dedupe({ header: 'id' })] });
 * ```
 *
 * @packageDocumentation
 */
import { TimeoutError } from './errors.js';
import type { ConsumedMessage, ProducerRecord, RecordMetadata } from './message.js';
import { type RetryOptions, retry } from './retry.js';
import type { HandlerContext } from './stream.js';

/** One `send()` call as middleware sees it. */
export interface SendCall {
  /** The topic. */
  topic: string;
  /** The call's records (already validated); middleware may replace them (e.g. add headers). */
  records: ProducerRecord[];
  /** The caller's abort signal. */
  signal?: AbortSignal | undefined;
}

/** The rest of the send chain. */
export type SendNext = (call: SendCall) => Promise<RecordMetadata[]>;
/** Wraps `send()`. */
export type SendMiddleware = (call: SendCall, next: SendNext) => Promise<RecordMetadata[]>;
/** The rest of the handle chain. */
export type HandleNext = (message: ConsumedMessage, context: HandlerContext) => Promise<void>;
/** Wraps the handler: throw to fail the attempt (retried or dead-lettered by the engine). */
export type HandleMiddleware = (message: ConsumedMessage, context: HandlerContext, next: HandleNext) => Promise<void>;

/** A named middleware; either side may be absent. */
export interface Middleware {
  /** Shown in logs and errors. */
  name: string;
  /** Around each `send()` call (before batching). */
  send?: SendMiddleware;
  /** Around each handler attempt. */
  handle?: HandleMiddleware;
  /**
   * Whether to use it at all, asked when a producer or subscription is created (e.g. telemetry without an SDK
   * steps out of the hot path). @default always
   */
  active?: () => boolean;
}

/** The middleware of `chain` that are active now. */
export function activeMiddleware(chain: readonly Middleware[]): Middleware[] {
  return chain.filter((m) => m.active?.() !== false);
}

/** Composes the send sides of `chain` around `last`. */
export function composeSend(chain: readonly Middleware[], last: SendNext): SendNext {
  let next = last;
  for (let i = chain.length - 1; i >= 0; i--) {
    const mw = chain[i]?.send;
    if (!mw) continue;
    const inner = next;
    next = (call) => mw(call, inner);
  }
  return next;
}

/** Composes the handle sides of `chain` around `last`. */
export function composeHandle(chain: readonly Middleware[], last: HandleNext): HandleNext {
  let next = last;
  for (let i = chain.length - 1; i >= 0; i--) {
    const mw = chain[i]?.handle;
    if (!mw) continue;
    const inner = next;
    next = (message, context) => mw(message, context, inner);
  }
  return next;
}

/**
 * Fails a handler attempt that runs longer than `ms` with a retriable `TimeoutError`, and aborts the `signal`
 * the handler was given for that attempt so it can stop.
 */
export function handlerTimeout(ms: number): Middleware {
  return {
    name: 'handler-timeout',
    handle: (message, context, next) => {
      const controller = new AbortController();
      const onOuter = () => controller.abort(context.signal.reason);
      context.signal.addEventListener('abort', onOuter, { once: true });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const error = new TimeoutError(
            `handler of ${message.topic}/${message.partition}@${message.position} ran longer than ${ms} ms`,
            { field: 'handlerTimeout' },
          );
          controller.abort(error);
          reject(error);
        }, ms);
      });
      return Promise.race([next(message, { ...context, signal: controller.signal }), timeout]).finally(() => {
        clearTimeout(timer);
        context.signal.removeEventListener('abort', onOuter);
      });
    },
  };
}

/** Options of {@link dedupe}. */
export interface DedupeOptions {
  /** Header holding a message id; messages without it are never skipped. Ignored when `id` is given. @default 'id' */
  header?: string;
  /** Computes a message's id (return undefined to never skip it). */
  id?: (message: ConsumedMessage) => string | undefined;
  /** Ids remembered (least recently seen forgotten first). @default 100000 */
  capacity?: number;
}

/**
 * Skips a message whose id was handled successfully before by this subscription's process (an at-least-once
 * target redelivers after rebalances and restarts; producers retry). The memory is per process and bounded:
 * it narrows duplicates, it is not exactly-once.
 */
export function dedupe(options: DedupeOptions = {}): Middleware {
  const header = options.header ?? 'id';
  const idOf = options.id ?? ((m: ConsumedMessage) => m.headers[header]);
  const capacity = Math.max(1, options.capacity ?? 100_000);
  const seen = new Map<string, true>();
  return {
    name: 'dedupe',
    handle: async (message, context, next) => {
      const id = idOf(message);
      if (id !== undefined) {
        const k = `${message.topic}\u0000${id}`;
        if (seen.has(k)) return;
        await next(message, context);
        seen.set(k, true);
        if (seen.size > capacity) seen.delete(seen.keys().next().value as string);
        return;
      }
      await next(message, context);
    },
  };
}

/**
 * Retries a failed `send()` with core's {@link retry} while the error is retriable. A retried call may be
 * written twice when the target acknowledged it but the answer was lost (unless the target has
 * `idempotentProduce`): use with consumers that tolerate duplicates (or {@link dedupe}).
 */
export function retrySends(options: RetryOptions = {}): Middleware {
  return {
    name: 'retry-sends',
    send: (call, next) => retry(() => next(call), { ...options, ...(call.signal ? { signal: call.signal } : {}) }),
  };
}
