/**
 * The `pubsub://<project>` stream client on `@google-cloud/pubsub`.
 *
 * Mapping (see the package README): a speedlayer topic is a Pub/Sub topic; a consumer group is one
 * subscription named `<topic>.<group>` (created on first subscribe, with message ordering on); the message key
 * is the ordering key; headers are attributes; a checkpoint is an ack. Pub/Sub has no partitions: topics
 * describe as `partitions: null`, every consumed message has `partition: 0`, and every member of a group owns
 * the one virtual partition `0` (`assignments()` is `[0]` while it receives), Pub/Sub spreading messages over
 * the members' streams. The consume semantics (retries, dead-letter, acks only over finished messages, per-key
 * order, backpressure) are the core {@link PartitionProcessor}'s, fed from one streaming pull per member.
 * Consumer lag counts a snapshot of the group's subscription on a temporary subscription (`lag.ts`).
 *
 * @packageDocumentation
 */

import { createRequire } from 'node:module';
import { Duration, type Message, type Subscription as PsSubscription, type Topic as PsTopic, PubSub } from '@google-cloud/pubsub';
import {
  ConflictError,
  type ConsumedMessage,
  type DeadLetterSend,
  DeadLetterSink,
  type DriverProducer,
  type EnsureTopicOptions,
  type Logger,
  type MessageHandler,
  MessageTooLargeError,
  NotFoundError,
  newStats,
  type ParsedUri,
  type PartitionLag,
  PartitionProcessor,
  type ProducerRecord,
  type RecordMetadata,
  type StreamAdmin,
  type StreamCapabilities,
  type StreamDriver,
  type SubscribeOptions,
  type Subscription,
  type SubscriptionStats,
  silentLogger,
  type TopicInfo,
  UnsupportedError,
  ValidationError,
  validatePositiveInt,
  valueBytes,
} from '@speedlayer/core';
import { PUBSUB_TARGET, type PubsubConfig, type PubsubEndpoint, parsePubsubUri, resolvePubsubConfig } from './config.js';
import { PubsubLagReader } from './lag.js';
import {
  checkPubsubRecord,
  classifyPubsubError,
  durationSeconds,
  grpcCode,
  PUBSUB_RECORD_LIMITS,
  publishErrorField,
  pubsubCapabilities,
  pubsubMessageBytes,
  recordAttributes,
  subscriptionName,
  TIMESTAMP_ATTRIBUTE,
  validatePubsubTopic,
} from './mapping.js';

const require = createRequire(import.meta.url);
const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;

function shortName(fullName: string): string {
  return fullName.slice(fullName.lastIndexOf('/') + 1);
}

/** The Pub/Sub stream client. Create it with {@link createPubsubStreamClient} or `connect('pubsub://...')`. */
export class PubsubStreamClient implements StreamDriver {
  readonly target = PUBSUB_TARGET;
  readonly capabilities: StreamCapabilities;
  readonly admin: StreamAdmin;
  /** True when the client talks to an emulator (pstest) rather than Google Cloud. */
  readonly emulator: boolean;
  private closed = false;
  private readonly producers = new Set<PubsubProducer>();
  private readonly subscriptions = new Set<PubsubSubscription>();
  private readonly lagReader: PubsubLagReader;

  constructor(
    readonly uri: string,
    readonly pubsub: PubSub,
    readonly endpoint: PubsubEndpoint,
    readonly config: PubsubConfig,
    readonly logger: Logger,
  ) {
    this.emulator = endpoint.emulatorHost !== undefined;
    this.capabilities = pubsubCapabilities(this.seekEnabled);
    this.admin = new PubsubAdmin(this);
    this.lagReader = new PubsubLagReader(
      pubsub,
      { maxMessages: config.lagScanMaxMessages, timeoutMs: config.lagScanTimeoutMs, cacheMs: config.lagCacheMs },
      logger,
      this.emulator,
    );
  }

  /** Whether new subscriptions are seeked for `earliest` and timestamps (config `seek`). */
  get seekEnabled(): boolean {
    return this.endpoint.seek ?? this.config.seek ?? !this.emulator;
  }

