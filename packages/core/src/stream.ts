/**
 * The stream contract: small enough for every vendor to implement.
 *
 * @packageDocumentation
 */
import type { StreamCapabilities } from './capabilities.js';
import type { PartitionLag, StreamDriver } from './driver.js';
import type { ConsumedMessage, ProducerRecord, RecordMetadata } from './message.js';
import type { Middleware } from './middleware.js';
import type { ParsedUri } from './uri.js';

/** What a topic looks like on its target. */
export interface TopicInfo {
  /** Topic (Kafka topic, Kinesis stream, event hub, Pub/Sub topic) name. */
  name: string;
  /** Number of partitions or shards; `null` where the target has none (Pub/Sub). */
  partitions: number | null;
  /** Retention in hours, when the target reports one. */
  retentionHours?: number;
  /** Anything else the target reports, as plain data. */
  details?: Record<string, unknown>;
}

/** Options of {@link StreamAdmin.ensureTopic}. */
export interface EnsureTopicOptions {
  /** Partitions (or shards) to create. Ignored on targets without partitions. @default 1 */
  partitions?: number;
  /** Retention in hours. @default the target's default */
  retentionHours?: number;
}

/** Create, describe, grow and delete topics. */
export interface StreamAdmin {
  /**
   * Creates the topic if it does not exist; idempotent. An existing topic with fewer partitions than asked
   * is not changed: the returned info says what it has.
   * @throws `ValidationError` when the name or options are invalid.
   */
  ensureTopic(topic: string, options?: EnsureTopicOptions): Promise<TopicInfo>;
  /**
   * Describes a topic.
   * @throws `NotFoundError` when it does not exist.
   */
  describeTopic(topic: string): Promise<TopicInfo>;
  /**
   * Grows a topic to `partitions` partitions (never shrinks).
   * @throws `UnsupportedError` when the target lacks `partitionGrowth`.
   */
  growPartitions(topic: string, partitions: number): Promise<TopicInfo>;
  /** Deletes a topic; deleting a missing topic is not an error. */
  deleteTopic(topic: string): Promise<void>;
  /** Lists topic names. */
  listTopics(): Promise<string[]>;
}

/** Per-call options of {@link Producer.send}. */
export interface SendOptions {
  /**
   * Cancels the call while its records still wait in the batcher: the call then rejects with `CancelledError`
   * and none of its records is sent. Once its batch went out, the call settles with the batch's result.
   */
  signal?: AbortSignal;
}

/**
 * Options of {@link StreamClient.producer}: how the portable producer coalesces concurrent `send()` calls into
 * the target's batches. Each call keeps its own result: a bad record fails only the call that sent it.
 */
export interface ProducerOptions {
  /**
   * How long a record may wait for others to fill its batch while a send slot is free, in ms. `0` coalesces the
   * calls made in one event-loop turn and sends at once; a batch that reaches the target's record or byte limit
   * goes out at once whatever the linger. @default 0
   */
  lingerMs?: number;
  /** Batches of one topic in flight at once; records of a key in flight wait, so per-key order is kept. @default 4 */
  maxInFlight?: number;
  /** Records per batch, at most the target's `maxBatchRecords`. @default the target's limit, else 1000 */
  maxBatchRecords?: number;
  /** Bytes per batch, at most the target's `maxBatchBytes`. @default the target's limit, else 4 MiB */
  maxBatchBytes?: number;
  /** Bytes waiting in the batcher before `send()` waits for room (backpressure). @default 64 MiB */
  maxQueuedBytes?: number;
}

/** Sends messages. */
export interface Producer {
  /**
   * Sends a batch. The whole batch is validated before anything is sent: one bad record fails the call with
   * a non-retriable error and nothing of the batch is sent. Per-key order is kept.
   * @throws `MessageTooLargeError` when a record is over the target's limit.
   * @throws `ValidationError` for bad keys, headers or partitions.
   * @throws `NotFoundError` when the topic does not exist.
   * @throws `ClosedError` after `close()`.
   * @throws `CancelledError` when `options.signal` aborts before the records went out.
   */
  send(topic: string, records: ProducerRecord | readonly ProducerRecord[], options?: SendOptions): Promise<RecordMetadata[]>;
  /** Waits for everything sent so far to be acknowledged. */
  flush(): Promise<void>;
  /** Flushes and releases the producer; safe to call twice. */
  close(): Promise<void>;
}

