/**
 * The shared Kafka stream driver on kafkajs: `kafka://`, and through a {@link KafkaDialect} every Kafka-protocol
 * target (`msk://`, `eventhubs+kafka://`, ...).
 *
 * - Producer: kafkajs idempotent producer (acks=all); partitions chosen here with the Java client's murmur2 so every
 *   record's offset is known; batches are split per partition below `message.max.bytes`, in order.
 * - Consumer: a kafkajs consumer group with auto-commit off. Each fetched batch is fed to the core
 *   {@link PartitionProcessor} (retries, dead-letter, contiguous checkpoints, per-key order); its commit callback
 *   commits `offset + 1`. `eachBatch` returns only when every message of the batch is finished (handled or
 *   dead-lettered), heartbeating meanwhile, so kafkajs fetches no further for that partition (backpressure) and never
 *   rejoins the group while work is in flight. Checkpoints are written asynchronously, coalesced to at most one per
 *   `commitIntervalMs` per partition and never past the contiguous finished prefix; they are flushed when kafkajs
 *   starts rejoining (its `REBALANCING` event, so the commit reaches the coordinator before the JoinGroup), when a
 *   heartbeat fails inside a batch, and on revoke or close (the processor is stopped: in-flight handlers finish, the
 *   contiguous prefix is committed) before the partition can go to another member.
 *
 * @packageDocumentation
 */
import {
  ClosedError,
  type ConsumedMessage,
  type DeadLetterSend,
  DeadLetterSink,
  type EnsureTopicOptions,
  type Headers,
  type Logger,
  type MessageHandler,
  newStats,
  type ParsedUri,
  type PartitionLag,
  PartitionProcessor,
  type Producer,
  type ProducerRecord,
  type RecordMetadata,
  recordBytes,
  redact,
  type SpeedlayerError,
  type StreamAdmin,
  type StreamCapabilities,
  type StreamDriver,
  type SubscribeOptions,
  type Subscription,
  type SubscriptionStats,
  silentLogger,
  sleep,
  TimeoutError,
  type TopicInfo,
  UnsupportedError,
  ValidationError,
  validatePositiveInt,
  validateTopicName,
} from '@speedlayer/core';
import {
  type Admin,
  type Batch,
  type Consumer,
  type EachBatchPayload,
  type IHeaders,
  Kafka,
  type Producer as KafkaJsProducer,
  type KafkaMessage,
  type LogEntry,
  logLevel,
  type Message,
} from 'kafkajs';
import { type KafkaConfig, RECORD_OVERHEAD_BYTES, resolveKafkaConfig, TARGET } from './config.js';
import { type ResolvedConnection, resolveConnection } from './connection.js';
import type { KafkaDialect } from './dialect.js';
import { mapKafkaError } from './errors.js';
import { partitionForKey } from './partitioner.js';
import { KAFKA_FLAGS } from './target.js';

/** What a Kafka cluster can do. */
export function kafkaCapabilities(config: KafkaConfig): StreamCapabilities {
  return {
    ...KAFKA_FLAGS,
    idempotentProduce: config.idempotent,
    maxMessageBytes: config.messageMaxBytes - RECORD_OVERHEAD_BYTES,
  };
}

const INTERNAL_TOPIC = /^__/;
/** Heartbeat errors after which kafkajs rejoins the group. */
const REJOIN_ERRORS = new Set(['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID']);
const EMPTY = new Uint8Array(0);
/** Bytes of a record batch header (magic v2). */
const BATCH_HEADER_BYTES = 61;
/** Worst-case varint framing of one record (length, attributes, deltas, key/value lengths, header count). */
const RECORD_FRAMING_BYTES = 40;
/** Worst-case framing per header (name and value lengths). */
const HEADER_FRAMING_BYTES = 10;

function framedBytes(r: ProducerRecord): number {
  return recordBytes(r) + RECORD_FRAMING_BYTES + HEADER_FRAMING_BYTES * (r.headers ? Object.keys(r.headers).length : 0);
}

function kafkaJsLogCreator(logger: Logger) {
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, ...rest } = log;
      const fields: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(rest)) {
        if (k === 'stack' || k === 'timestamp' || k === 'logger') continue;
        fields[k] = typeof v === 'string' ? redact(v) : v;
      }
      const text = `kafkajs: ${redact(String(message))}`;
      if (level === logLevel.ERROR || level === logLevel.WARN) logger.warn(text, fields);
      else logger.debug(text, fields);
    };
}

/** The Kafka stream driver. Create with {@link createKafkaStreamClient} or `connect('kafka://…')`. */
export class KafkaStreamClient implements StreamDriver {
  readonly target: string;
  readonly capabilities: StreamCapabilities;
  readonly admin: KafkaAdmin;
  /** Bootstrap brokers, `host:port`. */
  readonly brokers: readonly string[];
  /** Security in words (`PLAINTEXT`, `SASL_SSL/PLAIN`, ...), without any secret. */
  readonly security: string;
  // kafkajs objects hold the SASL settings: kept in #private fields so that logging or serialising a client
  // never prints them.
  readonly #kafka: Kafka;
  readonly #admin: Admin;
  /** How the target differs from plain Kafka (checks, limits, error reading). */
  readonly dialect: KafkaDialect<KafkaConfig>;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly producers = new Set<KafkaProducer>();
  private readonly subscriptions = new Set<KafkaSubscription>();
  private readonly partitionCache = new Map<string, { partitions: number; at: number }>();

