/**
 * The hook through which a Kafka-protocol target plugs into the shared driver: a {@link KafkaDialect} says what
 * differs from Apache Kafka on `kafka://` — the target id, extra URI schemes and how they find their brokers, extra
 * config fields, extra SASL mechanisms, the service's limits and capabilities, checks before any request, how its
 * errors read — so the driver itself depends on core and kafkajs only, and a target is only what differs.
 *
 * @example
 * ```ts
 * import { parseUri } from '@speedlayer/core';
 * import { createKafkaStreamClient, type KafkaDialect } from '@speedlayer/kafka';
 * const dialect: KafkaDialect = {
 *   target: 'my-kafka-service',
 *   schemes: ['kafka', 'mykafka'],
 *   brokers: async (uri) => ({ brokers: [`${uri.location}.example.net:9093`], tls: true }),
 *   sasl: async (sasl) =>
 *     sasl.mechanism === 'my-token'
 *       ? { options: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: 'token' }) }, label: 'OAUTHBEARER(my-token)', tls: true }
 *       : undefined,
 * };
 * const client = await createKafkaStreamClient(parseUri('mykafka://orders'), {}, dialect);
 * ```
 *
 * @packageDocumentation
 */
import type {
  EnsureTopicOptions,
  Logger,
  ParsedUri,
  SpeedlayerError,
  StreamCapabilities,
  SubscribeOptions,
  TopicInfo,
  z,
} from '@speedlayer/core';
import type { SASLOptions } from 'kafkajs';
import type { KafkaConfig } from './config.js';

/** What a dialect's SASL hook returns for a mechanism it adds. */
export interface KafkaSaslProvided {
  /** The kafkajs `sasl` option (secrets only inside closures). */
  options: SASLOptions;
  /** The mechanism in words for logs and `security`, e.g. `OAUTHBEARER(MSK IAM)`; never a secret. */
  label: string;
  /** True when the mechanism needs TLS (turned on unless `tls: false` is given). */
  tls?: boolean;
}

/** How a Kafka-protocol target differs from plain `kafka://`. Every member but `target` is optional. */
export interface KafkaDialect<C extends KafkaConfig = KafkaConfig> {
  /** Target id on the client, its errors and its telemetry, e.g. `aws-msk-eks`. */
  target: string;
  /** URI schemes served. @default ['kafka'] */
  schemes?: readonly string[];
  /** Config schema: {@link kafkaConfigSchema} or an extension of it (`.extend({...})`). */
  schema?: z.ZodType<C>;
  /**
   * Bootstrap brokers for a URI whose scheme is not `kafka://` (for `kafka://` the location is the host list), and
   * whether TLS is on by default there.
   */
  brokers?(uri: ParsedUri, config: C, logger: Logger): Promise<{ brokers: string[]; tls?: boolean }>;
  /**
   * kafkajs SASL options for a mechanism the driver does not know (it knows plain, scram-sha-256/512 and
   * oauthbearer); undefined leaves it to the driver, which refuses unknown mechanisms naming `sasl.mechanism`.
   */
  sasl?(sasl: { mechanism: string }, config: C, uri: ParsedUri): Promise<KafkaSaslProvided | undefined>;
  /** The target's capabilities from the driver's (`kafkaCapabilities(config)`): what differs (limits, growth). */
  capabilities?(base: StreamCapabilities, config: C): StreamCapabilities;
  /**
   * Checks before any request, beyond Kafka's own (the portable client has validated options and records already).
   * Each throws a typed error naming the field.
   */
  checks?: {
    /** A topic name, on every admin call, send and subscribe. */
    topic?(topic: string): void;
    /** `ensureTopic` options (partitions defaulted to 1). */
    ensureTopic?(topic: string, options: EnsureTopicOptions & { partitions: number }): void;
    /** `growPartitions`; the driver refuses growth itself when `capabilities.partitionGrowth` is false. */
    growPartitions?(topic: string, partitions: number): void;
    /** `subscribe` options (session timeouts the service accepts, ...). */
    subscribe?(options: SubscribeOptions): void;
  };
  /** `ensureTopic` describes a topic that exists without trying to create it (topics made by IaC or a portal). */
  describeBeforeCreate?: boolean;
  /** Adds the service's facts to what `describeTopic` / `ensureTopic` return. */
  topicDetails?(info: TopicInfo): TopicInfo;
  /** Reads an error as the service means it (Event Hubs: `POLICY_VIOLATION` on produce is throttling). */
  mapError?(error: SpeedlayerError): SpeedlayerError;
  /** What the client's `describe()` adds: where and how it is connected, never a secret. */
  describe?(): Record<string, unknown>;
}
