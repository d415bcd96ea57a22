import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { StorageClass } from 'kubernetes-models/storage.k8s.io/v1';
import { ConfigMap, Namespace, ServiceAccount } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';
import { strimziSchemas } from './crd-schema.js';

type Model = new (data: never) => { validate(): void };

const MODELS: Record<string, Model> = {
  'v1/Namespace': Namespace as unknown as Model,
  'v1/ServiceAccount': ServiceAccount as unknown as Model,
  'v1/ConfigMap': ConfigMap as unknown as Model,
  'apps/v1/Deployment': Deployment as unknown as Model,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget as unknown as Model,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy as unknown as Model,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler as unknown as Model,
  'batch/v1/Job': Job as unknown as Model,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject as unknown as Model,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication as unknown as Model,
  'storage.k8s.io/v1/StorageClass': StorageClass as unknown as Model,
};

/** One schema problem. */
export interface K8sSchemaProblem {
  /** `kind/name` of the object. */
  readonly object: string;
  /** The validator's message. */
  readonly message: string;
}

/** Reads a multi-document YAML file into objects (empty documents skipped). */
export function parseK8sYaml(text: string): Record<string, unknown>[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(d.errors.map((e) => e.message).join('; '));
      return d.toJS() as Record<string, unknown> | null;
    })
    .filter((o): o is Record<string, unknown> => o !== null);
}

/**
 * Validates objects against the Kubernetes (1.27) and KEDA JSON schemas bundled in `kubernetes-models` and
 * `@kubernetes-models/keda`, and Strimzi resources (`kafka.strimzi.io/v1`) against the `openAPIV3Schema` of the
 * Strimzi release CRDs bundled with this package ({@link strimziCrds}; unknown fields rejected as by a strict
 * server-side apply; each message names the field, e.g. `spec.replicas: must be integer`).
 * An object of a kind with no known schema is reported as a problem, never silently passed.
 */
export function validateK8sSchemas(objects: readonly Record<string, unknown>[]): K8sSchemaProblem[] {
  const problems: K8sSchemaProblem[] = [];
  for (const o of objects) {
    const key = `${String(o.apiVersion)}/${String(o.kind)}`;
    const name = `${String(o.kind)}/${String((o.metadata as { name?: string } | undefined)?.name)}`;
    const model = MODELS[key];
    if (!model && strimziSchemas().has(key)) {
      const errors = strimziSchemas().validate(o);
      if (errors.length > 0) {
        problems.push({ object: name, message: errors.map((e) => `${e.path}: ${e.message}`).join('; ') });
      }
      continue;
    }
    if (!model) {
      problems.push({ object: name, message: `no schema known for ${key}` });
      continue;
    }
    try {
      new model(o as never).validate();
    } catch (e) {
      problems.push({ object: name, message: (e as Error).message });
    }
  }
  return problems;
}