  constructor(
    readonly uri: string,
    readonly config: KafkaConfig,
    connection: Pick<ResolvedConnection, 'brokers' | 'security'>,
    readonly logger: Logger,
    adminClient: Admin,
    kafka: Kafka,
    dialect: KafkaDialect<KafkaConfig> = { target: TARGET },
  ) {
    this.target = dialect.target;
    this.dialect = dialect;
    this.brokers = [...connection.brokers];
    this.security = connection.security;
    this.#kafka = kafka;
    this.#admin = adminClient;
    const base = kafkaCapabilities(config);
    this.capabilities = dialect.capabilities?.(base, config) ?? base;
    this.admin = new KafkaAdmin(this);
  }

  /** Where and how this client is connected, with what the dialect adds (no secret). */
  describe(): Record<string, unknown> {
    return { target: this.target, brokers: this.brokers, security: this.security, ...this.dialect.describe?.() };
  }

  /** The kafkajs client. @internal adapter use only */
  kafkajs(): Kafka {
    return this.#kafka;
  }

  /** The connected kafkajs admin client. @internal adapter use only */
  kafkajsAdmin(): Admin {
    return this.#admin;
  }

  /** Throws `ClosedError` after close. */
  check(what = 'stream client'): void {
    if (this.closed) throw new ClosedError(what, { target: this.target });
  }

  /** Maps a vendor error with this client's brokers, read as the dialect means it. */
  error(e: unknown, op: string, topic?: string): SpeedlayerError {
    const mapped = mapKafkaError(e, {
      op,
      brokers: this.brokers,
      target: this.target,
      ...(topic !== undefined ? { topic } : {}),
    });
    return this.dialect.mapError?.(mapped) ?? mapped;
  }

  /** Partition count of a topic, cached for `metadataMaxAgeMs`. @throws `NotFoundError`. */
  async partitionCount(topic: string, refresh = false): Promise<number> {
    const cached = this.partitionCache.get(topic);
    if (!refresh && cached && Date.now() - cached.at < this.config.metadataMaxAgeMs) return cached.partitions;
    const info = await this.admin.describePartitions(topic);
    this.partitionCache.set(topic, { partitions: info, at: Date.now() });
    return info;
  }

  /** Forgets a cached partition count (after growth or deletion through this client). */
  forget(topic: string): void {
    this.partitionCache.delete(topic);
  }

  producer(): Producer {
    this.check();
    const p = new KafkaProducer(this, () => this.producers.delete(p));
    this.producers.add(p);
    return p;
  }

  /** Joins the group. Options and handler were validated by the portable client; the dialect's checks run here. */
  async subscribe(options: SubscribeOptions, handler: MessageHandler): Promise<Subscription> {
    this.check();
    this.dialect.checks?.topic?.(options.topic);
    this.dialect.checks?.subscribe?.(options);
    await this.partitionCount(options.topic, true); // NotFoundError for a missing topic
    const sub = new KafkaSubscription(this, options, handler, () => this.subscriptions.delete(sub));
    this.subscriptions.add(sub);
    try {
      await sub.start();
    } catch (e) {
      await sub.close();
      throw e;
    }
    return sub;
  }

  /** For `client.as()`: the kafkajs `Kafka` instance. */
  native(): unknown {
    return this.#kafka;
  }

  /**
   * Lag of `group` on `topic`: each partition's high watermark minus the group's committed offset (or the low
   * watermark where the group has none), from the admin API, as Kafka's own tools and KEDA's Kafka scaler read it.
   */
  async lag(topic: string, group: string): Promise<PartitionLag[]> {
    this.check();
    await this.partitionCount(topic, true); // NotFoundError for a missing topic
    try {
      const [ends, committed] = await Promise.all([
        this.#admin.fetchTopicOffsets(topic),
        this.#admin.fetchOffsets({ groupId: group, topics: [topic] }),
      ]);
      const have = new Map<number, string>();
      for (const t of committed) for (const p of t.partitions) have.set(p.partition, p.offset);
      return ends.map((o) => {
        const c = have.get(o.partition);
        const hasCommit = c !== undefined && c !== '-1';
        const from = hasCommit ? BigInt(c) : BigInt(o.low);
        const high = BigInt(o.high);
        return {
          partition: o.partition,
          lag: Number(high > from ? high - from : 0n),
          endPosition: o.high,
          committedPosition: hasCommit ? c : null,
        };
      });
    } catch (e) {
      throw this.error(e, `read the lag of group ${group}`, topic);
    }
  }

  close(): Promise<void> {
    this.closed = true;
    this.closing ??= (async () => {
      await Promise.all([...this.subscriptions].map((s) => s.close()));
      await Promise.all([...this.producers].map((p) => p.close()));
      await this.#admin.disconnect().catch(() => {});
    })();
    return this.closing;
  }
}

