/**
 * The Kafka / MSK stream adapter: `kafka://host:port[,host:port]` and `msk://<cluster-arn>` on kafkajs.
 *
 * @packageDocumentation
 */
import type { StreamFactory } from '@speedlayer/core';
import { createKafkaStreamClient } from './client.js';

export {
  createKafkaStreamClient,
  KafkaAdmin,
  KafkaProducer,
  KafkaStreamClient,
  KafkaSubscription,
  kafkaCapabilities,
} from './client.js';
export {
  BROKER_MESSAGE_MAX_BYTES,
  configFromQuery,
  type KafkaConfig,
  type KafkaConfigInput,
  kafkaConfigJsonSchema,
  kafkaConfigSchema,
  type MskClusterArn,
  parseMskArn,
  RECORD_OVERHEAD_BYTES,
  resolveKafkaConfig,
  TARGET,
} from './config.js';
export { mskBootstrapBrokers, type ResolvedConnection, resolveConnection, saslOptions, unsecuredJwt } from './connection.js';
export { type ErrorContext, mapKafkaError } from './errors.js';
export { murmur2, partitionForKey } from './partitioner.js';

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
