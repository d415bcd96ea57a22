/**
 * The `eventhubs+kafka://` stream client: the Kafka adapter (`@speedlayer/aws-msk-eks`, kafkajs) pointed at Event
 * Hubs' Kafka endpoint, with Event Hubs' rules in front of it:
 * - topics are event hubs: names start and end with a letter or digit; partitions within the tier's limit; no
 *   partition growth on Standard (declared, and `growPartitions` is an `UnsupportedError`); retention within the
 *   tier's maximum; `ensureTopic` on an event hub that exists (created by IaC or the portal) only describes it;
 * - produce: the whole batch is validated (sizes against the request limit, partitions against the hub) before
 *   anything is sent, then sent in produce requests below Event Hubs' 1,046,528-byte request limit, in order;
 * - consume: group ids of at most 256 characters, session timeouts within 6-300 s;
 * - errors carry this target's id; nothing holds the connection string (the Kafka client reads it by reference).
 *
 * @packageDocumentation
 */

import {
  createKafkaStreamClient,
  TARGET as KAFKA_TARGET,
  type KafkaStreamClient,
  RECORD_OVERHEAD_BYTES,
} from '@speedlayer/aws-msk-eks/stream';
import {
  ClosedError,
  ConfigError,
  type ConnectOptions,
  type EnsureTopicOptions,
  isSpeedlayerError,
  type Logger,
  type MessageHandler,
  MessageTooLargeError,
  type ParsedUri,
  type PartitionLag,
  type Producer,
  type ProducerRecord,
  parseUri,
  type RecordMetadata,
  recordBytes,
  type StreamAdmin,
  type StreamCapabilities,
  type StreamDriver,
  type SubscribeOptions,
  type Subscription,
  silentLogger,
  ThrottledError,
  type TopicInfo,
  UnsupportedError,
  ValidationError,
  validateBatch,
  validatePositiveInt,
  validateTopicName,
} from '@speedlayer/core';
import type { Tier, TierLimits } from '../plan/limits.js';
import {
  EVENTHUBS_KAFKA_MAX_GROUP_ID,
  EVENTHUBS_KAFKA_REQUEST_BYTES,
  EVENTHUBS_KAFKA_SESSION_TIMEOUT_MS,
  type EventHubsConnectionStringShape,
  type EventHubsKafkaConfig,
  type EventHubsKafkaEndpoint,
  resolveEventHubsKafkaConfig,
  resolveEventHubsKafkaConnection,
} from './config.js';

const TARGET = 'azure-eventhubs-aks';

/** Kafka framing of one record in a batch, worst case (varints), as the Kafka adapter counts it. */
const RECORD_FRAMING_BYTES = 40;
/** Framing per header, worst case. */
const HEADER_FRAMING_BYTES = 10;
/** Record batch header (magic v2); counted once per record when sizing requests, as records may each go to a partition. */
const BATCH_HEADER_BYTES = 61;

/**
 * Bytes a record takes in a Kafka produce request, at most: key, value and headers, the record's varint framing, and
 * a record batch header (each record may open a partition's batch).
 */
export function eventHubsKafkaRequestBytes(r: ProducerRecord): number {
  const headers = r.headers ? Object.keys(r.headers).length : 0;
  return recordBytes(r) + RECORD_FRAMING_BYTES + HEADER_FRAMING_BYTES * headers + BATCH_HEADER_BYTES;
}

/**
 * Splits a validated batch into consecutive produce requests of at most `limit` bytes each (a record larger than
 * `limit` alone in its request; `send` refuses those before). Sent one after the other, the requests keep the
 * batch's order, so per-key order holds.
 */