/** Topic administration on the cluster. */
export class KafkaAdmin implements StreamAdmin {
  // #private: a serialised client (JSON, util.inspect) must not cycle back through its admin
  readonly #client: KafkaStreamClient;

  constructor(client: KafkaStreamClient) {
    this.#client = client;
  }

  private get kafkaAdmin(): Admin {
    return this.#client.kafkajsAdmin();
  }

  /** Number of partitions of an existing topic. @throws `NotFoundError`. */
  async describePartitions(topic: string): Promise<number> {
    try {
      const md = await this.kafkaAdmin.fetchTopicMetadata({ topics: [topic] });
      const t = md.topics.find((x) => x.name === topic);
      if (!t)
        throw Object.assign(new Error('unknown topic'), { name: 'KafkaJSProtocolError', type: 'UNKNOWN_TOPIC_OR_PARTITION' });
      return t.partitions.length;
    } catch (e) {
      throw this.#client.error(e, `describe topic ${topic}`, topic);
    }
  }

  /** Checks a topic name: Kafka's rules, then the dialect's. */
  private topic(topic: string): void {
    this.#client.check();
    validateTopicName(topic);
    this.#client.dialect.checks?.topic?.(topic);
  }

  async ensureTopic(topic: string, options: EnsureTopicOptions = {}): Promise<TopicInfo> {
    this.topic(topic);
    const partitions = validatePositiveInt(options.partitions ?? 1, 'partitions', 100_000);
    const retention =
      options.retentionHours === undefined ? undefined : validatePositiveInt(options.retentionHours, 'retentionHours');
    this.#client.dialect.checks?.ensureTopic?.(topic, {
      partitions,
      ...(retention !== undefined ? { retentionHours: retention } : {}),
    });
    if (this.#client.dialect.describeBeforeCreate) {
      try {
        return await this.describeTopic(topic);
      } catch (e) {
        if ((e as { kind?: string }).kind !== 'not-found') throw e;
      }
    }
    try {
      await this.kafkaAdmin.createTopics({
        topics: [
          {
            topic,
            numPartitions: partitions,
            replicationFactor: this.#client.config.replicationFactor,
            ...(retention !== undefined
              ? { configEntries: [{ name: 'retention.ms', value: String(retention * 3_600_000) }] }
              : {}),
          },
        ],
        waitForLeaders: true,
      });
    } catch (e) {
      const type = (e as { type?: string; errors?: Array<{ type?: string }> }).errors?.[0]?.type ?? (e as { type?: string }).type;
      if (type !== 'TOPIC_ALREADY_EXISTS') {
        const mapped = this.#client.error(e, `create topic ${topic}`, topic);
        // created, but its leaders were not visible in time: wait for them below
        if (mapped.kind !== 'not-found') throw mapped;
      }
    }
    // a just-created topic may take a moment to show in every broker's metadata
    const deadline = Date.now() + this.#client.config.requestTimeoutMs;
    for (;;) {
      try {
        return await this.describeTopic(topic);
      } catch (e) {
        if ((e as { kind?: string }).kind !== 'not-found' || Date.now() > deadline) throw e;
        await sleep(100);
      }
    }
  }

  async describeTopic(topic: string): Promise<TopicInfo> {
    this.topic(topic);
    const partitions = await this.describePartitions(topic);
    const info: TopicInfo = { name: topic, partitions };
    try {
      const cfg = await this.kafkaAdmin.describeConfigs({
        resources: [{ type: 2 /* TOPIC */, name: topic, configNames: ['retention.ms', 'cleanup.policy', 'max.message.bytes'] }],
        includeSynonyms: false,
      });
      const entries = cfg.resources[0]?.configEntries ?? [];
      const details: Record<string, unknown> = {};
      for (const c of entries) {
        details[c.configName] = c.configValue;
        if (c.configName === 'retention.ms' && Number(c.configValue) > 0) info.retentionHours = Number(c.configValue) / 3_600_000;
      }
      info.details = details;
    } catch (e) {
      this.#client.logger.debug('describeConfigs failed', { topic, error: this.#client.error(e, 'describe configs').message });
    }
    return this.#client.dialect.topicDetails?.(info) ?? info;
  }

  async growPartitions(topic: string, partitions: number): Promise<TopicInfo> {
    this.topic(topic);
    this.#client.dialect.checks?.growPartitions?.(topic, partitions);
    if (!this.#client.capabilities.partitionGrowth) {
      throw new UnsupportedError(`partitions: ${this.#client.target} cannot add partitions to a topic`, {
        field: 'partitions',
        target: this.#client.target,
      });
    }
    validatePositiveInt(partitions, 'partitions', 100_000);
    const current = await this.describePartitions(topic);
    if (partitions < current) {
      throw new ValidationError(
        `partitions: topic ${topic} has ${current} partitions; Kafka partitions only grow, so ${partitions} is refused`,
        { field: 'partitions', target: this.#client.target },
      );
    }
    if (partitions > current) {
      try {
        await this.kafkaAdmin.createPartitions({ topicPartitions: [{ topic, count: partitions }], validateOnly: false });
      } catch (e) {
        throw this.#client.error(e, `grow topic ${topic} to ${partitions} partitions`, topic);
      }
    }
    this.#client.forget(topic);
    // CreatePartitions returns once the controller accepted it; metadata can lag behind for a moment.
    const deadline = Date.now() + this.#client.config.requestTimeoutMs;
    while ((await this.describePartitions(topic)) < partitions && Date.now() < deadline) await sleep(100);
    return this.describeTopic(topic);
  }

  async deleteTopic(topic: string): Promise<void> {
    this.topic(topic);
    this.#client.forget(topic);
    try {
      await this.describePartitions(topic);
    } catch (e) {
      if ((e as { kind?: string }).kind === 'not-found') return;
      throw e;
    }
    try {
      await this.kafkaAdmin.deleteTopics({ topics: [topic] });
    } catch (e) {
      const mapped = this.#client.error(e, `delete topic ${topic}`, topic);
      if (mapped.kind !== 'not-found') throw mapped;
    }
  }

  async listTopics(): Promise<string[]> {
    this.#client.check();
    try {
      return (await this.kafkaAdmin.listTopics()).filter((t) => !INTERNAL_TOPIC.test(t)).sort();
    } catch (e) {
      throw this.#client.error(e, 'list topics');
    }
  }
}

