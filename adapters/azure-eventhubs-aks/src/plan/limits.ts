/**
 * Azure Event Hubs tier limits and AKS facts, each with the URL it was read from (vendor-facts.md §2, §6).
 *
 * @packageDocumentation
 */
import { fact, type Sourced } from '@speedlayer/core';

// Read at run time by the Kafka-endpoint client (batch limits per tier), so no import from @speedlayer/planner here.
/** Bytes in a decimal MB: Event Hubs quotas in "MB" are applied as decimal MB, as the planner's `MB`. */
const MB = 1_000_000;

const QUOTAS = 'https://learn.microsoft.com/en-us/azure/event-hubs/event-hubs-quotas';
const SCALE = 'https://learn.microsoft.com/en-us/azure/event-hubs/event-hubs-scalability';
const PREMIUM = 'https://learn.microsoft.com/en-us/azure/event-hubs/event-hubs-premium-overview';

/** Event Hubs tiers. */
export type Tier = 'basic' | 'standard' | 'premium' | 'dedicated';

/** Limits of one tier. */
export interface TierLimits {
  readonly partitionsPerHub: Sourced;
  readonly consumerGroupsPerHub: Sourced;
  readonly retentionHours: Sourced;
  readonly maxEventBytes: Sourced;
  readonly kafkaEndpoint: boolean;
  readonly partitionsCanGrow: boolean;
  readonly customerManagedKey: boolean;
}

const cmk = 'https://learn.microsoft.com/en-us/azure/event-hubs/configure-customer-managed-key';

/** Per-tier limits (quotas include, 2023-11-27). */
export const TIERS: Readonly<Record<Tier, TierLimits>> = {
  basic: {
    partitionsPerHub: fact(32, 'partitions per event hub', QUOTAS),
    consumerGroupsPerHub: fact(1, 'consumer group per event hub ($Default only)', QUOTAS),
    retentionHours: fact(24, 'hours (1 day)', QUOTAS),
    maxEventBytes: fact(256 * 1024, 'bytes per event or batch (256 KB)', QUOTAS),
    kafkaEndpoint: false,
    partitionsCanGrow: false,
    customerManagedKey: false,
  },
  standard: {
    partitionsPerHub: fact(32, 'partitions per event hub', QUOTAS),
    consumerGroupsPerHub: fact(20, 'consumer groups per event hub (including $Default)', QUOTAS),
    retentionHours: fact(168, 'hours (7 days)', QUOTAS),
    maxEventBytes: fact(1024 * 1024, 'bytes per event or batch (1 MB)', QUOTAS),
    kafkaEndpoint: true,
    partitionsCanGrow: false,
    customerManagedKey: false,
  },
  premium: {
    partitionsPerHub: fact(100, 'partitions per event hub (200 per PU across the namespace)', QUOTAS),
    consumerGroupsPerHub: fact(100, 'consumer groups per event hub', QUOTAS),
    retentionHours: fact(2160, 'hours (90 days)', QUOTAS),
    maxEventBytes: fact(1024 * 1024, 'bytes per event or batch (1 MB)', QUOTAS),
    kafkaEndpoint: true,
    partitionsCanGrow: true,
    customerManagedKey: true,
  },
  dedicated: {
    partitionsPerHub: fact(1024, 'partitions per event hub (2,000 per CU)', QUOTAS),
    consumerGroupsPerHub: fact(1000, 'consumer groups per event hub', QUOTAS),
    retentionHours: fact(2160, 'hours (90 days)', QUOTAS),
    maxEventBytes: fact(1024 * 1024, 'bytes per event or batch (1 MB; 20 MB in preview on self-serve clusters)', QUOTAS),
    kafkaEndpoint: true,
    partitionsCanGrow: true,
    customerManagedKey: true,
  },
};

/** Throughput and capacity facts. */
export const EH_LIMITS = {
  tuIngressBytes: fact(1 * MB, 'bytes/s ingress per TU (1 MB/s, applied as decimal MB)', QUOTAS),
  tuIngressEvents: fact(1000, 'events/s ingress per TU', QUOTAS),
  tuEgressBytes: fact(2 * MB, 'bytes/s egress per TU', QUOTAS),
  tuEgressEvents: fact(4096, 'events/s egress per TU', QUOTAS),
  maxTu: fact(40, 'TUs per namespace (Basic/Standard)', QUOTAS),
  partitionThroughput: fact(1 * MB, 'bytes/s per partition (a partition scales to at most one TU)', SCALE),
  puSteps: fact([1, 2, 4, 8, 16] as readonly number[], 'PUs (purchasable steps)', PREMIUM),
  partitionsPerPu: fact(200, 'partitions per PU across the namespace', QUOTAS),
  maxCu: fact(20, 'CUs per dedicated cluster', QUOTAS),
  partitionsPerCu: fact(2000, 'partitions per CU', QUOTAS),
  puIngressAssumption: fact(
    5 * MB,
    'bytes/s ingress per PU (planning assumption: no official per-PU figure; benchmark it with speedlayer bench)',
    PREMIUM,
    'assumption',
  ),
  cuIngressAssumption: fact(50 * MB, 'bytes/s ingress per CU (planning assumption; no official figure)', QUOTAS, 'assumption'),
  billableEventBytes: fact(
    64 * 1024,
    'bytes per billable ingress event (Basic/Standard)',
    'https://www.azure.cn/en-us/pricing/details/event-hubs/',
    'official (copy)',
  ),
  includedStoragePerPuGb: fact(
    1024,
    'GB retention storage included per PU',
    'https://www.azure.cn/en-us/pricing/details/event-hubs/',
    'official (copy)',
  ),
  includedStoragePerCuGb: fact(
    10 * 1024,
    'GB retention storage included per CU',
    'https://www.azure.cn/en-us/pricing/details/event-hubs/',
    'official (copy)',
  ),
  cmkTiers: fact('premium, dedicated', 'tiers with customer-managed keys', cmk, 'official', 'not in vendor-facts.md; re-verify'),
  receiversPerPartitionPerGroup: fact(5, 'non-epoch receivers per partition per consumer group', QUOTAS),
  dynamicPartitions: fact(
    'premium, dedicated',
    'tiers that can add partitions',
    'https://learn.microsoft.com/en-us/azure/event-hubs/dynamically-add-partitions',
  ),
  aksFreeRecommendedNodes: fact(
    10,
    'nodes recommended on the AKS Free tier',
    'https://learn.microsoft.com/en-us/azure/aks/free-standard-pricing-tiers',
  ),
} as const;