  producer(): DriverProducer {
    const p = new PubsubProducer(this, () => this.producers.delete(p));
    this.producers.add(p);
    return p;
  }

  /** Joins the group. Options and handler were validated by the portable client; Pub/Sub's own rules run here. */
  async subscribe(options: SubscribeOptions, handler: MessageHandler): Promise<Subscription> {
    validatePubsubTopic(options.topic);
    const name = subscriptionName(options.topic, options.group);
    const start = options.startFrom ?? 'earliest';
    if (typeof start === 'object' && !this.seekEnabled) {
      throw new UnsupportedError(
        `startFrom.timestamp needs Seek, which is off for this client${this.emulator ? ' (pstest: Seek to a past time crashes the emulator)' : ' (config seek: false)'}`,
        { field: 'startFrom', target: this.target },
      );
    }
    if (options.deadLetterTopic !== undefined) validatePubsubTopic(options.deadLetterTopic, 'deadLetterTopic');
    const sub = new PubsubSubscription(this, options, name, handler, () => this.subscriptions.delete(sub));
    this.subscriptions.add(sub);
    try {
      await sub.start();
    } catch (e) {
      await sub.close().catch(() => {});
      throw e;
    }
    return sub;
  }

  /**
   * Finds or creates the subscription of a group. A subscription this call creates starts per `startFrom`:
   * `latest` = from now; `earliest` = Seek back over the topic's message retention (when seek is on and the
   * topic retains messages), else from now; `{ timestamp }` = Seek to that time.
   * @throws `NotFoundError` when the topic does not exist.
   * @throws `ConflictError` when the subscription exists but belongs to another (or a deleted) topic.
   */
  async ensureSubscription(topic: string, name: string, options: SubscribeOptions): Promise<void> {
    const sub = this.pubsub.subscription(name);
    const [topicMeta] = await this.pubsub
      .topic(topic)
      .getMetadata()
      .catch((e: unknown) => {
        throw classifyPubsubError(e, `subscribe to topic "${topic}"`, 'topic');
      });
    try {
      const [meta] = await sub.getMetadata();
      if (meta.topic && shortName(meta.topic) !== topic) {
        throw new ConflictError(
          `subscription ${name} of group "${options.group}" is attached to ${meta.topic}, not topic "${topic}"; delete it to reuse the group`,
          { field: 'group', target: this.target },
        );
      }
      return;
    } catch (e) {
      if (grpcCode(e) !== NOT_FOUND) throw classifyPubsubError(e, `read subscription ${name}`, 'group');
    }
    const dlq = options.deadLetterTopic ?? `${topic}.dlq`;
    if (this.config.nativeDeadLetterAttempts !== undefined) await this.ensureTopicExists(dlq);
    try {
      await this.pubsub.topic(topic).createSubscription(name, {
        ackDeadlineSeconds: this.config.ackDeadlineSeconds,
        enableMessageOrdering: true,
        ...(this.config.nativeDeadLetterAttempts !== undefined
          ? {
              deadLetterPolicy: {
                deadLetterTopic: this.pubsub.topic(dlq).name,
                maxDeliveryAttempts: this.config.nativeDeadLetterAttempts,
              },
            }
          : {}),
      });
    } catch (e) {
      if (grpcCode(e) === ALREADY_EXISTS) return; // another member of the group created it first
      throw classifyPubsubError(e, `create subscription ${name}`, grpcCode(e) === NOT_FOUND ? 'topic' : 'group');
    }
    const start = options.startFrom ?? 'earliest';
    if (!this.seekEnabled || start === 'latest') return;
    let to: Date | undefined;
    if (typeof start === 'object') to = new Date(start.timestamp);
    else {
      const retention = durationSeconds(topicMeta.messageRetentionDuration);
      if (retention !== undefined) to = new Date(Date.now() - retention * 1000);
    }
    if (to) {
      const at = to;
      await this.seek(sub.name, at.getTime()).catch((e: unknown) => {
        throw classifyPubsubError(e, `seek subscription ${name} to ${at.toISOString()}`, 'startFrom');
      });
    }
  }

