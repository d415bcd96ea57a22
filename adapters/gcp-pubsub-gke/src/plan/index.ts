/**
 * Planning profile of `gcp-pubsub-gke`: limits with sources, the replica rule (no partitions), prices and the IaC
 * emitter. Loaded by the CLI through its target registry as `@speedlayer/gcp-pubsub-gke/plan`.
 *
 * @packageDocumentation
 */

export { emitPubSubGke, LAG_PROJECT_PERMISSIONS, LAG_TOPIC_PERMISSIONS } from './emit.js';
export { LARGE_REGIONS, PUBSUB_LIMITS } from './limits.js';
export { PUBSUB_GKE_PRICES } from './prices.js';
export type { PubSubOptions } from './profile.js';
export { planPubSubGke, pubsubGkeTarget as plannerTarget, pubsubGkeTarget, pubsubOptionsSchema, TARGET_ID } from './profile.js';
export { ackDeadlineSeconds, backlogPerReplica, pubsubReplicas } from './sizing.js';
