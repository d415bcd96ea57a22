/**
 * Planning profile of `azure-eventhubs-aks`: tier limits with sources, the TU/partition sizing rules, prices and the
 * IaC emitter. Loaded by the CLI through its target registry as `@speedlayer/azure-eventhubs-aks/plan`.
 *
 * @packageDocumentation
 */

export { emitEventHubsAks } from './emit.js';
export type { Tier, TierLimits } from './limits.js';
export { EH_LIMITS, TIERS } from './limits.js';
export { EH_AKS_PRICES } from './prices.js';
export type { EventHubsOptions } from './profile.js';
export {
  eventHubsAksTarget as plannerTarget,
  eventHubsAksTarget,
  eventHubsOptionsSchema,
  planEventHubsAks,
  TARGET_ID,
} from './profile.js';
export { dedicatedUnits, ehPartitions, premiumUnits, throughputUnits } from './sizing.js';