  /**
   * Seeks a subscription to a time with millisecond precision. (`Subscription.seek(Date)` of
   * `@google-cloud/pubsub` 5.x sends milliseconds as microseconds, i.e. it seeks to the start of the second.)
   */
  private seek(subscription: string, epochMs: number): Promise<void> {
    const seconds = Math.floor(epochMs / 1000);
    const nanos = (epochMs - seconds * 1000) * 1_000_000;
    return new Promise((resolve, reject) => {
      this.pubsub.request(
        { client: 'SubscriberClient', method: 'seek', reqOpts: { subscription, time: { seconds, nanos } } },
        (err) => (err ? reject(err) : resolve()),
      );
    });
  }

  /** Creates a topic if it is missing (used for dead-letter topics). */
  async ensureTopicExists(topic: string): Promise<void> {
    try {
      await this.pubsub.createTopic({
        name: topic,
        messageRetentionDuration: { seconds: Math.round(this.config.topicRetentionHours * 3600) },
      });
    } catch (e) {
      if (grpcCode(e) !== ALREADY_EXISTS) throw classifyPubsubError(e, `create topic "${topic}"`, 'topic');
    }
  }

  /**
   * The group's unacked backlog as partition 0, counted on a copy made from a snapshot of its subscription (the
   * subscription itself is not read; see `lag.ts` for the method, its cost and permissions). Readings are reused for
   * `lagCacheMs`; a count stopped by `lagScanMaxMessages` or `lagScanTimeoutMs` has `truncated: true`.
   * @throws `UnsupportedError` on an endpoint without snapshots (pstest).
   * @throws `NotFoundError` when the topic, or the group's subscription, does not exist.
   */
  lag(topic: string, group: string): Promise<PartitionLag[]> {
    return this.lagReader.lag(topic, group);
  }

  /** For `client.as()`: the `PubSub` client of `@google-cloud/pubsub`. */
  native(): unknown {
    return this.pubsub;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    await Promise.all([...this.producers].map((p) => p.close()));
    await this.pubsub.close().catch((e: unknown) => this.logger.warn('pubsub close failed', { error: String(e) }));
  }
}

class PubsubAdmin implements StreamAdmin {
  constructor(private readonly client: PubsubStreamClient) {}

  async ensureTopic(topic: string, options: EnsureTopicOptions = {}): Promise<TopicInfo> {
    validatePubsubTopic(topic);
    // Pub/Sub has no partitions: the count is checked for shape and otherwise ignored.
    validatePositiveInt(options.partitions ?? 1, 'partitions', 10_000);
    const hours = options.retentionHours ?? this.client.config.topicRetentionHours;
    if (typeof hours !== 'number' || !(hours >= 1 / 6) || hours > 31 * 24) {
      throw new ValidationError(`retentionHours must be from 1/6 (10 minutes) to 744 (31 days), got ${String(hours)}`, {
        field: 'retentionHours',
        target: PUBSUB_TARGET,
      });
    }
    try {
      await this.client.pubsub.createTopic({ name: topic, messageRetentionDuration: { seconds: Math.round(hours * 3600) } });
    } catch (e) {
      if (grpcCode(e) !== ALREADY_EXISTS) throw classifyPubsubError(e, `create topic "${topic}"`, 'topic');
    }
    return this.describeTopic(topic);
  }

  async describeTopic(topic: string): Promise<TopicInfo> {
    validatePubsubTopic(topic);
    try {
      const [meta] = await this.client.pubsub.topic(topic).getMetadata();
      const seconds = durationSeconds(meta.messageRetentionDuration);
      return {
        name: topic,
        partitions: null,
        ...(seconds !== undefined ? { retentionHours: seconds / 3600 } : {}),
        details: {
          pubsubName: meta.name,
          labels: { ...(meta.labels ?? {}) },
          kmsKeyName: meta.kmsKeyName || undefined,
          partitioning: 'none: ordering keys keep per-key order; replicas scale on the subscription backlog',
        },
      };
    } catch (e) {
      throw classifyPubsubError(e, `describe topic "${topic}"`, 'topic');
    }
  }