/** Where {@link planProduceRequests} puts a record: its index in the batch and its partition. */
export interface PlannedRecord {
  /** Index in the batch. */
  index: number;
  /** Partition it goes to. */
  partition: number;
}

/**
 * Plans the produce requests of one batch. Each record's partition is its explicit one, else the Java client's
 * murmur2 of its key, else `sticky`. Requests follow one another, each holding per partition a run of records below
 * `maxPartitionBytes` (the broker's `message.max.bytes` less the batch header) and, with `maxRequestBytes` (a
 * service's request limit, e.g. Event Hubs'), at most that many bytes of records and batch headers in all. Sent in
 * order, the requests keep per-partition (so per-key) order. A record above a limit goes alone.
 */
export function planProduceRequests(
  records: readonly ProducerRecord[],
  partitions: number,
  sticky: number,
  limits: { maxPartitionBytes: number; maxRequestBytes?: number },
): PlannedRecord[][] {
  const requests: Array<{ records: PlannedRecord[]; bytes: number; partitions: Set<number> }> = [];
  const requestOf = new Map<number, number>();
  const bytesOf = new Map<number, number>();
  const max = limits.maxRequestBytes;
  records.forEach((r, index) => {
    const partition = r.partition ?? (r.key !== undefined && r.key !== null ? partitionForKey(r.key, partitions) : sticky);
    const size = framedBytes(r);
    let at = requestOf.get(partition) ?? 0;
    let bytes = bytesOf.get(partition) ?? 0;
    if (bytes > 0 && bytes + size > limits.maxPartitionBytes) {
      at++;
      bytes = 0;
    }
    for (let req = requests[at]; max !== undefined && req && req.records.length > 0; req = requests[at]) {
      const added = size + (req.partitions.has(partition) ? 0 : BATCH_HEADER_BYTES);
      if (req.bytes + added <= max) break;
      at++;
      bytes = 0;
    }
    let req = requests[at];
    if (!req) {
      req = { records: [], bytes: 0, partitions: new Set() };
      requests[at] = req;
    }
    req.bytes += size + (req.partitions.has(partition) ? 0 : BATCH_HEADER_BYTES);
    req.partitions.add(partition);
    req.records.push({ index, partition });
    requestOf.set(partition, at);
    bytesOf.set(partition, bytes + size);
  });
  return requests.filter(Boolean).map((r) => r.records);
}

