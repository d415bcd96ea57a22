/**
 * The worker runtime: loads a team's handler module and consumes with the core consumer. Containers and
 * local processes run this same code (`speedlayer worker ...`).
 *
 * A handler module exports a default function (or `handler`) taking a {@link ConsumedMessage}; it may also
 * export `setup(context)` and `teardown()`.
 *
 * @packageDocumentation
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, TimeoutError } from './errors.js';
import type { ConsumedMessage } from './message.js';
import { connect } from './registry.js';
import type { Logger, MessageHandler, StartPosition, Subscription, SubscriptionStats } from './stream.js';
import { silentLogger } from './stream.js';

/** What a handler module's `setup` receives. */
export interface WorkerContext {
  /** Stream URI. */
  stream: string;
  /** Topic read. */
  topic: string;
  /** Consumer group. */
  group: string;
  /** Worker id (replica index or pod name). */
  workerId: string;
}

/** A loaded handler module. */
export interface HandlerModule {
  handler: MessageHandler;
  setup?: (context: WorkerContext) => Promise<void> | void;
  teardown?: () => Promise<void> | void;
}

/** Options of {@link runWorker}. */
export interface WorkerOptions {
  /** Stream URI. */
  stream: string;
  /** Topic to consume. */
  topic: string;
  /** Consumer group. */
  group: string;
  /** Path (or package name) of the handler module. */
  handler: string;
  /** Start position for a group without checkpoints. @default 'earliest' */
  startFrom?: StartPosition;
  /** Handler attempts before dead-lettering. @default 5 */
  maxAttempts?: number;
  /** Messages in flight per partition. @default 1 */
  concurrency?: number;
  /** Dead-letter topic. @default `${topic}.dlq` */
  deadLetterTopic?: string;
  /** Group session timeout in ms (emulated groups). @default 10000 */
  sessionTimeoutMs?: number;
  /** Adapter config. */
  config?: Record<string, unknown>;
  /** Worker id for logs and the handler's context. @default pid */
  workerId?: string;
  /** Logger. */
  logger?: Logger;
  /** Called once the subscription is running (health endpoints, metrics). */
  onSubscribed?: (subscription: Subscription) => void;
  /** Aborting stops the worker gracefully (drain, commit, leave the group). */
  signal: AbortSignal;
  /**
   * Longest time the drain may take after the stop signal: in-flight handlers finish, checkpoints are committed
   * and the member leaves its group. When it passes, the handlers still running are named in the log and the
   * worker fails with a `TimeoutError` (kind `timeout`) without waiting for them. Keep it under the platform's
   * grace period (Kubernetes: 30 s). Environment: `SPEEDLAYER_DRAIN_TIMEOUT_MS`.
   * @default 25000
   */
  drainTimeoutMs?: number;
  /**
   * The worker owns the process's SIGTERM and SIGINT while it runs: the first of either stops it (drain); a
   * repeated SIGTERM during the drain is logged and ignored (wrappers and PID-1 shims forward signals twice); a
   * second SIGINT (Ctrl-C twice) forces an exit (code 130) naming the stuck handlers. Set false when embedding
   * the worker in a process that handles signals itself.
   * @default true
   */
  processSignals?: boolean;
  /**
   * How long the consumer may keep failing (every report an error, no message handled, no partition assigned in
   * between: topic deleted, credentials revoked, broker gone) before the worker reports itself not ready.
   * Environment: `SPEEDLAYER_UNREADY_AFTER_MS`.
   * @default 30000
   */
  unreadyAfterMs?: number;
  /**
   * How long the consumer may keep failing before the worker stops with the last error, so the platform restarts
   * it (a process that retries forever with /healthz at 200 is never restarted). Environment:
   * `SPEEDLAYER_FAIL_AFTER_MS`.
   * @default 120000
   */
  failAfterMs?: number;
  /** Called when readiness changes: false (with the reason) while the consumer cannot consume, true again after. */
  onReadiness?: (ready: boolean, reason?: string) => void;
}

/** One handler call in flight, as named in the logs when a drain overruns. */
export interface InFlightHandler {
  partition: number;
  position: string;
  key: string | null;
  deliveryAttempt: number;
  /** Milliseconds it has been running. */
  runningMs: number;
}

/** A positive whole number of milliseconds from an option, else an environment variable, else `fallback`. */
function msOption(value: number | undefined, field: string, env: string, fallback: number): number {
  const raw = value ?? process.env[env];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    const from = value !== undefined ? field : `${env}=${String(raw)}`;
    throw new ConfigError(`${from}: must be a whole number of milliseconds >= 1`, { field: value !== undefined ? field : env });
  }
  return n;
}

/**
 * Loads a handler module.
 * @throws {@link ConfigError} (field `handler`) when it is missing or exports no function.
 */
