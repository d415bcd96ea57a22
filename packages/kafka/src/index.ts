/**
 * `@speedlayer/kafka`: the one Kafka stream driver on kafkajs, shared by every Kafka-protocol target. On its own it
 * serves `kafka://host:port[,host:port]`; a target (MSK, Event Hubs' Kafka endpoint, Strimzi, Confluent) adds what
 * differs through a {@link KafkaDialect}: its target id, URI schemes and broker discovery, config fields, SASL
 * mechanisms. Depends on `@speedlayer/core` and `kafkajs` only.
 *
 * @packageDocumentation
 */
import type { StreamFactory } from '@speedlayer/core';
import { createKafkaStreamClient } from './client.js';

export {
  type ApplyKafkaAclsOptions,
  applyKafkaAcls,
  describeKafkaAcls,
  type KafkaAcl,
  type KafkaAclChanges,
  type KafkaAclOperationName,
  type KafkaAclResourceType,
  type KafkaAclScope,
  kafkaAclKey,
} from './acl.js';
export {
  createKafkaStreamClient,
  KafkaAdmin,
  KafkaProducer,
  KafkaStreamClient,
  KafkaSubscription,
  kafkaCapabilities,
  type PlannedRecord,
  planProduceRequests,
} from './client.js';
export {
  BROKER_MESSAGE_MAX_BYTES,
  brokersFromKafkaUri,
  configFromQuery,
  type KafkaConfig,
  type KafkaConfigInput,
  type KafkaSasl,
  kafkaConfigJsonSchema,
  kafkaConfigSchema,
  RECORD_OVERHEAD_BYTES,
  resolveKafkaConfig,
  saslOauth,
  saslPassword,
  secretRef,
  TARGET,
} from './config.js';
export { type ResolvedConnection, resolveConnection, saslOptions, unsecuredJwt } from './connection.js';
export type { KafkaDialect, KafkaSaslProvided } from './dialect.js';
export { type ErrorContext, mapKafkaError } from './errors.js';
export { murmur2, partitionForKey } from './partitioner.js';

/**
 * The stream factory of plain `kafka://` URIs (target id `kafka`); core's registry routes `kafka://` here (see
 * `./target`). MSK's `msk://` is the `aws-msk-eks` adapter, which builds on this driver.
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