function toBuffer(value: Uint8Array | string): Buffer | string {
  if (typeof value === 'string') return value;
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** A producer on the kafkajs idempotent producer. */
export class KafkaProducer implements Producer {
  private closing: Promise<void> | undefined;
  private producer: KafkaJsProducer | undefined;
  private connecting: Promise<KafkaJsProducer> | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  private sticky = Math.floor(Math.random() * 1024);

  constructor(
    private readonly client: KafkaStreamClient,
    private readonly onClose: () => void,
  ) {}

  private connect(): Promise<KafkaJsProducer> {
    this.connecting ??= (async () => {
      const { config } = this.client;
      const p = this.client.kafkajs().producer({
        idempotent: config.idempotent,
        ...(config.idempotent ? { maxInFlightRequests: 1 } : {}),
        allowAutoTopicCreation: false,
        metadataMaxAge: Math.max(config.metadataMaxAgeMs, 1000),
        // partitions are chosen by send(); kafkajs only honours them
        createPartitioner:
          () =>
          ({ message }) =>
            message.partition ?? 0,
      });
      try {
        await p.connect();
      } catch (e) {
        this.connecting = undefined;
        throw this.client.error(e, 'connect producer');
      }
      this.producer = p;
      return p;
    })();
    return this.connecting;
  }

  /** Sends one batch, validated by the portable client (record shapes, sizes); partitions are checked here. */
  async send(topic: string, records: ProducerRecord | readonly ProducerRecord[]): Promise<RecordMetadata[]> {
    const list: readonly ProducerRecord[] = Array.isArray(records) ? records : [records as ProducerRecord];
    if (list.length === 0) return [];
    this.client.dialect.checks?.topic?.(topic);
    const task = this.sendBatch(topic, list);
    this.inFlight.add(task);
    try {
      return await task;
    } finally {
      this.inFlight.delete(task);
    }
  }

  private async sendBatch(topic: string, list: readonly ProducerRecord[]): Promise<RecordMetadata[]> {
    const partitions = await this.client.partitionCount(topic);
    list.forEach((r, i) => {
      if (r.partition !== undefined && r.partition >= partitions) {
        throw new ValidationError(
          `records[${i}].partition is ${r.partition} but topic ${topic} has ${partitions} partitions (0-${partitions - 1}); nothing of the batch was sent`,
          { field: `records[${i}].partition`, target: this.client.target },
        );
      }
    });
    const { messageMaxBytes, maxRequestBytes } = this.client.config;
    const rounds = planProduceRequests(list, partitions, this.sticky++ % partitions, {
      maxPartitionBytes: messageMaxBytes - BATCH_HEADER_BYTES,
      ...(maxRequestBytes !== undefined ? { maxRequestBytes } : {}),
    }).map((request) =>
      request.map(({ index, partition }) => {
        const r = list[index] as ProducerRecord;
        const message: Message = {
          key: r.key ?? null,
          value: toBuffer(r.value),
          partition,
          ...(r.headers ? { headers: r.headers } : {}),
          ...(r.timestamp !== undefined ? { timestamp: String(Math.trunc(r.timestamp)) } : {}),
        };
        return { index, partition, message };
      }),
    );
    const producer = this.producer ?? (await this.connect());
    const out: RecordMetadata[] = new Array(list.length);
    for (const bucket of rounds) {
      let result: Awaited<ReturnType<KafkaJsProducer['send']>>;
      let timer: NodeJS.Timeout | undefined;
      try {
        const { sendTimeoutMs } = this.client.config;
        result = await Promise.race([
          producer.send({ topic, messages: bucket.map((b) => b.message), acks: -1 }),
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () =>
                reject(
                  new TimeoutError(
                    `send to ${topic}: no acknowledgement within sendTimeoutMs (${sendTimeoutMs} ms); the batch may or may not have been written`,
                    { target: this.client.target, field: 'sendTimeoutMs' },
                  ),
                ),
              sendTimeoutMs,
            );
          }),
        ]);
      } catch (e) {
        if (this.client.config.idempotent) this.replaceAfterFailure(producer);
        const mapped = this.client.error(e, `send to ${topic}`, topic);
        if (mapped.kind === 'not-found') this.client.forget(topic);
        throw mapped;
      } finally {
        clearTimeout(timer);
      }
      // next offset per partition: the batch's base offset, counted up in send order (exact below 2^53, else BigInt)
      const next = new Map<number, number | bigint>();
      for (const r of result) {
        const base = Number(r.baseOffset ?? '0');
        next.set(r.partition, Number.isSafeInteger(base + bucket.length) ? base : BigInt(r.baseOffset ?? '0'));
      }
      for (const b of bucket) {
        const offset = next.get(b.partition) ?? 0;
        next.set(b.partition, typeof offset === 'bigint' ? offset + 1n : offset + 1);
        out[b.index] = { partition: b.partition, position: String(offset) };
      }
    }
    return out;
  }

  /**
   * Drops an idempotent kafkajs producer after a failed send; the next send starts a new one (a new producer id).
   * kafkajs rolls the sequence numbers of a failed produce request back even when the broker wrote the batch (the
   * connection dropped before the response, e.g. a broker killed and restarted). The next batch would reuse those
   * numbers, and the broker, which recovered the producer's state from its log, would acknowledge it as a duplicate
   * without writing it: an acknowledged message lost. Seen in the broker-restart test; a new producer id cannot
   * collide with the old one's sequence numbers.
   */
  private replaceAfterFailure(failed: KafkaJsProducer): void {
    if (this.producer !== failed) return;
    this.producer = undefined;
    this.connecting = undefined;
    this.client.logger.warn('kafka producer replaced after a failed send (new producer id)');
    void failed.disconnect().catch(() => {});
  }

  async flush(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.flush();
      await this.producer?.disconnect().catch(() => {});
      this.onClose();
    })();
    return this.closing;
  }
}

interface PartitionState {
  processor: PartitionProcessor;
  /** Lowest offset to hand over (start pinned for a group without checkpoint), or null. */
  pin: bigint | null;
  /** Resolves when the processor is stopped. */
  stopped: Promise<void>;
  signalStopped: () => void;
}

function decodeHeaders(h: IHeaders | undefined): Headers {
  const out: Headers = {};
  if (!h) return out;
  for (const k in h) {
    const v = h[k];
    if (v === undefined) continue;
    const last = Array.isArray(v) ? v[v.length - 1] : v;
    if (last === undefined) continue;
    out[k] = typeof last === 'string' ? last : last.toString('utf8');
  }
  return out;
}