export async function loadHandlerModule(spec: string): Promise<HandlerModule> {
  const looksLikePath = spec.startsWith('.') || spec.startsWith('/') || /\.[cm]?[jt]s$/.test(spec);
  const target = looksLikePath ? pathToFileURL(resolve(spec)).href : spec;
  if (looksLikePath && !existsSync(resolve(spec))) {
    throw new ConfigError(`handler: module ${spec} does not exist (resolved to ${resolve(spec)})`, { field: 'handler' });
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(target)) as Record<string, unknown>;
  } catch (e) {
    throw new ConfigError(`handler: cannot load module ${spec}: ${(e as Error).message}`, { field: 'handler', cause: e });
  }
  const fn = typeof mod.default === 'function' ? mod.default : mod.handler;
  if (typeof fn !== 'function') {
    throw new ConfigError(`handler: module ${spec} must export a default function or a function named "handler"`, {
      field: 'handler',
    });
  }
  return {
    handler: fn as MessageHandler,
    ...(typeof mod.setup === 'function' ? { setup: mod.setup as HandlerModule['setup'] } : {}),
    ...(typeof mod.teardown === 'function' ? { teardown: mod.teardown as HandlerModule['teardown'] } : {}),
  } as HandlerModule;
}

/**
 * Runs a consumer until `signal` aborts (or, with `processSignals`, SIGTERM/SIGINT), then drains within
 * `drainTimeoutMs`, commits and leaves the group. While it runs, a consumer that keeps failing turns not ready
 * after `unreadyAfterMs` and stops the worker after `failAfterMs`.
 * @returns the subscription's counters.
 * @throws {@link ConfigError} for a bad URI or handler module; {@link NotFoundError} for a missing topic;
 * {@link TimeoutError} when the drain overran its deadline (the stuck handlers are in the message); the
 * consumer's last error when it kept failing for `failAfterMs`.
 */
