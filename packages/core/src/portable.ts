/**
 * The portable client: what is the same on every target, written once over a {@link StreamDriver}.
 *
 * - **Batching**: concurrent one-record `send()` calls coalesce into driver batches ({@link TopicBatcher}).
 * - **Lifecycle**: one shared close promise per object (every concurrent caller waits for the same drain); use
 *   after close is a `ClosedError`; a subscription's close is bounded by `drainTimeoutMs` and names stuck handlers.
 * - **Validation** of producer and subscribe options (zod, the field named) and of every record, before batching,
 *   so a bad record fails only its own call.
 * - **Middleware** around send and handle ({@link Middleware}); handlers get an `AbortSignal`.
 * - **Escape hatch**: `as()` returns the driver's native client.
 *
 * `connect()` returns one of these for every target.
 *
 * @packageDocumentation
 */
import { type BatcherOptions, TopicBatcher } from './batcher.js';
import type { StreamCapabilities } from './capabilities.js';
import { fieldIssues, z } from './config.js';
import { type DeadLetterSend, withDeadLetterSend } from './consumer-engine.js';
import type { DriverProducer, StreamDriver, StreamLimits } from './driver.js';
import { limitsOf } from './driver.js';
import { ClosedError, describeError, isSpeedlayerError, TimeoutError, UnsupportedError, ValidationError } from './errors.js';
import type { ConsumedMessage, ProducerRecord, RecordMetadata } from './message.js';
import { activeMiddleware, composeHandle, composeSend, type Middleware, type SendCall, type SendNext } from './middleware.js';
import type {
  ConnectOptions,
  HandlerContext,
  LagReport,
  Logger,
  MessageHandler,
  Producer,
  ProducerOptions,
  SendOptions,
  StreamAdmin,
  StreamClient,
  SubscribeOptions,
  Subscription,
  SubscriptionStats,
} from './stream.js';
import { silentLogger } from './stream.js';
import { messagingSystem, observeLag, telemetry, telemetryActive } from './telemetry.js';
import { validateBatch, validateTopicName } from './validate.js';

const int = (min: number, max: number) => z.number().int().min(min).max(max);

/** Schema of {@link ProducerOptions}. */
export const producerOptionsSchema = z
  .object({
    lingerMs: int(0, 60_000).optional(),
    maxInFlight: int(1, 1024).optional(),
    maxBatchRecords: int(1, 1_000_000).optional(),
    maxBatchBytes: int(1, 1024 ** 3).optional(),
    maxQueuedBytes: int(1, 16 * 1024 ** 3).optional(),
  })
  .strict();

/** Schema of {@link SubscribeOptions}. */
export const subscribeOptionsSchema = z
  .object({
    topic: z.string(),
    group: z.string().min(1, 'must not be empty').max(255, 'must be at most 255 characters'),
    startFrom: z
      .union([z.literal('earliest'), z.literal('latest'), z.object({ timestamp: z.number().finite().min(0) }).strict()])
      .optional(),
    maxAttempts: int(1, Number.MAX_SAFE_INTEGER).optional(),
    retryBackoff: z
      .object({
        initialMs: z.number().finite().min(0).optional(),
        maxMs: z.number().finite().min(0).optional(),
        factor: z.number().finite().min(1).optional(),
      })
      .strict()
      .optional(),
    deadLetterTopic: z.string().optional(),
    concurrency: int(1, 100_000).optional(),
    maxBufferedPerPartition: int(1, 10_000_000).optional(),
    sessionTimeoutMs: int(100, 3_600_000).optional(),
    drainTimeoutMs: int(0, 3_600_000).optional(),
    onAssignment: z.function().optional(),
    onError: z.function().optional(),
  })
  .strict();

function validateOptions<T>(schema: z.ZodType<T>, value: unknown, what: string, target: string): T {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const issue = fieldIssues(parsed.error)[0];
  const field = issue?.path ? `${what}.${issue.path}` : what;
  throw new ValidationError(`${field}: ${issue?.message ?? 'invalid'}`, { field, target });
}

