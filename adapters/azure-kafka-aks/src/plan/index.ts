/**
 * Planning profile of `azure-kafka-aks`: limits with sources, the partition and broker sizing rules, VM and disk
 * prices and the emitter (AKS Terraform, the pinned Strimzi operator, Strimzi custom resources, workers). Loaded by
 * the CLI through its target registry as `@speedlayer/azure-kafka-aks/plan`.
 *
 * @packageDocumentation
 */

export { emitKafkaAks, strimziResources } from './emit.js';
export type { BrokerVm } from './limits.js';
export { BROKER_VMS, KAFKA_AKS_LIMITS, STRIMZI_VERSION } from './limits.js';
export { KAFKA_AKS_PRICES, VM_PRICES } from './prices.js';
export type { KafkaAksOptions } from './profile.js';
export { kafkaAksOptionsSchema, kafkaAksTarget as plannerTarget, kafkaAksTarget, planKafkaAks, TARGET_ID } from './profile.js';
export type { BrokerLayout } from './sizing.js';
export { brokerLayout } from './sizing.js';
