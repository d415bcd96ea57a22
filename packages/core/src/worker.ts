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
import { ConfigError } from './errors.js';
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
 * Runs a consumer until `signal` aborts, then drains, commits and leaves the group.
 * @returns the subscription's counters.
 * @throws {@link ConfigError} for a bad URI or handler module; {@link NotFoundError} for a missing topic.
 */
export async function runWorker(options: WorkerOptions): Promise<SubscriptionStats> {
  const logger = options.logger ?? silentLogger;
  const mod = await loadHandlerModule(options.handler);
  const workerId = options.workerId ?? String(process.pid);
  const client = await connect(options.stream, { ...(options.config ? { config: options.config } : {}), logger });
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
        onAssignment: (partitions) => logger.info('assignment', { workerId, partitions }),
        onError: (e) => logger.warn('recoverable error', { workerId, error: String((e as Error)?.message ?? e) }),
      },
      (m: ConsumedMessage, context) => mod.handler(m, context),
    );
    options.onSubscribed?.(sub);
    logger.info('worker started', { workerId, topic: options.topic, group: options.group });
    if (!options.signal.aborted) {
      await new Promise<void>((r) => options.signal.addEventListener('abort', () => r(), { once: true }));
    }
    logger.info('worker stopping', { workerId });
    const stats = sub.stats();
    await sub.close();
    await mod.teardown?.();
    return { ...stats, ...sub.stats() };
  } finally {
    await client.close();
  }
}