/** The default drain bound of a subscription's close, in ms. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;

/** A stream client over a driver. Create with `connect(uri)`. */
export class PortableStreamClient implements StreamClient {
  readonly target: string;
  readonly uri: string;
  readonly capabilities: StreamCapabilities;
  /** The limits the batcher and validation use. */
  readonly limits: StreamLimits;
  readonly admin: StreamAdmin;
  private readonly middleware: Middleware[];
  private readonly logger: Logger;
  private readonly producers = new Set<PortableProducer>();
  private readonly subscriptions = new Set<PortableSubscription>();
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly driver: StreamDriver,
    options: ConnectOptions = {},
  ) {
    this.target = driver.target;
    this.uri = driver.uri;
    this.capabilities = driver.capabilities;
    this.limits = limitsOf(driver.capabilities);
    this.middleware = [
      ...(options.telemetry === false ? [] : [telemetry({ target: driver.target, uri: driver.uri })]),
      ...(options.middleware ?? []),
    ];
    this.logger = options.logger ?? silentLogger;
    const guard = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => {
      return (...args: A): Promise<R> => (this.closed ? Promise.reject(new ClosedError('stream client')) : fn(...args));
    };
    const a = driver.admin;
    const maxPartitions = this.limits.maxPartitions;
    const checkPartitions = (partitions: number | undefined, field: string): void => {
      if (maxPartitions !== undefined && partitions !== undefined && partitions > maxPartitions) {
        throw new ValidationError(
          `${field}: ${this.target} allows at most ${maxPartitions} partitions per topic (got ${partitions})`,
          {
            field,
            target: this.target,
          },
        );
      }
    };
    this.admin = {
      ensureTopic: guard(async (topic, options) => {
        checkPartitions(options?.partitions, 'partitions');
        return a.ensureTopic(topic, options);
      }),
      describeTopic: guard((topic) => a.describeTopic(topic)),
      growPartitions: guard(async (topic, partitions) => {
        checkPartitions(partitions, 'partitions');
        return a.growPartitions(topic, partitions);
      }),
      deleteTopic: guard((topic) => a.deleteTopic(topic)),
      listTopics: guard(() => a.listTopics()),
    };
  }

  /** Adds a middleware at the end of the chain (innermost); applies to producers and subscriptions created later. */
  use(middleware: Middleware): this {
    this.middleware.push(middleware);
    return this;
  }

  producer(options?: ProducerOptions): Producer {
    if (this.closed) throw new ClosedError('stream client');
    const resolved = validateOptions(producerOptionsSchema, options, 'producer options', this.target) as ProducerOptions;
    const p = new PortableProducer(this.driver, this.limits, resolved, activeMiddleware(this.middleware), () =>
      this.producers.delete(p),
    );
    this.producers.add(p);
    return p;
  }

  async subscribe(options: SubscribeOptions, handler: MessageHandler): Promise<Subscription> {
    if (this.closed) throw new ClosedError('stream client');
    validateOptions(subscribeOptionsSchema, options, 'options', this.target);
    validateTopicName(options.topic, 'options.topic');
    if (options.deadLetterTopic !== undefined) validateTopicName(options.deadLetterTopic, 'options.deadLetterTopic');
    if (typeof handler !== 'function') {
      throw new ValidationError('handler must be a function', { field: 'handler', target: this.target });
    }
    const s = new PortableSubscription(options, handler, activeMiddleware(this.middleware), this.logger, () =>
      this.subscriptions.delete(s),
    );
    await s.start(this.driver);
    if (this.closed) {
      await s.close();
      throw new ClosedError('stream client');
    }
    this.subscriptions.add(s);
    return s;
  }

  async lag(topic: string, group: string): Promise<LagReport> {
    if (this.closed) throw new ClosedError('stream client');
    validateTopicName(topic);
    if (typeof group !== 'string' || group.length === 0 || group.length > 255) {
      throw new ValidationError('group must be a name of 1 to 255 characters', { field: 'group', target: this.target });
    }
    if (!this.driver.lag) {
      throw new UnsupportedError(`${this.target} cannot report consumer lag for ${this.uri.replace(/\?.*/, '')}`, {
        target: this.target,
      });
    }
    const partitions = (await this.driver.lag(topic, group)).sort((a, b) => a.partition - b.partition);
    const ages = partitions.flatMap((p) => (p.ageSeconds === undefined ? [] : [p.ageSeconds]));
    return {
      topic,
      group,
      partitions,
      total: partitions.reduce((n, p) => n + p.lag, 0),
      ...(ages.length > 0 ? { maxAgeSeconds: Math.max(...ages) } : {}),
    };
  }

  as<T = unknown>(): T {
    const native = this.driver.native?.();
    if (native === undefined || native === null) {
      throw new UnsupportedError(`${this.target} exposes no native client through as()`, { target: this.target });
    }
    return native as T;
  }

  /** The driver under this client (for adapters' own tests and tools). */
  get driverInstance(): StreamDriver {
    return this.driver;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      const errors: unknown[] = [];
      const settle = async (p: Promise<unknown>) => {
        try {
          await p;
        } catch (e) {
          errors.push(e);
        }
      };
      await Promise.all([...this.producers].map((p) => settle(p.close())));
      await Promise.all([...this.subscriptions].map((s) => settle(s.close())));
      await settle(this.driver.close());
      if (errors.length > 0) {
        this.logger.warn('errors while closing the stream client', { errors: errors.map(describeError) });
        throw errors[0];
      }
    })();
    return this.closing;
  }
}

