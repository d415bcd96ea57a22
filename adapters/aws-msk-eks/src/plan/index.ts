/**
 * Planning profile of `aws-msk-eks`: limits with sources, the partition and broker sizing rules, prices and the IaC
 * emitter. Loaded by the CLI through its target registry as `@speedlayer/aws-msk-eks/plan`.
 *
 * @packageDocumentation
 */

export { emitMskEks } from './emit.js';
export type { BrokerSize } from './limits.js';
export { BROKER_SIZES, MSK_LIMITS } from './limits.js';
export { BROKER_PRICES, MSK_EKS_PRICES } from './prices.js';
export type { MskOptions } from './profile.js';
export { mskEksTarget as plannerTarget, mskEksTarget, mskOptionsSchema, planMskEks, TARGET_ID } from './profile.js';
export type { BrokerLayout } from './sizing.js';
export { brokerLayout, mskPartitions } from './sizing.js';