  async growPartitions(topic: string, partitions: number): Promise<TopicInfo> {
    validatePubsubTopic(topic);
    validatePositiveInt(partitions, 'partitions', 10_000);
    throw new UnsupportedError('Pub/Sub has no partitions to grow (capability partitionGrowth: false)', {
      field: 'partitions',
      target: PUBSUB_TARGET,
    });
  }

  async deleteTopic(topic: string): Promise<void> {
    validatePubsubTopic(topic);
    const t = this.client.pubsub.topic(topic);
    try {
      // The groups of this topic (subscriptions `<topic>.<group>`) go with it; others' subscriptions are left.
      const [subs] = await t.getSubscriptions();
      await Promise.all(
        subs
          .filter((s) => shortName(s.name).startsWith(`${topic}.`))
          .map((s) => s.delete().catch((e: unknown) => (grpcCode(e) === NOT_FOUND ? undefined : Promise.reject(e)))),
      );
      await t.delete();
    } catch (e) {
      if (grpcCode(e) === NOT_FOUND) return;
      throw classifyPubsubError(e, `delete topic "${topic}"`, 'topic');
    }
  }

  async listTopics(): Promise<string[]> {
    try {
      const [topics] = await this.client.pubsub.getTopics();
      return topics.map((t) => shortName(t.name)).sort();
    } catch (e) {
      throw classifyPubsubError(e, 'list topics');
    }
  }
}

class PubsubProducer implements DriverProducer {
  private closed = false;
  private readonly topics = new Map<string, PsTopic>();

  constructor(
    private readonly client: PubsubStreamClient,
    private readonly onClose: () => void,
  ) {}

  private topic(name: string): PsTopic {
    let t = this.topics.get(name);
    if (!t) {
      t = this.client.pubsub.topic(name, {
        messageOrdering: true,
        batching: { maxMessages: 1000, maxBytes: 9 * 1024 * 1024, maxMilliseconds: this.client.config.publishDelayMs },
      });
      this.topics.set(name, t);
    }
    return t;
  }

  /**
   * Sends one batch, validated by the portable client (record shapes, UTF-8, sizes, header count); Pub/Sub's own
   * rules run here: its topic names, {@link checkPubsubRecord}, and the size with the event-time attribute.
   */
  async send(topic: string, records: ProducerRecord | readonly ProducerRecord[]): Promise<RecordMetadata[]> {
    const list: readonly ProducerRecord[] = Array.isArray(records) ? records : [records as ProducerRecord];
    validatePubsubTopic(topic);
    list.forEach((r, i) => {
      checkPubsubRecord(r, i);
      const bytes = pubsubMessageBytes(r, recordAttributes(r));
      if (bytes > PUBSUB_RECORD_LIMITS.maxMessageBytes) {
        throw new MessageTooLargeError(i, bytes, PUBSUB_RECORD_LIMITS.maxMessageBytes, { target: PUBSUB_TARGET });
      }
    });
    if (list.length === 0) return [];
    const t = this.topic(topic);
    // publishMessage calls are queued in order on one Topic object: per ordering key, order is kept.
    const results = await Promise.allSettled(
      list.map((r) =>
        t.publishMessage({
          data: Buffer.from(valueBytes(r.value)),
          attributes: recordAttributes(r),
          ...(r.key ? { orderingKey: r.key } : {}),
        }),
      ),
    );
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ i, reason: r.reason as unknown }] : []));
    if (failed.length > 0) {
      // The client pauses an ordering key after a failed publish; resume it so later sends of the key work.
      for (const { i } of failed) {
        const key = list[i]?.key;
        if (key) t.resumePublishing(key);
      }
      const first = failed[0];
      throw classifyPubsubError(
        first?.reason,
        `publish to topic "${topic}" (${failed.length} of ${list.length} records failed, ${list.length - failed.length} were sent; keys resumed)`,
        publishErrorField(first?.reason, first?.i ?? 0),
      );
    }
    return results.map((r) => ({ partition: 0, position: (r as PromiseFulfilledResult<string>).value }));
  }

  async flush(): Promise<void> {
    await Promise.all([...this.topics.values()].map((t) => t.flush()));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.flush();
    } finally {
      this.onClose();
    }
  }
}