/** The portable producer: validation, middleware, then the cross-call batcher, then the driver. */
export class PortableProducer implements Producer {
  private driverProducer: DriverProducer | undefined;
  private readonly batchers = new Map<string, TopicBatcher>();
  private readonly batcherOptions: BatcherOptions;
  private readonly chain: SendNext;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly driver: StreamDriver,
    limits: StreamLimits,
    options: ProducerOptions,
    middleware: readonly Middleware[],
    private readonly onClosed: () => void,
  ) {
    this.batcherOptions = {
      lingerMs: options.lingerMs ?? 0,
      maxInFlight: options.maxInFlight ?? 4,
      maxBatchRecords: Math.min(options.maxBatchRecords ?? limits.maxBatchRecords, limits.maxBatchRecords),
      maxBatchBytes: Math.min(options.maxBatchBytes ?? limits.maxBatchBytes, limits.maxBatchBytes),
      maxQueuedBytes: options.maxQueuedBytes ?? 64 * 1024 * 1024,
    };
    this.chain = composeSend(middleware, (call) => this.batcher(call.topic).add(call.records, call.signal));
  }

  /** Batches sent so far per topic, with their record counts and splits (a view for tests and benchmarks). */
  batchStats(): Record<string, { batches: number; records: number; splits: number }> {
    const out: Record<string, { batches: number; records: number; splits: number }> = {};
    for (const [topic, b] of this.batchers) out[topic] = { ...b.stats };
    return out;
  }

  send(topic: string, records: ProducerRecord | readonly ProducerRecord[], options?: SendOptions): Promise<RecordMetadata[]> {
    if (this.closed) return Promise.reject(new ClosedError('producer'));
    let list: ProducerRecord[];
    try {
      validateTopicName(topic);
      if (options !== undefined && (options === null || typeof options !== 'object')) {
        throw new ValidationError('options must be an object', { field: 'options', target: this.driver.target });
      }
      if (options?.signal !== undefined && !(options.signal instanceof AbortSignal)) {
        throw new ValidationError('options.signal must be an AbortSignal', {
          field: 'options.signal',
          target: this.driver.target,
        });
      }
      list = validateBatch(records, this.driver.capabilities, this.driver.target);
    } catch (e) {
      return Promise.reject(e);
    }
    if (list.length === 0) return Promise.resolve([]);
    const call: SendCall = { topic, records: list, signal: options?.signal };
    return this.chain(call);
  }

  async flush(): Promise<void> {
    await Promise.all([...this.batchers.values()].map((b) => b.idle()));
    await this.driverProducer?.flush();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      try {
        await Promise.all([...this.batchers.values()].map((b) => b.idle()));
        await this.driverProducer?.close();
      } finally {
        this.onClosed();
      }
    })();
    return this.closing;
  }

  private batcher(topic: string): TopicBatcher {
    let b = this.batchers.get(topic);
    if (!b) {
      b = new TopicBatcher((records) => {
        this.driverProducer ??= this.driver.producer();
        return this.driverProducer.send(topic, records);
      }, this.batcherOptions);
      this.batchers.set(topic, b);
    }
    return b;
  }
}

/**
 * A subscription with a bounded close that names stuck handlers. Its dead letters go through a portable producer
 * of its own (validation, the send middleware chain, batching), created on the first dead letter.
 */
