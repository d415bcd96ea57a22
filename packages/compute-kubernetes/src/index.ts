/**
 * `@speedlayer/compute-kubernetes`: one Kubernetes compute adapter for EKS, AKS and GKE. Server-side applies a
 * worker workload (ServiceAccount with workload identity, ConfigMap, hardened Deployment, KEDA ScaledObject or
 * HPA, PodDisruptionBudget, NetworkPolicy), reads status, scales, removes, and aligns replicas to partitions.
 *
 * @packageDocumentation
 */
import type { ComputeFactory } from '@speedlayer/core';
import { createKubernetesCompute } from './compute.js';

export {
  classifyKubernetesError,
  createKubernetesCompute,
  flavorTarget,
  KubernetesCompute,
  type KubernetesConfig,
  kubernetesConfigSchema,
} from './compute.js';
export {
  identityCloud,
  type KubernetesFlavor,
  type ManifestOptions,
  type ScalerTrigger,
  workloadLabels,
  workloadObjects,
} from './manifests.js';
export {
  fillPlaceholders,
  type ManifestFile,
  type PrepareManifestsOptions,
  placeholdersIn,
  placeholderValuesFromStream,
  prepareManifests,
} from './plan-manifests.js';

/** The factory `createCompute()` loads for `kubernetes://`, `eks://`, `aks://` and `gke://`. */
export const computeFactory: ComputeFactory = (uri, options) => createKubernetesCompute(uri, options);