/** Where a group with no checkpoint starts reading. */
export type StartPosition = 'earliest' | 'latest' | { timestamp: number };

/** Backoff between handler retries. */
export interface BackoffOptions {
  /** First delay in ms. @default 100 */
  initialMs?: number;
  /** Largest delay in ms. @default 5000 */
  maxMs?: number;
  /** Growth factor. @default 2 */
  factor?: number;
}

/** Options of {@link StreamClient.subscribe}. */
export interface SubscribeOptions {
  /** Topic to read. */
  topic: string;
  /** Consumer group: members of one group share partitions; each group reads everything. */
  group: string;
  /** Where to start when the group has no checkpoint. @default 'earliest' */
  startFrom?: StartPosition;
  /** Handler attempts per message before it is dead-lettered. @default 5 */
  maxAttempts?: number;
  /** Delay between handler attempts. */
  retryBackoff?: BackoffOptions;
  /** Topic that receives messages which failed `maxAttempts` times. @default `${topic}.dlq` */
  deadLetterTopic?: string;
  /**
   * Messages handled at once per partition. 1 keeps partition order; above 1, messages with different keys
   * run concurrently while each key stays serial. @default 1
   */
  concurrency?: number;
  /** Messages buffered per partition before fetching pauses (backpressure). @default 1000 */
  maxBufferedPerPartition?: number;
  /** How long a member may be silent before its partitions are taken over, in ms (emulated groups). @default 10000 */
  sessionTimeoutMs?: number;
  /**
   * How long `close()` waits for running handlers, in ms. Handlers get an aborted `signal` when close starts; those
   * still running after this bound are reported (logged and passed to `onError` as a `TimeoutError` naming each
   * message) and `close()` returns. @default 30000
   */
  drainTimeoutMs?: number;
  /** Called when the partitions of this member change. */
  onAssignment?: (partitions: number[]) => void;
  /** Called for errors the subscription recovers from (logged otherwise). */
  onError?: (error: unknown) => void;
}

/** What a handler gets beside the message. */
export interface HandlerContext {
  /** Aborted when the subscription starts closing (or a timeout middleware gives up): stop early where you can. */
  signal: AbortSignal;
  /** The consumer group. */
  group: string;
}

/**
 * Handles one message. A throw (or rejection) means failure: a retriable error (or one that is not a
 * `SpeedlayerError`) is retried with backoff up to `maxAttempts`, then dead-lettered; a `SpeedlayerError` whose
 * `retriable` is false (e.g. `ValidationError`) is dead-lettered after its first failure.
 */
export type MessageHandler = (message: ConsumedMessage, context: HandlerContext) => Promise<void> | void;

/** Counters of a subscription. */
export interface SubscriptionStats {
  /** Messages whose handler succeeded. */
  handled: number;
  /** Handler failures (each attempt counts). */
  failures: number;
  /** Messages sent to the dead-letter topic. */
  deadLettered: number;
  /** Checkpoints written. */
  commits: number;
  /**
   * Messages whose dead letter could not be published after its attempts: each stopped its partition (or, on
   * `local://` with `deadLetterFailure: park`, was parked). Absent on drivers that count none.
   */
  deadLetterFailures?: number;
}

/** A running consumer group member. */
export interface Subscription {
  /** The partitions this member owns now. */
  assignments(): number[];
  /** Counters. */
  stats(): SubscriptionStats;
  /** Stops fetching, finishes in-flight messages, commits, and leaves the group; safe to call twice. */
  close(): Promise<void>;
}

