/**
 * Kinesis Data Streams and ECS Fargate limits, each with the URL it was read from (vendor-facts.md §1, §6).
 *
 * @packageDocumentation
 */
import { fact, MIB } from '@speedlayer/planner';

const LIMITS_URL = 'https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html';
const SIZING_URL = 'https://docs.aws.amazon.com/streams/latest/dev/how-do-i-size-a-stream.html';
const RESHARD_URL = 'https://docs.aws.amazon.com/kinesis/latest/APIReference/API_UpdateShardCount.html';

/** Kinesis limits used by the sizing rule. */
export const KINESIS_LIMITS = {
  shardWriteBytesPerSec: fact(
    MIB,
    'bytes/s per shard (1 MB/s, applied as MiB/s as in the official formula KiB/1024)',
    LIMITS_URL,
  ),
  shardWriteRecordsPerSec: fact(1000, 'records/s per shard', LIMITS_URL),
  shardSharedReadBytesPerSec: fact(2 * MIB, 'bytes/s per shard, shared by all polling consumers', LIMITS_URL),
  getRecordsTpsPerShard: fact(5, 'GetRecords calls/s per shard, shared by all polling consumers', LIMITS_URL),
  efoReadBytesPerSec: fact(
    2 * MIB,
    'bytes/s per shard per enhanced fan-out consumer',
    'https://docs.aws.amazon.com/streams/latest/dev/enhanced-consumers.html',
  ),
  efoConsumersPerStream: fact(
    20,
    'EFO consumers per stream',
    'https://docs.aws.amazon.com/streams/latest/dev/enhanced-consumers.html',
  ),
  maxRecordBytesDefault: fact(
    MIB,
    'bytes (1 MiB default)',
    'https://docs.aws.amazon.com/streams/latest/dev/large-records.html',
    'official (copy)',
  ),
  maxRecordBytesRaised: fact(
    10 * MIB,
    'bytes (10 MiB with update-max-record-size)',
    'https://docs.aws.amazon.com/streams/latest/dev/large-records.html',
    'official (copy)',
  ),
  minRetentionHours: fact(24, 'hours', 'https://docs.aws.amazon.com/streams/latest/dev/kinesis-extended-retention.html'),
  maxRetentionHours: fact(
    8760,
    'hours (365 days)',
    'https://docs.aws.amazon.com/streams/latest/dev/kinesis-extended-retention.html',
  ),
  extendedRetentionHours: fact(
    168,
    'hours (7 days; beyond it long-term retention pricing applies)',
    'https://aws.amazon.com/kinesis/data-streams/pricing/',
    'secondary',
  ),
  maxShardsPerStream: fact(10_000, 'shards per stream', RESHARD_URL),
  defaultShardQuotaSmallRegions: fact(
    1000,
    'shards per account outside us-east-1, us-west-2, eu-west-1 (1,000 or 6,000)',
    LIMITS_URL,
  ),
  defaultShardQuotaLargeRegions: fact(20_000, 'shards per account in us-east-1, us-west-2, eu-west-1', LIMITS_URL),
  reshardStepMax: fact(2, 'x current shard count per UpdateShardCount call (and >= 1/2)', RESHARD_URL),
  reshardCallsPer24h: fact(10, 'UpdateShardCount calls per rolling 24 h', RESHARD_URL),
  onDemandSplitBytesPerSec: fact(500 * 1000, 'bytes/s per shard before on-demand splits it (500 KB/s)', SIZING_URL),
  onDemandInitialShards: fact(4, 'shards (new on-demand stream: 4 MB/s write)', LIMITS_URL),
  onDemandMaxWriteSmallRegions: fact(
    200 * 1000 * 1000,
    'bytes/s write per on-demand stream outside the three large regions',
    LIMITS_URL,
  ),
  onDemandBurst: fact(2, 'x the previous 30-day peak absorbed by on-demand', SIZING_URL),
  fargateTasksPerService: fact(
    5000,
    'tasks per ECS service',
    'https://docs.aws.amazon.com/general/latest/gr/ecs-service.html',
    'unconfirmed',
  ),
  appAutoScalingTargets: fact(
    3000,
    'ECS scalable targets per account/Region',
    'https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-quotas.html',
  ),
} as const;

/** Regions with the large default shard quota and on-demand maximum. */
export const LARGE_REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1'] as const;

/**
 * Valid Fargate task sizes (vCPU -> memory MiB range and step).
 * Source: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
 * (not in vendor-facts.md; the table is the one the ECS API enforces).
 */
export const FARGATE_SIZES: readonly { cpu: number; minMiB: number; maxMiB: number; stepMiB: number }[] = [
  { cpu: 0.25, minMiB: 512, maxMiB: 2048, stepMiB: 512 },
  { cpu: 0.5, minMiB: 1024, maxMiB: 4096, stepMiB: 1024 },
  { cpu: 1, minMiB: 2048, maxMiB: 8192, stepMiB: 1024 },
  { cpu: 2, minMiB: 4096, maxMiB: 16384, stepMiB: 1024 },
  { cpu: 4, minMiB: 8192, maxMiB: 30720, stepMiB: 1024 },
  { cpu: 8, minMiB: 16384, maxMiB: 61440, stepMiB: 4096 },
  { cpu: 16, minMiB: 32768, maxMiB: 122880, stepMiB: 8192 },
];

/** The smallest valid Fargate size with at least the requested vCPU and memory. */
export function fargateSize(cpu: number, memoryMiB: number): { cpu: number; memoryMiB: number } {
  for (const s of FARGATE_SIZES) {
    if (s.cpu < cpu || s.maxMiB < memoryMiB) continue;
    const mem = Math.max(s.minMiB, Math.ceil(memoryMiB / s.stepMiB) * s.stepMiB);
    return { cpu: s.cpu, memoryMiB: mem };
  }
  const last = FARGATE_SIZES[FARGATE_SIZES.length - 1]!;
  return { cpu: last.cpu, memoryMiB: last.maxMiB };
}