export async function runWorker(options: WorkerOptions): Promise<SubscriptionStats> {
  const logger = options.logger ?? silentLogger;
  const drainTimeoutMs = msOption(options.drainTimeoutMs, 'drainTimeoutMs', 'SPEEDLAYER_DRAIN_TIMEOUT_MS', 25_000);
  const unreadyAfterMs = msOption(options.unreadyAfterMs, 'unreadyAfterMs', 'SPEEDLAYER_UNREADY_AFTER_MS', 30_000);
  const failAfterMs = msOption(options.failAfterMs, 'failAfterMs', 'SPEEDLAYER_FAIL_AFTER_MS', 120_000);
  const mod = await loadHandlerModule(options.handler);
  const workerId = options.workerId ?? String(process.pid);

  // What is running now, for the log when a drain overruns or the operator forces an exit.
  const inFlight = new Map<object, { m: ConsumedMessage; since: number }>();
  const stuck = (): InFlightHandler[] =>
    [...inFlight.values()]
      .map(({ m, since }) => ({
        partition: m.partition,
        position: m.position,
        key: m.key,
        deliveryAttempt: m.deliveryAttempt,
        runningMs: Date.now() - since,
      }))
      .sort((a, b) => b.runningMs - a.runningMs);

  // Stop requests: the caller's signal, and the process's signals when the worker owns them.
  const stop = new AbortController();
  let stopReason = 'stop signal';
  const onAbort = () => stop.abort();
  options.signal.addEventListener('abort', onAbort, { once: true });
  if (options.signal.aborted) stop.abort();
  let sigints = 0;
  let sigterms = 0;
  const onSigterm = () => {
    sigterms++;
    if (sigterms === 1) {
      // the first one stops the worker (unless the caller's signal already did, on the same SIGTERM)
      if (!stop.signal.aborted) stopReason = 'SIGTERM';
      stop.abort();
      return;
    }
    logger.warn('SIGTERM again during the drain: ignored (Ctrl-C twice forces an exit)', { workerId, drainTimeoutMs });
  };
  const onSigint = () => {
    sigints++;
    if (sigints === 1) {
      if (!stop.signal.aborted) stopReason = 'SIGINT';
      stop.abort();
      return;
    }
    logger.error('second SIGINT: exiting now without finishing the drain', { workerId, inFlight: stuck() });
    process.exit(130);
  };
  const ownSignals = options.processSignals ?? true;
  if (ownSignals) {
    process.on('SIGTERM', onSigterm);
    process.on('SIGINT', onSigint);
  }

  // Consumer health: a run of errors with no progress in between.
  let failingSince: number | undefined;
  let lastError: unknown;
  let lastErrorAt = 0;
  let ready = true;
  let failed: unknown;
  const healthy = () => {
    failingSince = undefined;
    if (!ready) {
      ready = true;
      logger.info('consuming again: ready', { workerId });
      options.onReadiness?.(true);
    }
  };

  const client = await connect(options.stream, { ...(options.config ? { config: options.config } : {}), logger });
  let healthTimer: NodeJS.Timeout | undefined;
  try {
    await mod.setup?.({ stream: options.stream, topic: options.topic, group: options.group, workerId });
    const sub = await client.subscribe(
      {
        topic: options.topic,
        group: options.group,
        ...(options.startFrom !== undefined ? { startFrom: options.startFrom } : {}),
        ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
        ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
        ...(options.deadLetterTopic !== undefined ? { deadLetterTopic: options.deadLetterTopic } : {}),
        ...(options.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: options.sessionTimeoutMs } : {}),
        onAssignment: (partitions) => {
          logger.info('assignment', { workerId, partitions });
          if (partitions.length > 0) healthy();
        },
        onError: (e) => {
          logger.warn('recoverable error', { workerId, error: String((e as Error)?.message ?? e) });
          lastError = e;
          lastErrorAt = Date.now();
          failingSince ??= lastErrorAt;
        },
      },
      (m: ConsumedMessage, context) => {
        const token = {};
        inFlight.set(token, { m, since: Date.now() });
        let result: ReturnType<MessageHandler>;
        try {
          result = mod.handler(m, context);
        } catch (e) {
          inFlight.delete(token);
          throw e;
        }
        if (!result || typeof (result as Promise<void>).then !== 'function') {
          // a synchronous handler stays synchronous (the engine's fast path needs no promise)
          inFlight.delete(token);
          healthy();
          return;
        }
        return (result as Promise<void>).then(
          () => {
            inFlight.delete(token);
            healthy();
          },
          (e: unknown) => {
            inFlight.delete(token);
            throw e;
          },
        );
      },
    );
    options.onSubscribed?.(sub);
    logger.info('worker started', { workerId, topic: options.topic, group: options.group });

    // Every second: turn not ready, then fail, while the consumer keeps failing.
    healthTimer = setInterval(() => {
      if (failingSince === undefined) return;
      const now = Date.now();
      // errors that stopped coming for as long as the bound are over
      if (now - lastErrorAt >= unreadyAfterMs) return healthy();
      const reason = String((lastError as Error)?.message ?? lastError);
      if (ready && now - failingSince >= unreadyAfterMs) {
        ready = false;
        logger.error('cannot consume: not ready', { workerId, failingForMs: now - failingSince, error: reason });
        options.onReadiness?.(false, reason);
      }
      if (now - failingSince >= failAfterMs && failed === undefined) {
        failed = lastError ?? new TimeoutError(`consumer of ${options.topic} kept failing for ${failAfterMs} ms`);
        logger.error('cannot consume: stopping the worker so it is restarted', { workerId, failingForMs: now - failingSince });
        stopReason = 'consumer failing';
        stop.abort();
      }
    }, 1000);
    healthTimer.unref();

    if (!stop.signal.aborted) {
      await new Promise<void>((r) => stop.signal.addEventListener('abort', () => r(), { once: true }));
    }
    clearInterval(healthTimer);
    logger.info('worker stopping', { workerId, reason: stopReason, drainTimeoutMs, inFlight: inFlight.size });
    options.onReadiness?.(false, 'stopping');
    const stats = sub.stats();
    let timer: NodeJS.Timeout | undefined;
    const overran = await Promise.race([
      sub.close().then(() => false),
      new Promise<true>((r) => {
        timer = setTimeout(() => r(true), drainTimeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    if (overran) {
      const handlers = stuck();
      logger.error('drain deadline passed: handlers still running (not committed; redelivered to the next owner)', {
        workerId,
        drainTimeoutMs,
        stuck: handlers,
      });
      if (ownSignals) {
        // the stuck handlers may keep the event loop alive: exit once the caller has had a moment to report
        setTimeout(() => process.exit(process.exitCode || 1), 2000).unref();
      }
      throw new TimeoutError(
        `drain deadline of ${drainTimeoutMs} ms passed with ${handlers.length} handler(s) still running: ${handlers
          .map((h) => `partition ${h.partition} position ${h.position} (running ${h.runningMs} ms)`)
          .join(', ')}`,
        { retriable: false },
      );
    }
    await mod.teardown?.();
    if (failed !== undefined) throw failed;
    return { ...stats, ...sub.stats() };
  } finally {
    clearInterval(healthTimer);
    options.signal.removeEventListener('abort', onAbort);
    if (ownSignals) {
      process.off('SIGTERM', onSigterm);
      process.off('SIGINT', onSigint);
    }
    // bounded too: a client whose subscription is stuck must not hold the worker past its deadline
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      client.close().catch(() => {}),
      new Promise<void>((r) => {
        timer = setTimeout(r, 5000);
      }),
    ]).finally(() => clearTimeout(timer));
  }
}
