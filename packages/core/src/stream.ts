/**
 * The stream contract: small enough for every vendor to implement.
 *
 * @packageDocumentation
 */
import type { StreamCapabilities } from './capabilities.js';
import type { ConsumedMessage, ProducerRecord, RecordMetadata } from './message.js';
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

/** Sends messages. */
export interface Producer {
  /**
   * Sends a batch. The whole batch is validated before anything is sent: one bad record fails the call with
   * a non-retriable error and nothing of the batch is sent. Per-key order is kept.
   * @throws `MessageTooLargeError` when a record is over the target's limit.
   * @throws `ValidationError` for bad keys, headers or partitions.
   * @throws `NotFoundError` when the topic does not exist.
   * @throws `ClosedError` after `close()`.
   */
  send(topic: string, records: ProducerRecord | readonly ProducerRecord[]): Promise<RecordMetadata[]>;
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
  /** Called when the partitions of this member change. */
  onAssignment?: (partitions: number[]) => void;
  /** Called for errors the subscription recovers from (logged otherwise). */
  onError?: (error: unknown) => void;
}

/** Handles one message. A throw (or rejection) means failure: it is retried, then dead-lettered. */
export type MessageHandler = (message: ConsumedMessage) => Promise<void> | void;

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
  /** Target id: `local`, `memory`, `aws-msk-eks`, `aws-kinesis-ecs`, `azure-eventhubs-aks`, `gcp-pubsub-gke`. */
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
   */
  producer(): Producer;
  /**
   * Joins `options.group` and starts handling messages of `options.topic`.
   * @throws `NotFoundError` when the topic does not exist.
   * @throws `ClosedError` after `close()`.
   */
  subscribe(options: SubscribeOptions, handler: MessageHandler): Promise<Subscription>;
  /** Closes every producer and subscription of this client, draining and committing; safe to call twice. */
  close(): Promise<void>;
}

/** Creates a stream client for a parsed URI; what each adapter package exports. */
export type StreamFactory = (uri: ParsedUri, options: ConnectOptions) => Promise<StreamClient>;

/** Options of `connect()`. */
export interface ConnectOptions {
  /** Adapter-specific settings, validated by the adapter's config schema. */
  config?: Record<string, unknown>;
  /** Receives log lines (secrets are never included). @default silent */
  logger?: Logger;
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
