/**
 * `@speedlayer/confluent-cloud/target`: the descriptors of Confluent Cloud with its workers on AKS or GKE. Plan
 * targets: their runtime is plain `kafka://` over SASL_SSL with API keys (the `kafka` target). Plain data.
 *
 * @packageDocumentation
 */
import { defineTarget, type TargetDescriptor } from '@speedlayer/core';

function confluent(id: string, title: string, plannerExport: string): TargetDescriptor {
  return defineTarget({
    id,
    title,
    package: '@speedlayer/confluent-cloud',
    streamSchemes: [],
    planExports: { limits: 'CONFLUENT_LIMITS', prices: 'CLUSTER_PRICES', profile: plannerExport },
  });
}

/** `azure-confluent-aks`. */
export const azureConfluentAksDescriptor = confluent('azure-confluent-aks', 'Confluent Cloud + AKS', 'azureConfluentAksTarget');
/** `gcp-confluent-gke`. */
export const gcpConfluentGkeDescriptor = confluent('gcp-confluent-gke', 'Confluent Cloud + GKE', 'gcpConfluentGkeTarget');

/** The package's targets (read by core's registry). */
export const targets: readonly TargetDescriptor[] = [azureConfluentAksDescriptor, gcpConfluentGkeDescriptor];
