/**
 * Planning profiles of `azure-confluent-aks` and `gcp-confluent-gke`: Confluent Cloud cluster type limits and prices
 * with sources, the capacity-unit sizing rule and the emitter (Terraform with the confluentinc/confluent provider, the
 * AKS or GKE cluster, workers authenticating with API keys). Loaded by the CLI's target registry as
 * `@speedlayer/confluent-cloud/plan`.
 *
 * @packageDocumentation
 */

export { apiKeyPlaceholder, apiSecretName, emitConfluent } from './emit.js';
export type { ClusterType, ClusterTypeLimits } from './limits.js';
export { CLUSTER_TYPES, CONFLUENT_LIMITS, CONFLUENT_PROVIDER_VERSION } from './limits.js';
export { CLUSTER_PRICES, COMPUTE_PRICES } from './prices.js';
export type { ConfluentCompute, ConfluentOptions } from './profile.js';
export { azureConfluentAksTarget, confluentOptionsSchema, gcpConfluentGkeTarget, planConfluent } from './profile.js';
export { capacityUnits } from './sizing.js';