export class PortableSubscription implements Subscription {
  private inner: Subscription | undefined;
  private deadLetters: PortableProducer | undefined;
  /** Messages whose handler runs now, with when it started. */
  private readonly started = new Map<ConsumedMessage, number>();
  private unobserveLag: (() => void) | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly options: SubscribeOptions,
    private readonly handler: MessageHandler,
    private readonly middleware: readonly Middleware[],
    private readonly logger: Logger,
    private readonly onClosed: () => void,
  ) {}

  /** Joins the group through the driver. */
  async start(driver: StreamDriver): Promise<void> {
    const sendDeadLetter: DeadLetterSend = (topic, record) => {
      this.deadLetters ??= new PortableProducer(driver, limitsOf(driver.capabilities), {}, this.middleware, () => {});
      return this.deadLetters.send(topic, record);
    };
    this.inner = await driver.subscribe(this.options, withDeadLetterSend(this.wrap(), sendDeadLetter));
    if (driver.lag && telemetryActive()) {
      const { topic, group } = this.options;
      const lag = driver.lag.bind(driver);
      this.unobserveLag = observeLag(topic, group, messagingSystem(driver.target, driver.uri), () => lag(topic, group));
    }
  }

  private wrap(): MessageHandler {
    const user = this.handler;
    const hasHandleMiddleware = this.middleware.some((m) => m.handle);
    const inner = hasHandleMiddleware
      ? composeHandle(this.middleware, async (m, c) => {
          await user(m, c);
        })
      : undefined;
    const started = this.started;
    const failed = (message: ConsumedMessage, error: unknown) => {
      // one structured line per failed attempt: where, which attempt, what kind; never the payload
      this.logger.warn('handler failed', {
        topic: message.topic,
        partition: message.partition,
        position: message.position,
        group: this.options.group,
        attempt: message.deliveryAttempt,
        errorKind: isSpeedlayerError(error) ? error.kind : 'handler',
        retriable: isSpeedlayerError(error) ? error.retriable : true,
        error: describeError(error).slice(0, 512),
      });
    };
    return (message: ConsumedMessage, context: HandlerContext) => {
      started.set(message, Date.now());
      let result: unknown;
      try {
        result = inner ? inner(message, context) : user(message, context);
      } catch (e) {
        started.delete(message);
        failed(message, e);
        throw e;
      }
      if (result && typeof (result as PromiseLike<void>).then === 'function') {
        return (result as Promise<void>).then(
          () => {
            started.delete(message);
          },
          (e: unknown) => {
            started.delete(message);
            failed(message, e);
            throw e;
          },
        );
      }
      started.delete(message);
      return undefined;
    };
  }

  assignments(): number[] {
    return this.inner?.assignments() ?? [];
  }

  stats(): SubscriptionStats {
    return this.inner?.stats() ?? { handled: 0, failures: 0, deadLettered: 0, commits: 0, deadLetterFailures: 0 };
  }

  /** Handlers running now: where each message is and how long it has run. */
  runningHandlers(): Array<{ topic: string; partition: number; position: string; key: string | null; runningMs: number }> {
    const now = Date.now();
    return [...this.started.keys()].map((m) => ({
      topic: m.topic,
      partition: m.partition,
      position: m.position,
      key: m.key,
      runningMs: now - (this.started.get(m) ?? now),
    }));
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const inner = this.inner;
      this.unobserveLag?.();
      try {
        if (!inner) return;
        const bound = this.options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
        // the dead-letter producer drains after the partitions stopped (a dead letter may be in flight until then)
        const done = inner.close().finally(() => this.deadLetters?.close());
        let timer: NodeJS.Timeout | undefined;
        const timedOut = await Promise.race([
          done.then(() => false),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(true), bound);
          }),
        ]).finally(() => clearTimeout(timer));
        if (!timedOut) return;
        done.catch((e: unknown) =>
          this.logger.warn('subscription close failed after its drain bound', { error: describeError(e) }),
        );
        const stuck = this.runningHandlers();
        const list = stuck.map((s) => `${s.topic}/${s.partition}@${s.position} (${s.runningMs} ms)`).join(', ');
        const error = new TimeoutError(
          `subscription close of group ${this.options.group}: ${stuck.length} handler(s) still running after drainTimeoutMs ${bound}: ${list || 'none (the target did not finish leaving the group)'}; their messages are not checkpointed and will be delivered again`,
          { field: 'drainTimeoutMs', retriable: false },
        );
        this.logger.warn(error.message, { stuck });
        this.options.onError?.(error);
      } finally {
        this.onClosed();
      }
    })();
    return this.closing;
  }
}