function toConsumed(topic: string, partition: number, m: KafkaMessage): ConsumedMessage {
  return {
    topic,
    partition,
    position: m.offset,
    key: m.key === null || m.key === undefined ? null : m.key.toString('utf8'),
    value: m.value ?? EMPTY,
    headers: decodeHeaders(m.headers),
    timestamp: Number(m.timestamp),
    deliveryAttempt: 1,
  };
}

/** A member of a Kafka consumer group feeding the core partition processors. */
export class KafkaSubscription implements Subscription {
  private consumer: Consumer | undefined;
  private readonly states = new Map<number, PartitionState>();
  private assigned: number[] = [];
  private readonly statsData: SubscriptionStats = newStats();
  private closing = false;
  private closed: Promise<void> | undefined;
  private joinReady: Promise<Map<number, bigint>> = Promise.resolve(new Map());
  private crash: unknown;
  private started = false;
  /** Set when a heartbeat failed (rebalance): no new work starts until the member has rejoined. */
  private rebalancing = false;
  private dlq: DeadLetterSink | undefined;
  private readonly heartbeatMs: number;
  private readonly sessionTimeoutMs: number;

  constructor(
    private readonly client: KafkaStreamClient,
    private readonly options: SubscribeOptions,
    private readonly handler: MessageHandler,
    private readonly onClose: () => void,
  ) {
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? 10_000;
    // Frequent heartbeats make members notice a rebalance (and give up their partitions) quickly.
    this.heartbeatMs = Math.max(100, Math.min(1000, Math.floor(this.sessionTimeoutMs / 10)));
  }

  assignments(): number[] {
    return [...this.assigned];
  }

  stats(): SubscriptionStats {
    return { ...this.statsData };
  }

  private report(e: unknown): void {
    if (this.options.onError) this.options.onError(e);
    else this.client.logger.warn('kafka subscription error', { error: redact(String((e as Error)?.message ?? e)) });
  }