interface Pending {
  consumed: ConsumedMessage;
  raw: Message;
}

/**
 * A member of a consumer group: one streaming pull on the group's subscription, feeding the core engine.
 * A message is acked only when it and every message received before it have finished (handled or
 * dead-lettered); messages not finished when the member stops are nacked for prompt redelivery.
 */
class PubsubSubscription implements Subscription {
  private readonly statsData: SubscriptionStats = newStats();
  private readonly pending: Pending[] = [];
  private processor: PartitionProcessor | undefined;
  private sub: PsSubscription | undefined;
  private receiving = false;
  private closing = false;
  private closed: Promise<void> | undefined;
  private dlq: DeadLetterSink | undefined;
  private checkTimer: NodeJS.Timeout | undefined;
  private lost = false;

  constructor(
    private readonly client: PubsubStreamClient,
    private readonly options: SubscribeOptions,
    private readonly name: string,
    private readonly handler: MessageHandler,
    private readonly onClose: () => void,
  ) {}

  assignments(): number[] {
    return this.receiving ? [0] : [];
  }

  stats(): SubscriptionStats {
    return { ...this.statsData };
  }

  private report(e: unknown): void {
    if (this.options.onError) this.options.onError(e);
    else this.client.logger.warn('pubsub subscription error', { error: String((e as Error)?.message ?? e) });
  }

