/**
 * `@speedlayer/compute-kubernetes/target`: the descriptor of the Kubernetes compute adapter shared by EKS, AKS and GKE
 * (`kubernetes://[context]`, `eks://`, `aks://`, `gke://`). Compute only; plain data.
 *
 * @packageDocumentation
 */
import type { TargetDescriptor } from '@speedlayer/core';

/** `kubernetes`. */
export const kubernetesTarget: TargetDescriptor = {
  id: 'kubernetes',
  title: 'Kubernetes (EKS, AKS, GKE)',
  package: '@speedlayer/compute-kubernetes',
  streamSchemes: [],
  computeSchemes: ['kubernetes', 'eks', 'aks', 'gke'],
  conformance: {
    // the kube-apiserver peer has no kubelet (runsReplicas false) and no KEDA controller: an HPA per workload
    compute: [
      {
        name: 'kubernetes (HPA)',
        scheme: 'kubernetes',
        peer: 'kubernetes',
        config: { autoscaler: 'hpa' },
        streamScheme: 'local',
      },
    ],
  },
};

/** The package's targets (read by core's registry). */
export const targets: readonly TargetDescriptor[] = [kubernetesTarget];
