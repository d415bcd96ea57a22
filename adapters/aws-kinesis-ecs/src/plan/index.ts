/**
 * Planning profile of `aws-kinesis-ecs`: limits with sources, the shard sizing rule, prices and the IaC emitter.
 * Loaded by the CLI through its target registry as `@speedlayer/aws-kinesis-ecs/plan`.
 *
 * @packageDocumentation
 */

export { emitKinesisEcs } from './emit.js';
export { FARGATE_SIZES, fargateSize, KINESIS_LIMITS, LARGE_REGIONS } from './limits.js';
export { KINESIS_ECS_PRICES } from './prices.js';
export type { KinesisOptions } from './profile.js';
export {
  kinesisEcsTarget as plannerTarget,
  kinesisEcsTarget,
  kinesisOptionsSchema,
  planKinesisEcs,
  TARGET_ID,
} from './profile.js';
export type { ShardInputs, ShardSizing } from './sizing.js';
export { onDemandShardEstimate, provisionedShards, putPayloadUnits, reshardCalls } from './sizing.js';