export function eventHubsKafkaRequests(
  records: readonly ProducerRecord[],
  limit: number = EVENTHUBS_KAFKA_REQUEST_BYTES,
): ProducerRecord[][] {
  const requests: ProducerRecord[][] = [];
  let current: ProducerRecord[] = [];
  let bytes = 0;
  for (const r of records) {
    const size = eventHubsKafkaRequestBytes(r);
    if (current.length > 0 && bytes + size > limit) {
      requests.push(current);
      current = [];
      bytes = 0;
    }
    current.push(r);
    bytes += size;
  }
  if (current.length > 0) requests.push(current);
  return requests;
}

/** Event hub names: letters, digits, `.`, `_`, `-`, starting and ending with a letter or digit. */
const HUB_EDGES = /^[A-Za-z0-9](?:.*[A-Za-z0-9])?$/;

function validateHubName(topic: unknown): string {
  validateTopicName(topic);
  const name = topic as string;
  if (!HUB_EDGES.test(name)) {
    throw new ValidationError(`topic "${name}" is not an event hub name: it must start and end with a letter or digit`, {
      field: 'topic',
      target: TARGET,
    });
  }
  return name;
}

/**
 * Gives an error raised inside the Kafka adapter this target's id, and reads it as Event Hubs means it: a produce
 * answered with `POLICY_VIOLATION` is throttling (the request waited past its timeout for throughput units,
 * https://learn.microsoft.com/en-us/azure/event-hubs/apache-kafka-troubleshooting-guide), so a retriable
 * `ThrottledError`, where Apache Kafka means a refused topic policy.
 */
export function mapEventHubsKafkaError(e: unknown): unknown {
  if (!isSpeedlayerError(e) || e.target !== KAFKA_TARGET) return e;
  if (e.kind === 'validation' && /\bPOLICY_VIOLATION\b/.test(e.message) && /^send to /.test(e.message)) {
    return new ThrottledError(
      `${e.message} (on Event Hubs: throttled, the namespace's throughput units are exhausted; retry later)`,
      { target: TARGET, cause: e, retriable: true },
    );
  }
  (e as { target: string | undefined }).target = TARGET;
  return e;
}

const own = mapEventHubsKafkaError;

async function owned<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw own(e);
  }
}

/** What Event Hubs' Kafka endpoint can do on a tier. */
export function eventHubsKafkaCapabilities(
  config: Pick<EventHubsKafkaConfig, 'idempotent'>,
  limits: TierLimits,
): StreamCapabilities {
  return {
    nativeHeaders: true, // Kafka headers are the event's application properties
    partitions: true,
    partitionGrowth: limits.partitionsCanGrow, // premium and dedicated only
    nativeConsumerGroups: true, // Kafka groups, offsets stored by the service
    timestampSeek: true,
    idempotentProduce: config.idempotent, // "supports Apache Kafka idempotent producers"
    nativeDeadLetter: false,
    maxMessageBytes: Math.min(limits.maxEventBytes.value, EVENTHUBS_KAFKA_REQUEST_BYTES) - RECORD_OVERHEAD_BYTES,
    multiProcess: true,
    durable: true,
  };
}

/** Where and how a client is connected, without any secret. */
export interface EventHubsKafkaDescription {
  /** Always `azure-eventhubs-aks`. */
  target: string;
  /** Always `kafka` (the AMQP transport is `eventhubs://`). */
  transport: 'kafka';
  /** Bootstrap servers. */
  brokers: readonly string[];
  /** Namespace name, unless the URI gave `host:port`. */
  namespace: string | undefined;
  /** Tier the limits come from. */
  tier: Tier;
  /** Most partitions per event hub on the tier. */
  maxPartitions: number;
  /** Longest retention on the tier, in hours. */
  maxRetentionHours: number;
  /** Largest event the tier takes, in bytes (records are further bounded by the Kafka request limit). */
  maxEventBytes: number;
  /** Security in words. */
  security: string;
  /** The SAS policy named by the connection string. */
  sharedAccessKeyName: string | undefined;
  /** The one event hub the connection string is scoped to, if any. */
  entityPath: string | undefined;
}