/**
 * A connection to one stream target. Obtain with `connect(uri)`.
 *
 * @example
 * ```ts
 * import { connect } from '@speedlayer/core';
 * const client = await connect('local://./data');
 * await client.admin.ensureTopic('orders', { partitions: 4 });
 * const producer = client.producer();
 * await producer.send('orders', [{ key: 'customer-1', value: 'hello' }]);
 * const sub = await client.subscribe({ topic: 'orders', group: 'billing' }, async (m) => {
 *   console.log(m.key, new TextDecoder().decode(m.value));
 * });
 * await sub.close();
 * await client.close();
 * ```
 */
export interface StreamClient {
  /** Target id: `local`, `memory`, `kafka`, `aws-msk-eks`, `aws-kinesis-ecs`, `azure-eventhubs-aks`, `gcp-pubsub-gke`. */
  readonly target: string;
  /** The URI this client was created from (no secrets: URIs never hold them). */
  readonly uri: string;
  /** What this target can do. */
  readonly capabilities: StreamCapabilities;
  /** Topic administration. */
  readonly admin: StreamAdmin;
  /**
   * Creates a producer.
   * @throws `ClosedError` after `close()`.
   * @throws `ValidationError` for bad options, naming the field.
   */
  producer(options?: ProducerOptions): Producer;
  /**
   * Joins `options.group` and starts handling messages of `options.topic`.
   * @throws `NotFoundError` when the topic does not exist.
   * @throws `ClosedError` after `close()`.
   */
  subscribe(options: SubscribeOptions, handler: MessageHandler): Promise<Subscription>;
  /** Closes every producer and subscription of this client, draining and committing; safe to call twice. */
  close(): Promise<void>;
  /**
   * How far `group` is behind on `topic`: per partition, messages written and not yet checkpointed (and the age of
   * the oldest of them where the target can tell), with their total.
   * @throws `UnsupportedError` where the target cannot tell (Pub/Sub on the emulator: see the adapter's docs).
   * @throws `NotFoundError` when the topic does not exist.
   */
  lag(topic: string, group: string): Promise<LagReport>;
  /**
   * The escape hatch, as go-cloud's `As`: the target's native client (a kafkajs `Kafka`, a `KinesisClient`, a
   * `PubSub`, the local log...) for what the portable interface does not cover. Code that uses it is tied to
   * that target.
   * @throws `UnsupportedError` when the target exposes no native client.
   */
  as<T = unknown>(): T;
}

/** What {@link StreamClient.lag} reports. */
export interface LagReport {
  /** The topic. */
  topic: string;
  /** The consumer group. */
  group: string;
  /** Per partition. */
  partitions: PartitionLag[];
  /** Sum of the partitions' lag, in messages. */
  total: number;
  /** Largest `ageSeconds` of the partitions, when the target reports ages. */
  maxAgeSeconds?: number;
}

/**
 * Creates a stream driver for a parsed URI; what each adapter package exports. `connect()` wraps the driver in
 * the portable client.
 */
export type StreamFactory = (uri: ParsedUri, options: ConnectOptions) => Promise<StreamDriver>;

/** Options of `connect()`. */
export interface ConnectOptions {
  /** Adapter-specific settings, validated by the adapter's config schema. */
  config?: Record<string, unknown>;
  /** Receives log lines (secrets are never included). @default silent */
  logger?: Logger;
  /** Middleware around every `send()` and handler of this client, outermost first. */
  middleware?: Middleware[];
  /**
   * OpenTelemetry spans and metrics (through `@opentelemetry/api`; nothing is recorded unless an SDK is
   * registered). @default true
   */
  telemetry?: boolean;
}

/** Minimal structured logger. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** A logger that drops everything. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** A logger writing JSON lines to stderr, for workers and CLIs. */
export function stderrLogger(level: 'debug' | 'info' | 'warn' | 'error' = 'info'): Logger {
  const order = ['debug', 'info', 'warn', 'error'] as const;
  const min = order.indexOf(level);
  const write = (lvl: (typeof order)[number]) => (message: string, fields?: Record<string, unknown>) => {
    if (order.indexOf(lvl) < min) return;
    process.stderr.write(`${JSON.stringify({ level: lvl, time: new Date().toISOString(), message, ...fields })}\n`);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