  async start(): Promise<void> {
    const { topic, group } = this.options;
    await this.client.ensureSubscription(topic, this.name, this.options);
    if (this.closing) return;
    const cfg = this.client.config;
    const maxBuffered = Math.max(1, this.options.maxBufferedPerPartition ?? 1000);
    this.processor = new PartitionProcessor({
      topic,
      group,
      partition: 0,
      handler: this.handler,
      ...(this.options.maxAttempts !== undefined ? { maxAttempts: this.options.maxAttempts } : {}),
      ...(this.options.retryBackoff !== undefined ? { backoff: this.options.retryBackoff } : {}),
      ...(this.options.concurrency !== undefined ? { concurrency: this.options.concurrency } : {}),
      // Ack as soon as a contiguous run finishes: with ordering keys, Pub/Sub holds a key's next message until
      // the previous one is acked, so a delayed ack would throttle every key.
      commitIntervalMs: 0,
      stats: this.statsData,
      deadLetter: (m, err, attempts, send) => this.deadLetter(m, err, attempts, send),
      commit: async (m) => this.ackThrough(m),
      onError: (e) => this.report(e),
    });
    const sub = this.client.pubsub.subscription(this.name, {
      // Backpressure: at most maxBufferedPerPartition messages are leased to this member at once.
      flowControl: { maxMessages: maxBuffered, allowExcessMessages: false },
      batching: { maxMessages: 500, maxMilliseconds: cfg.ackDelayMs },
      // Lease management: deadlines are extended while handlers run, up to maxExtensionSeconds.
      minAckDeadline: Duration.from({ seconds: cfg.ackDeadlineSeconds }),
      maxAckDeadline: Duration.from({ seconds: 600 }),
      maxExtensionTime: Duration.from({ seconds: cfg.maxExtensionSeconds }),
      streamingOptions: { maxStreams: 1 },
      closeOptions: { behavior: 'WAIT', timeout: Duration.from({ seconds: 30 }) },
    });
    sub.on('message', (m: Message) => this.onMessage(m));
    sub.on('error', (e: unknown) => this.report(classifyPubsubError(e, `receive from subscription ${this.name}`, 'group')));
    this.sub = sub;
    this.receiving = true;
    this.options.onAssignment?.([0]);
    this.checkTimer = setInterval(() => void this.checkSubscription(), cfg.subscriptionCheckSeconds * 1000);
    this.checkTimer.unref();
    // The client library opens its streaming pull asynchronously; a close() in the same turn as this start (a
    // group registered and closed at once) can leave a pull open that leases the group's next messages to nobody
    // until their ack deadline. One macrotask lets the library start its stream first, so close() ends it.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Reports (once) a subscription or topic deleted under this member: Pub/Sub does not deliver to it any more. */
  private async checkSubscription(): Promise<void> {
    if (this.closing || this.lost) return;
    try {
      const [meta] = await this.client.pubsub.subscription(this.name).getMetadata();
      if (meta.topic === '_deleted-topic_') {
        this.lost = true;
        this.report(
          new NotFoundError(`topic "${this.options.topic}" of subscription ${this.name} was deleted; nothing more arrives`, {
            field: 'topic',
            target: PUBSUB_TARGET,
          }),
        );
      }
    } catch (e) {
      if (grpcCode(e) === NOT_FOUND && !this.closing) {
        this.lost = true;
        this.report(
          new NotFoundError(
            `subscription ${this.name} of group "${this.options.group}" was deleted; messages published since are not delivered to this group`,
            { field: 'group', target: PUBSUB_TARGET, cause: e },
          ),
        );
      }
    }
  }

  private onMessage(m: Message): void {
    if (this.closing || !this.processor) {
      m.nack();
      return;
    }
    const attributes = { ...m.attributes };
    const ts = attributes[TIMESTAMP_ATTRIBUTE];
    delete attributes[TIMESTAMP_ATTRIBUTE];
    const eventTime = ts !== undefined && /^\d+$/.test(ts) ? Number(ts) : m.publishTime.getTime();
    const consumed: ConsumedMessage = {
      topic: this.options.topic,
      partition: 0,
      position: m.id,
      key: m.orderingKey ? m.orderingKey : null,
      value: m.data,
      headers: attributes,
      timestamp: eventTime,
      deliveryAttempt: m.deliveryAttempt > 0 ? m.deliveryAttempt : 1,
    };
    this.pending.push({ consumed, raw: m });
    this.processor.enqueue([consumed]);
  }

  /** The checkpoint: acks every pending message up to and including `target` (all finished). */
  private ackThrough(target: ConsumedMessage): void {
    while (this.pending.length > 0) {
      const p = this.pending.shift() as Pending;
      p.raw.ack();
      if (p.consumed === target) return;
    }
  }

  private async deadLetter(m: ConsumedMessage, error: unknown, attempts: number, send?: DeadLetterSend): Promise<void> {
    this.dlq ??= new DeadLetterSink({
      topic: this.options.topic,
      group: this.options.group,
      deadLetterTopic: this.options.deadLetterTopic,
      ensureTopic: (dlq) => this.client.ensureTopicExists(dlq),
      producer: () => this.client.producer(),
    });
    await this.dlq.publish(m, error, attempts, send);
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing = true;
      if (this.checkTimer) clearInterval(this.checkTimer);
      try {
        await this.processor?.stop();
      } catch (e) {
        this.report(e);
      }
      // Whatever did not finish goes back to Pub/Sub now rather than at its deadline.
      for (const p of this.pending.splice(0)) p.raw.nack();
      this.receiving = false;
      if (this.sub) {
        // the listeners stay: anything still arriving while the stream closes is nacked by onMessage, and a late
        // stream error is reported rather than thrown by an 'error' event without a listener
        await this.sub.close().catch((e: unknown) => this.report(e));
      }
      await this.dlq?.close().catch((e: unknown) => this.report(e));
      this.onClose();
    })();
    return this.closed;
  }
}

/** Options of {@link createPubsubStreamClient}. */
export interface PubsubClientOptions {
  /** Adapter config, see `pubsubConfigSchema`. */
  config?: Record<string, unknown>;
  /** Logger. @default silent */
  logger?: Logger;
}

