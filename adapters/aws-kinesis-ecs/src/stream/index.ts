/**
 * The Kinesis Data Streams stream adapter (`kinesis://<region>`).
 *
 * @packageDocumentation
 */
export { type BalancePlan, eligible, expired, type Observations, observe, planBalance } from './balance.js';
export {
  createKinesisStreamClient,
  type KinesisClientExtras,
  KinesisStreamClient,
  kinesisCapabilities,
  type RequestHandlerLike,
  streamFactory,
} from './client.js';
export { type KinesisConfig, kinesisConfigSchema, resolveKinesisConfig } from './config.js';
export { decodeEnvelope, ENVELOPE_MAGIC, type EnvelopeMeta, encodeEnvelope } from './envelope.js';
export { awsErrorName, classifyAwsError } from './errors.js';
export {
  compareSequence,
  MAX_HASH_KEY,
  partitionKeyHash,
  type ShardRange,
  shardForHashKey,
  shardForKey,
  shardIndex,
} from './hash.js';
export { type Lease, LeaseTable, leaseTableName, parseLease, Sentinel } from './leases.js';
export { EXPLICIT_HASH_KEY_HEADER, KinesisProducer, kinesisRecordCheck, nextRequest, prepareEntries } from './producer.js';
export { listShards, openShards, type ShardInfo, streamSummary, waitForActive } from './shards.js';
