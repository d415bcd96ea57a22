/**
 * The hook through which a Kafka-protocol target plugs into the shared driver: a {@link KafkaDialect} says what
 * differs from Apache Kafka on `kafka://` — the target id, extra URI schemes and how they find their brokers, extra
 * config fields, extra SASL mechanisms — so the driver itself depends on core and kafkajs only.
 *
 * @example
 * ```ts
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
import type { Logger, ParsedUri, z } from '@speedlayer/core';
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
}