/** The `eventhubs+kafka://` stream client. Create with {@link createEventHubsKafkaClient} or `connect()`. */
export class EventHubsKafkaClient implements StreamDriver {
  readonly target = TARGET;
  readonly capabilities: StreamCapabilities;
  readonly admin: EventHubsKafkaAdmin;
  /** Tier the limits come from. */
  readonly tier: Tier;
  /** The tier's limits (each with its source URL). */
  readonly limits: TierLimits;
  /** Bootstrap servers, `host:port`. */
  readonly brokers: readonly string[];
  /** Security in words (`SASL_SSL/PLAIN`), without any secret. */
  readonly security: string;
  readonly #kafka: KafkaStreamClient;
  readonly #endpoint: EventHubsKafkaEndpoint;
  readonly #shape: EventHubsConnectionStringShape;
  #closed = false;

  constructor(
    readonly uri: string,
    readonly config: EventHubsKafkaConfig,
    limits: TierLimits,
    endpoint: EventHubsKafkaEndpoint,
    shape: EventHubsConnectionStringShape,
    kafka: KafkaStreamClient,
  ) {
    this.tier = config.tier;
    this.limits = limits;
    this.brokers = [...endpoint.brokers];
    this.security = kafka.security;
    this.#kafka = kafka;
    this.#endpoint = endpoint;
    this.#shape = shape;
    this.capabilities = eventHubsKafkaCapabilities(config, limits);
    this.admin = new EventHubsKafkaAdmin(this, kafka);
  }

  /** Where and how this client is connected (no secret). */
  describe(): EventHubsKafkaDescription {
    return {
      target: TARGET,
      transport: 'kafka',
      brokers: this.brokers,
      namespace: this.#endpoint.namespace,
      tier: this.tier,
      maxPartitions: this.limits.partitionsPerHub.value,
      maxRetentionHours: this.limits.retentionHours.value,
      maxEventBytes: this.limits.maxEventBytes.value,
      security: this.security,
      sharedAccessKeyName: this.#shape.sharedAccessKeyName,
      entityPath: this.#shape.entityPath,
    };
  }

