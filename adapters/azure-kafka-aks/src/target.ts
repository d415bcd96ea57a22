/**
 * `@speedlayer/azure-kafka-aks/target`: the descriptor of Kafka on AKS run by Strimzi. A plan target: its runtime is
 * plain `kafka://` (the `kafka` target). Plain data.
 *
 * @packageDocumentation
 */
import { defineTarget, type TargetDescriptor } from '@speedlayer/core';

/** `azure-kafka-aks`. */
export const kafkaAksDescriptor: TargetDescriptor = defineTarget({
  id: 'azure-kafka-aks',
  title: 'Kafka (Strimzi) on AKS',
  package: '@speedlayer/azure-kafka-aks',
  streamSchemes: [],
  planExports: { limits: 'KAFKA_AKS_LIMITS', prices: 'KAFKA_AKS_PRICES' },
});

/** The package's targets (read by core's registry). */
export const targets: readonly TargetDescriptor[] = [kafkaAksDescriptor];