/** The client library's per-service call settings (timeouts, retry codes and backoff), as shipped. */
const SERVICE_CONFIGS = ['publisher', 'subscriber', 'schema_service'].map(
  (name) => require(`@google-cloud/pubsub/build/src/v1/${name}_client_config.json`) as GaxClientConfig,
);

/** The shape of a gax client config file, as far as {@link boundedClientConfig} needs it. */
interface GaxClientConfig {
  interfaces: Record<
    string,
    {
      retry_codes?: Record<string, string[]>;
      retry_params?: Record<string, Record<string, number>>;
      methods?: Record<string, { timeout_millis?: number; retry_codes_name?: string; retry_params_name?: string }>;
    }
  >;
}

/** Long-lived streams keep the library's deadlines; every other call gets `timeoutMs`. */
const STREAMING_METHODS = new Set(['StreamingPull']);

/**
 * The library's call settings with every unary call (each attempt and all retries together) bounded by
 * `timeoutMs`, so an unreachable or silent endpoint fails in that time (the shipped totals are 60 s to 10 min).
 */
export function boundedClientConfig(timeoutMs: number): GaxClientConfig {
  const out: GaxClientConfig = { interfaces: {} };
  for (const file of SERVICE_CONFIGS) {
    for (const [service, conf] of Object.entries(file.interfaces)) {
      const retryParams: Record<string, Record<string, number>> = {};
      for (const [name, p] of Object.entries(conf.retry_params ?? {})) {
        retryParams[name] = { ...p };
        retryParams[`${name}_bounded`] = {
          ...p,
          initial_rpc_timeout_millis: Math.min(p.initial_rpc_timeout_millis ?? timeoutMs, timeoutMs),
          max_rpc_timeout_millis: Math.min(p.max_rpc_timeout_millis ?? timeoutMs, timeoutMs),
          max_retry_delay_millis: Math.min(p.max_retry_delay_millis ?? timeoutMs, Math.max(100, Math.floor(timeoutMs / 4))),
          total_timeout_millis: Math.min(p.total_timeout_millis ?? timeoutMs, timeoutMs),
        };
      }
      const methods: NonNullable<GaxClientConfig['interfaces'][string]['methods']> = {};
      for (const [name, m] of Object.entries(conf.methods ?? {})) {
        methods[name] = STREAMING_METHODS.has(name)
          ? { ...m }
          : {
              ...m,
              timeout_millis: Math.min(m.timeout_millis ?? timeoutMs, timeoutMs),
              ...(m.retry_params_name ? { retry_params_name: `${m.retry_params_name}_bounded` } : {}),
            };
      }
      out.interfaces[service] = { retry_codes: { ...conf.retry_codes }, retry_params: retryParams, methods };
    }
  }
  return out;
}

/**
 * Creates the driver for `pubsub://<project>[?emulatorHost=host:port]`. Credentials come from Application Default
 * Credentials; with an emulator (`?emulatorHost=` or `PUBSUB_EMULATOR_HOST`) none are used. Applications use
 * `connect()`, which wraps it in the portable client (validation, batching, lifecycle).
 * @throws `ConfigError` for a bad URI or config.
 */
export async function createPubsubStreamClient(uri: ParsedUri, options: PubsubClientOptions = {}): Promise<PubsubStreamClient> {
  const endpoint = parsePubsubUri(uri);
  const config = resolvePubsubConfig(options.config ?? {});
  const pubsub = new PubSub({
    projectId: endpoint.projectId,
    // passed through to the generated clients (gax `ClientOptions.clientConfig`), which PubSub's type leaves out
    ...({ clientConfig: boundedClientConfig(config.requestTimeoutMs) } as object),
    // With an emulator: insecure gRPC, and no credential lookup (the universe domain is given, so the GCE
    // metadata server is never probed).
    ...(endpoint.emulatorHost !== undefined
      ? { apiEndpoint: endpoint.emulatorHost, emulatorMode: true, universeDomain: 'googleapis.com' }
      : {}),
  });
  return new PubsubStreamClient(uri.raw, pubsub, endpoint, config, options.logger ?? silentLogger);
}
