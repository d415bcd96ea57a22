/**
 * The Kafka / MSK stream adapter: `kafka://host:port[,host:port]` and `msk://<cluster-arn>`, the shared Kafka driver
 * (`@speedlayer/kafka`) with MSK's dialect ({@link mskDialect}: the msk:// scheme, MSK IAM, MSK's config fields).
 * The names exported here before the driver moved to `@speedlayer/kafka` still are, bound to this target.
 *
 * @packageDocumentation
 */
import type { Logger, ParsedUri, StreamFactory } from '@speedlayer/core';
import { configJsonSchema } from '@speedlayer/core';
import {
  configFromQuery as baseConfigFromQuery,
  saslOptions as baseSaslOptions,
  createKafkaStreamClient as createWithDialect,
  type ErrorContext,
  type KafkaStreamClient,
  mapKafkaError as mapBase,
  type ResolvedConnection,
  resolveConnection as resolveWithDialect,
  resolveKafkaConfig as resolveWithSchema,
} from '@speedlayer/kafka';
import type { SASLOptions } from 'kafkajs';
import { type KafkaConfig, kafkaConfigSchema, mskDialect, mskIamSasl, TARGET } from './msk.js';

export {
  BROKER_MESSAGE_MAX_BYTES,
  type ErrorContext,
  KafkaAdmin,
  KafkaProducer,
  KafkaStreamClient,
  KafkaSubscription,
  kafkaCapabilities,
  murmur2,
  partitionForKey,
  RECORD_OVERHEAD_BYTES,
  type ResolvedConnection,
  unsecuredJwt,
} from '@speedlayer/kafka';
export {
  type KafkaConfig,
  type KafkaConfigInput,
  kafkaConfigSchema,
  type MskClusterArn,
  mskBootstrapBrokers,
  mskDialect,
  mskIamSasl,
  parseMskArn,
  TARGET,
} from './msk.js';

/** JSON Schema of {@link kafkaConfigSchema}, for docs and editors. */
export function kafkaConfigJsonSchema(): Record<string, unknown> {
  return configJsonSchema(kafkaConfigSchema);
}

/** URI query parameters to config input (see `@speedlayer/kafka`'s `configFromQuery`), with MSK's fields. */
export function configFromQuery(params: URLSearchParams): Record<string, unknown> {
  return baseConfigFromQuery(params, kafkaConfigSchema);
}

/** Resolves config of a `kafka://` or `msk://` URI. @throws `ConfigError` naming the field. */
export function resolveKafkaConfig(uri: ParsedUri, config: Record<string, unknown> = {}): KafkaConfig {
  return resolveWithSchema(uri, config, { schema: kafkaConfigSchema, target: TARGET });
}

/** Resolves brokers, TLS and SASL for a `kafka://` or `msk://` URI. */
export function resolveConnection(uri: ParsedUri, config: KafkaConfig, logger: Logger): Promise<ResolvedConnection> {
  return resolveWithDialect(uri, config, logger, mskDialect);
}

/** The kafkajs `sasl` option, MSK IAM included. Secrets are read when needed, never logged. */
export async function saslOptions(config: KafkaConfig, arnRegion?: string): Promise<SASLOptions | undefined> {
  if (config.sasl?.mechanism === 'aws-msk-iam') return (await mskIamSasl(config, arnRegion)).options;
  return baseSaslOptions(config, TARGET);
}

/** Maps any kafkajs error to a speedlayer error of this target. */
export function mapKafkaError(error: unknown, ctx: ErrorContext) {
  return mapBase(error, { target: TARGET, ...ctx });
}

/** Creates a client for `kafka://host:port[,host:port]` or `msk://<cluster-arn>`. */
export function createKafkaStreamClient(
  uri: ParsedUri,
  options: { config?: Record<string, unknown>; logger?: Logger } = {},
): Promise<KafkaStreamClient> {
  return createWithDialect(uri, options, mskDialect);
}

/**
 * The stream factory the registry loads for `kafka://` and `msk://` URIs.
 *
 * @example
 * ```ts
 * import { connect } from '@speedlayer/core';
 * const client = await connect('kafka://127.0.0.1:9092');
 * await client.admin.ensureTopic('orders', { partitions: 4 });
 * await client.close();
 * ```
 */
export const streamFactory: StreamFactory = (uri, options) =>
  createKafkaStreamClient(uri, {
    ...(options.config !== undefined ? { config: options.config } : {}),
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