  async start(): Promise<void> {
    const { config } = this.client;
    const { topic, group } = this.options;
    const start = this.options.startFrom ?? 'earliest';
    const consumer = this.client.kafkajs().consumer({
      groupId: group,
      sessionTimeout: this.sessionTimeoutMs,
      heartbeatInterval: this.heartbeatMs,
      rebalanceTimeout: Math.max(config.rebalanceTimeoutMs, this.sessionTimeoutMs),
      maxBytesPerPartition: config.maxBytesPerPartition,
      maxWaitTimeInMs: config.maxWaitTimeMs,
      allowAutoTopicCreation: false,
      retry: {
        retries: config.retries,
        initialRetryTime: config.initialRetryMs,
        restartOnFailure: async (e) => {
          // kafkajs restarts the member after a crash: first stop every partition cleanly.
          await this.stopAll();
          this.report(this.client.error(e, `consumer group ${group}`, topic));
          return !this.closing;
        },
      },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.onJoin(e.payload.memberAssignment[topic] ?? []);
    });
    consumer.on(consumer.events.REBALANCING, () => {
      // kafkajs is about to rejoin: write pending checkpoints now, ahead of the JoinGroup on the same connection
      for (const s of this.states.values()) void s.processor.flushCommit();
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.crash = e.payload.error;
      if (!e.payload.restart) {
        this.assigned = [];
        // a member that kafkajs will not restart: say so (a crash while joining is thrown by subscribe instead)
        if (this.started && !this.closing) {
          this.report(this.client.error(e.payload.error, `consumer group ${group} stopped`, topic));
        }
      }
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: start !== 'latest' });
      await consumer.run({
        autoCommit: false,
        // offsets are resolved only for batches fully handled, so an early return re-fetches rather than skips
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: config.partitionsConsumedConcurrently,
        eachBatch: (payload) => this.eachBatch(payload),
      });
    } catch (e) {
      throw this.client.error(e, `join consumer group ${group}`, topic);
    }
    // run() returns after the first join, or after a crash during it
    if (this.crash !== undefined) throw this.client.error(this.crash, `join consumer group ${group}`, topic);
    this.started = true;
  }

  private onJoin(partitions: number[]): void {
    this.rebalancing = false;
    const old = [...this.states.values()];
    this.states.clear();
    this.assigned = [...partitions].sort((a, b) => a - b);
    const previous = this.joinReady;
    this.joinReady = (async () => {
      await previous.catch(() => undefined);
      await Promise.all(old.map((s) => this.stopState(s)));
      return this.pinStarts(this.assigned);
    })();
    this.joinReady.catch((e) => this.report(e));
    this.options.onAssignment?.(this.assignments());
  }

  /**
   * For partitions without a committed offset and a `latest` / timestamp start: resolve the start offset now and
   * commit it, so a later owner of the partition starts at the same place.
   */
  private async pinStarts(partitions: number[]): Promise<Map<number, bigint>> {
    const pins = new Map<number, bigint>();
    const start = this.options.startFrom ?? 'earliest';
    if (start === 'earliest' || partitions.length === 0 || this.closing) return pins;
    const { topic, group } = this.options;
    const admin = this.client.kafkajsAdmin();
    try {
      const committed = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      const have = new Map<number, string>();
      for (const t of committed) for (const p of t.partitions) have.set(p.partition, p.offset);
      const missing = partitions.filter((p) => (have.get(p) ?? '-1') === '-1');
      if (missing.length === 0) return pins;
      const offsets =
        start === 'latest'
          ? (await admin.fetchTopicOffsets(topic)).map((o) => ({ partition: o.partition, offset: o.high }))
          : await admin.fetchTopicOffsetsByTimestamp(topic, start.timestamp);
      for (const o of offsets) if (missing.includes(o.partition)) pins.set(o.partition, BigInt(o.offset));
      await this.consumer
        ?.commitOffsets([...pins].map(([partition, offset]) => ({ topic, partition, offset: String(offset) })))
        .catch((e) => this.client.logger.debug('start offset commit deferred', { error: String((e as Error).message) }));
    } catch (e) {
      this.report(this.client.error(e, `resolve start offsets of group ${group}`, topic));
    }
    return pins;
  }

  private newState(partition: number, pin: bigint | null): PartitionState {
    const { topic, group } = this.options;
    let signalStopped = () => {};
    const stopped = new Promise<void>((r) => {
      signalStopped = r;
    });
    const processor = new PartitionProcessor({
      topic,
      group,
      partition,
      handler: this.handler,
      ...(this.options.maxAttempts !== undefined ? { maxAttempts: this.options.maxAttempts } : {}),
      ...(this.options.retryBackoff !== undefined ? { backoff: this.options.retryBackoff } : {}),
      ...(this.options.concurrency !== undefined ? { concurrency: this.options.concurrency } : {}),
      commitIntervalMs: this.client.config.commitIntervalMs,
      stats: this.statsData,
      deadLetter: (m, err, attempts, send) => this.deadLetter(m, err, attempts, send),
      commit: async (m) => {
        if (!this.consumer) return;
        try {
          await this.consumer.commitOffsets([{ topic, partition, offset: (BigInt(m.position) + 1n).toString() }]);
        } catch (e) {
          throw this.client.error(e, `commit ${topic}/${partition}@${m.position} for group ${group}`, topic);
        }
      },
      onError: (e) => this.report(e),
    });
    return { processor, pin, stopped, signalStopped };
  }

  private async stopState(s: PartitionState): Promise<void> {
    s.signalStopped();
    await s.processor.stop();
  }

  private async stopAll(): Promise<void> {
    const all = [...this.states.values()];
    this.states.clear();
    await Promise.all(all.map((s) => this.stopState(s)));
  }

  /**
   * Waits for `work`, heartbeating. Returns false when the partition was stopped meanwhile. A heartbeat failure
   * (rebalance, fenced member) stops the partition (in-flight handlers finish, contiguous prefix committed) and is
   * rethrown so kafkajs rejoins only after that.
   */
  private async waitBeating(work: Promise<void>, state: PartitionState, heartbeat: () => Promise<void>): Promise<boolean> {
    let done = false;
    const finished = work.then(() => {
      done = true;
    });
    for (;;) {
      const tick = new AbortController();
      await Promise.race([finished, state.stopped, sleep(this.heartbeatMs, tick.signal)]);
      tick.abort();
      if (done) return true;
      if (state.processor.isStopped) {
        await this.stopBeating(state, heartbeat);
        return false;
      }
      try {
        await heartbeat();
      } catch (e) {
        // kafkajs rejoins the group on these (GROUP_JOIN clears the flag); other errors only retry the fetch
        if (REJOIN_ERRORS.has(String((e as { type?: string }).type))) this.rebalancing = true;
        for (const [p, s] of this.states) if (s === state) this.states.delete(p);
        await this.stopState(state);
        throw e;
      }
    }
  }

  /**
   * Stops a partition (in-flight handlers finish, the contiguous prefix is committed) while heartbeating, so a
   * slow drain at close does not outlive the session: the member is not fenced, its final commit is accepted
   * (no UNKNOWN_MEMBER_ID) and kafkajs does not rejoin the group while it is stopping.
   */
  private async stopBeating(state: PartitionState, heartbeat: () => Promise<void>): Promise<void> {
    let stopped = false;
    const stopping = state.processor.stop().finally(() => {
      stopped = true;
    });
    while (!stopped) {
      const tick = new AbortController();
      await Promise.race([stopping.catch(() => undefined), sleep(this.heartbeatMs, tick.signal)]);
      tick.abort();
      // during a rebalance the coordinator refuses heartbeats; the drain goes on regardless
      if (!stopped && !this.rebalancing) await heartbeat().catch(() => undefined);
    }
    await stopping;
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, isRunning, isStale, resolveOffset } = payload;
    // returning without resolveOffset makes kafkajs fetch the batch again (or the next owner read it)
    if (this.closing || this.rebalancing || !isRunning() || isStale()) return;
    const { topic } = this.options;
    const partition = batch.partition;
    const pins = await this.joinReady.catch(() => new Map<number, bigint>());
    if (this.closing) return;
    let state = this.states.get(partition);
    if (!state || state.processor.isStopped) {
      state = this.newState(partition, pins.get(partition) ?? null);
      this.states.set(partition, state);
    }
    let messages: KafkaMessage[] = batch.messages;
    if (state.pin !== null) {
      const pin = state.pin;
      if (BigInt(batch.firstOffset() ?? '0') > pin) {
        // kafkajs resolved a later start than the pinned one: go back to the pin
        this.consumer?.seek({ topic, partition, offset: String(pin) });
        return;
      }
      messages = messages.filter((m) => BigInt(m.offset) >= pin);
      state.pin = null;
    }
    if (messages.length === 0 || (await this.feed(state, batch, messages, heartbeat))) resolveOffset(batch.lastOffset());
  }

  private async feed(
    state: PartitionState,
    batch: Batch,
    messages: KafkaMessage[],
    heartbeat: () => Promise<void>,
  ): Promise<boolean> {
    const maxBuffered = Math.max(1, this.options.maxBufferedPerPartition ?? 1000);
    const { processor } = state;
    let i = 0;
    // refill to maxBuffered whenever the buffer drains to half (a low-water mark, so waits stay few)
    const lowWater = Math.max(1, Math.ceil(maxBuffered / 2));
    while (i < messages.length) {
      if (processor.isStopped || this.closing) return false;
      const room = Math.max(1, maxBuffered - processor.buffered);
      const end = Math.min(messages.length, i + room);
      const chunk: ConsumedMessage[] = new Array(end - i);
      for (let j = i; j < end; j++) chunk[j - i] = toConsumed(batch.topic, batch.partition, messages[j] as KafkaMessage);
      processor.enqueue(chunk);
      i = end;
      if (i < messages.length && !(await this.waitBeating(processor.waitForSpace(lowWater), state, heartbeat))) return false;
    }
    // finished, not yet committed: the checkpoint follows on the commit interval (flushed on rebalance and close)
    return (await this.waitBeating(processor.drained(), state, heartbeat)) && !processor.isStopped;
  }

  private async deadLetter(m: ConsumedMessage, error: unknown, attempts: number, send?: DeadLetterSend): Promise<void> {
    this.dlq ??= new DeadLetterSink({
      topic: this.options.topic,
      group: this.options.group,
      deadLetterTopic: this.options.deadLetterTopic,
      ensureTopic: async (dlq) => {
        try {
          await this.client.partitionCount(dlq, true);
        } catch (e) {
          if ((e as { kind?: string }).kind !== 'not-found') throw e;
          const partitions = await this.client.partitionCount(this.options.topic).catch(() => 1);
          await this.client.admin.ensureTopic(dlq, { partitions });
        }
      },
      producer: () => this.client.producer(),
    });
    await this.dlq.publish(m, error, attempts, send);
  }

  close(): Promise<void> {
    this.closing = true;
    this.closed ??= (async () => {
      await this.joinReady.catch(() => undefined);
      await this.stopAll();
      try {
        await this.consumer?.disconnect();
      } catch (e) {
        this.report(this.client.error(e, `leave consumer group ${this.options.group}`, this.options.topic));
      }
      this.assigned = [];
      await this.dlq?.close();
      this.onClose();
    })();
    return this.closed;
  }
}