  /** Throws `ClosedError` after close. */
  check(what = 'stream client'): void {
    if (this.#closed) throw new ClosedError(what, { target: TARGET });
  }

  producer(): Producer {
    this.check();
    return new EventHubsKafkaProducer(this, this.#kafka);
  }

  async subscribe(options: SubscribeOptions, handler: MessageHandler): Promise<Subscription> {
    this.check();
    validateHubName(options?.topic);
    const group = options.group;
    if (typeof group === 'string' && group.length > EVENTHUBS_KAFKA_MAX_GROUP_ID) {
      throw new ConfigError(
        `group: Event Hubs accepts Kafka group ids of at most ${EVENTHUBS_KAFKA_MAX_GROUP_ID} characters, got ${group.length}`,
        { field: 'group', target: TARGET },
      );
    }
    const session = options.sessionTimeoutMs;
    const { min, max } = EVENTHUBS_KAFKA_SESSION_TIMEOUT_MS;
    if (session !== undefined && (!Number.isInteger(session) || session < min || session > max)) {
      throw new ConfigError(`sessionTimeoutMs: Event Hubs accepts ${min}-${max} ms, got ${String(session)}`, {
        field: 'sessionTimeoutMs',
        target: TARGET,
      });
    }
    const onError = options.onError;
    const wrapped: SubscribeOptions = {
      ...options,
      ...(onError ? { onError: (e: unknown) => onError(own(e)) } : {}),
    };
    return owned(this.#kafka.subscribe(wrapped, handler));
  }

  /** For `client.as()`: the kafkajs `Kafka` instance behind the Kafka endpoint. */
  native(): unknown {
    return this.#kafka.native();
  }

  /** Lag of `group` on an event hub, read over the Kafka endpoint's admin API. */
  lag(topic: string, group: string): Promise<PartitionLag[]> {
    this.check();
    return this.#kafka.lag(topic, group);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#kafka.close();
  }
}

/** Event hub (topic) administration through the Kafka endpoint, within the tier's limits. */
export class EventHubsKafkaAdmin implements StreamAdmin {
  readonly #client: EventHubsKafkaClient;
  readonly #kafka: KafkaStreamClient;

  constructor(client: EventHubsKafkaClient, kafka: KafkaStreamClient) {
    this.#client = client;
    this.#kafka = kafka;
  }

  #partitions(partitions: number): number {
    const { tier, limits } = this.#client;
    const max = limits.partitionsPerHub.value;
    if (typeof partitions !== 'number' || !Number.isInteger(partitions) || partitions < 1 || partitions > max) {
      throw new ValidationError(
        `partitions: an event hub on the ${tier} tier has 1-${max} partitions, got ${String(partitions)} (${limits.partitionsPerHub.source})`,
        { field: 'partitions', target: TARGET },
      );
    }
    return partitions;
  }

  #withTier(info: TopicInfo): TopicInfo {
    const { tier, limits } = this.#client;
    return {
      ...info,
      details: {
        ...info.details,
        eventHubs: {
          tier,
          maxPartitions: limits.partitionsPerHub.value,
          partitionGrowth: limits.partitionsCanGrow,
          maxRetentionHours: limits.retentionHours.value,
        },
      },
    };
  }

  /**
   * Creates the event hub when it is missing; an existing one (made by IaC or the portal) is only described, so
   * namespaces where topics are not managed through Kafka work too.
   * @throws `ValidationError` naming `partitions` or `retentionHours` when the tier does not allow them.
   */
  async ensureTopic(topic: string, options: EnsureTopicOptions = {}): Promise<TopicInfo> {
    this.#client.check();
    validateHubName(topic);
    const partitions = this.#partitions(options.partitions ?? 1);
    if (options.retentionHours !== undefined) {
      const { tier, limits } = this.#client;
      const max = limits.retentionHours.value;
      validatePositiveInt(options.retentionHours, 'retentionHours');
      if (options.retentionHours > max) {
        throw new ValidationError(
          `retentionHours: the ${tier} tier keeps events at most ${max} hours, got ${options.retentionHours} (${limits.retentionHours.source})`,
          { field: 'retentionHours', target: TARGET },
        );
      }
    }
    try {
      return this.#withTier(await this.#kafka.admin.describeTopic(topic));
    } catch (e) {
      if ((e as { kind?: string }).kind !== 'not-found') throw own(e);
    }
    return this.#withTier(await owned(this.#kafka.admin.ensureTopic(topic, { ...options, partitions })));
  }

  async describeTopic(topic: string): Promise<TopicInfo> {
    this.#client.check();
    validateHubName(topic);
    return this.#withTier(await owned(this.#kafka.admin.describeTopic(topic)));
  }

  /**
   * Adds partitions on Premium and Dedicated. @throws `UnsupportedError` on Standard (partition counts are fixed at
   * creation there), `ValidationError` (field `partitions`) above the tier's limit or below the current count.
   */
  async growPartitions(topic: string, partitions: number): Promise<TopicInfo> {
    this.#client.check();
    validateHubName(topic);
    const { tier, limits } = this.#client;
    if (!limits.partitionsCanGrow) {
      throw new UnsupportedError(
        `partitions: the partition count of an event hub on the ${tier} tier is fixed at creation; only premium and dedicated can add partitions (https://learn.microsoft.com/en-us/azure/event-hubs/dynamically-add-partitions)`,
        { field: 'partitions', target: TARGET },
      );
    }
    this.#partitions(partitions);
    // the Kafka adapter returns once the metadata shows the new partitions
    return this.#withTier(await owned(this.#kafka.admin.growPartitions(topic, partitions)));
  }

  async deleteTopic(topic: string): Promise<void> {
    this.#client.check();
    validateHubName(topic);
    await owned(this.#kafka.admin.deleteTopic(topic));
  }

  async listTopics(): Promise<string[]> {
    this.#client.check();
    return owned(this.#kafka.admin.listTopics());
  }
}

/** A producer: whole-batch validation for Event Hubs, then requests below its size limit, in order. */
export class EventHubsKafkaProducer implements Producer {
  readonly #client: EventHubsKafkaClient;
  readonly #kafka: KafkaStreamClient;
  #producer: Producer | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(client: EventHubsKafkaClient, kafka: KafkaStreamClient) {
    this.#client = client;
    this.#kafka = kafka;
  }

  async send(topic: string, records: ProducerRecord | readonly ProducerRecord[]): Promise<RecordMetadata[]> {
    if (this.#closed) throw new ClosedError('producer', { target: TARGET });
    this.#client.check();
    validateHubName(topic);
    const list = validateBatch(records, this.#client.capabilities, TARGET, (r, i) => {
      const bytes = eventHubsKafkaRequestBytes(r);
      if (bytes > EVENTHUBS_KAFKA_REQUEST_BYTES) {
        throw new MessageTooLargeError(i, bytes, EVENTHUBS_KAFKA_REQUEST_BYTES, { target: TARGET });
      }
    });
    if (list.length === 0) return [];
    const task = this.#sendValidated(topic, list);
    this.#inFlight.add(task);
    try {
      return await task;
    } finally {
      this.#inFlight.delete(task);
    }
  }

  async #sendValidated(topic: string, list: ProducerRecord[]): Promise<RecordMetadata[]> {
    // every explicit partition is checked before the first request, so no request of a refused batch goes out
    const partitions = await owned(this.#kafka.partitionCount(topic));
    list.forEach((r, i) => {
      if (r.partition !== undefined && r.partition >= partitions) {
        throw new ValidationError(
          `records[${i}].partition is ${r.partition} but event hub ${topic} has ${partitions} partitions (0-${partitions - 1}); nothing of the batch was sent`,
          { field: `records[${i}].partition`, target: TARGET },
        );
      }
    });
    const requests = eventHubsKafkaRequests(list);
    this.#producer ??= this.#kafka.producer();
    const out: RecordMetadata[] = [];
    for (const request of requests) out.push(...(await owned(this.#producer.send(topic, request))));
    return out;
  }

  async flush(): Promise<void> {
    await Promise.allSettled([...this.#inFlight]);
    await this.#producer?.flush();
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#closing ??= (async () => {
      await this.flush();
      await this.#producer?.close();
    })();
    return this.#closing;
  }
}

/**
 * Connects to an event hub namespace through its Kafka endpoint: `eventhubs+kafka://<namespace>` (or its host name,
 * or `host:port`) with `connectionString=env:VAR|file:/path` in the query or config.
 * @throws `ConfigError` (bad URI, tier, connection string), `AuthError` (the endpoint refused the connection
 * string), `ConnectionError` (unreachable, TLS).
 */
export async function createEventHubsKafkaClient(uri: ParsedUri, options: ConnectOptions): Promise<StreamDriver> {
  const logger: Logger = options.logger ?? silentLogger;
  const config = resolveEventHubsKafkaConfig(uri, options.config ?? {});
  const connection = await resolveEventHubsKafkaConnection(uri, config);
  const kafkaUri = parseUri(`kafka://${connection.endpoint.brokers.join(',')}`);
  const kafka = await owned(createKafkaStreamClient(kafkaUri, { config: connection.kafka, logger }));
  logger.debug('eventhubs+kafka connected', {
    brokers: connection.endpoint.brokers,
    namespace: connection.endpoint.namespace,
    tier: config.tier,
  });
  return new EventHubsKafkaClient(uri.raw, config, connection.limits, connection.endpoint, connection.connectionString, kafka);
}