/**
 * Creates a client for `kafka://host:port[,host:port]`, or for a dialect's URI (`msk://<cluster-arn>`, ...).
 * @throws `ConfigError` (bad URI or config), `AuthError`, `ConnectionError` (unreachable, TLS).
 */
export async function createKafkaStreamClient<C extends KafkaConfig = KafkaConfig>(
  uri: ParsedUri,
  options: { config?: Record<string, unknown>; logger?: Logger } = {},
  dialect?: KafkaDialect<C>,
): Promise<KafkaStreamClient> {
  const logger = options.logger ?? silentLogger;
  const target = dialect?.target ?? TARGET;
  const config = resolveKafkaConfig(uri, options.config ?? {}, {
    target,
    ...(dialect?.schema ? { schema: dialect.schema } : {}),
  }) as C;
  const connection = await resolveConnection(uri, config, logger, dialect);
  const kafka = new Kafka({ ...connection.kafkajs, logLevel: logLevel.WARN, logCreator: kafkaJsLogCreator(logger) });
  const admin = kafka.admin({ retry: { retries: config.retries, initialRetryTime: config.initialRetryMs } });
  try {
    await admin.connect();
  } catch (e) {
    await admin.disconnect().catch(() => {});
    const mapped = mapKafkaError(e, { op: `connect (${connection.security})`, brokers: connection.brokers, target });
    throw dialect?.mapError?.(mapped) ?? mapped;
  }
  logger.debug('kafka client connected', { brokers: connection.brokers, security: connection.security });
  return new KafkaStreamClient(
    uri.raw,
    config,
    connection,
    logger,
    admin,
    kafka,
    (dialect ?? { target }) as KafkaDialect<KafkaConfig>,
  );
}
