/**
 * The Kubernetes objects of one worker workload, built from the compute contract's `WorkloadSpec` with the
 * shared security baseline of `@speedlayer/iac`: ServiceAccount (workload identity annotations), ConfigMap
 * (plain env), Deployment (non-root, read-only root fs, dropped capabilities, requests/limits, probes on the
 * worker's health port), an autoscaler (HPA, or a KEDA ScaledObject with the target's scaler), a
 * PodDisruptionBudget and a NetworkPolicy. Secrets are references to Kubernetes Secrets, never values.
 *
 * @packageDocumentation
 */
import { ValidationError, type WorkloadSpec } from '@speedlayer/core';
import {
  CONTAINER_SECURITY_CONTEXT,
  type K8sObject,
  kedaTriggerAuthentication,
  POD_SECURITY_CONTEXT,
  WORKER_HEALTH_PORT,
  type WorkloadIdentityCloud,
  workloadIdentityAnnotations,
  workloadIdentityPodLabels,
} from '@speedlayer/iac';

/** Which managed Kubernetes the cluster is; decides the workload identity annotations. */
export type KubernetesFlavor = 'kubernetes' | 'eks' | 'aks' | 'gke';

/** A KEDA trigger for the ScaledObject (the stream's scaler). */
export interface ScalerTrigger {
  /** KEDA scaler type, e.g. `kafka`, `aws-kinesis-stream`, `azure-eventhub`, `gcp-pubsub`. */
  type: string;
  /** Scaler metadata (no secrets: KEDA reads credentials through pod identity). */
  metadata: Record<string, string>;
}

/** Options that shape the objects beyond the workload spec. */
export interface ManifestOptions {
  /** Namespace of every object. */
  namespace: string;
  /** Cluster flavour. */
  flavor: KubernetesFlavor;
  /** Workload identity: IAM role ARN (EKS), client id (AKS) or service account email (GKE). */
  identity?: string;
  /** `keda` writes a ScaledObject with `trigger`; `hpa` writes a CPU-based HorizontalPodAutoscaler. */
  autoscaler: 'keda' | 'hpa';
  /** The stream's KEDA trigger (required with `keda`). */
  trigger?: ScalerTrigger;
  /** TCP ports the worker may reach (the stream's endpoints); DNS is always allowed. */
  egressPorts: readonly number[];
}

/** Labels every object of the workload carries. */
export function workloadLabels(name: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/component': 'worker',
    'app.kubernetes.io/part-of': 'speedlayer',
    'app.kubernetes.io/managed-by': 'speedlayer',
  };
}

/** The workload identity cloud of a flavour (`undefined` for plain Kubernetes). */
export function identityCloud(flavor: KubernetesFlavor): WorkloadIdentityCloud | undefined {
  return ({ eks: 'aws', aks: 'azure', gke: 'gcp', kubernetes: undefined } as const)[flavor];
}

function identityAnnotations(flavor: KubernetesFlavor, identity: string | undefined): Record<string, string> {
  const cloud = identityCloud(flavor);
  return identity && cloud ? workloadIdentityAnnotations(cloud, identity) : {};
}

/** Turns a `k8s:<secret>/<key>` reference into an env var from a Secret. */
function secretEnv(ref: { env: string; ref: string }, index: number): Record<string, unknown> {
  const m = /^k8s:([a-z0-9]([-a-z0-9.]*[a-z0-9])?)\/([-._a-zA-Z0-9]+)$/.exec(ref.ref);
  if (!m) {
    throw new ValidationError(`secrets[${index}].ref must be "k8s:<secret-name>/<key>" on Kubernetes, got "${ref.ref}"`, {
      field: `secrets[${index}].ref`,
    });
  }
  return { name: ref.env, valueFrom: { secretKeyRef: { name: m[1], key: m[3] } } };
}

/** The objects to server-side apply for `spec`, in apply order. */
export function workloadObjects(spec: WorkloadSpec, options: ManifestOptions): K8sObject[] {
  if (!spec.image) throw new ValidationError('image is required on Kubernetes', { field: 'image' });
  const ns = options.namespace;
  const name = spec.name;
  const labels = workloadLabels(name);
  const cpu = spec.resources?.cpu ?? 0.25;
  const mem = spec.resources?.memoryMiB ?? 256;
  const min = spec.autoscaling?.min ?? spec.replicas;
  const max = spec.autoscaling?.max ?? spec.replicas;
  const env = [
    ...Object.keys(spec.env ?? {})
      .sort()
      .map((k) => ({ name: k, valueFrom: { configMapKeyRef: { name: `${name}-env`, key: k } } })),
    ...(spec.secrets ?? []).map(secretEnv),
    { name: 'SPEEDLAYER_HEALTH_PORT', value: String(WORKER_HEALTH_PORT) },
    { name: 'TMPDIR', value: '/tmp' },
  ];
  const cloud = identityCloud(options.flavor);
  const podLabels = { ...labels, ...(cloud && options.identity ? workloadIdentityPodLabels(cloud) : {}) };
  const serviceAccount = spec.serviceAccount ?? name;
  const objects: K8sObject[] = [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: {
        name: serviceAccount,
        namespace: ns,
        labels,
        annotations: identityAnnotations(options.flavor, options.identity),
      },
      automountServiceAccountToken: false,
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `${name}-env`, namespace: ns, labels },
      data: { ...(spec.env ?? {}) },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: ns, labels },
      spec: {
        replicas: spec.replicas,
        revisionHistoryLimit: 3,
        selector: { matchLabels: { 'app.kubernetes.io/name': name } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
        template: {
          metadata: {
            labels: podLabels,
            annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(WORKER_HEALTH_PORT) },
          },
          spec: {
            serviceAccountName: serviceAccount,
            automountServiceAccountToken: options.flavor !== 'kubernetes' && !!options.identity,
            terminationGracePeriodSeconds: 60,
            securityContext: structuredClone(POD_SECURITY_CONTEXT),
            containers: [
              {
                name: 'worker',
                image: spec.image,
                command: spec.command,
                env,
                ports: [{ name: 'metrics', containerPort: WORKER_HEALTH_PORT, protocol: 'TCP' }],
                resources: {
                  requests: { cpu: `${Math.round(cpu * 1000)}m`, memory: `${mem}Mi` },
                  limits: { cpu: `${Math.round(cpu * 2000)}m`, memory: `${mem}Mi` },
                },
                livenessProbe: { httpGet: { path: '/healthz', port: 'metrics' }, periodSeconds: 15, failureThreshold: 4 },
                readinessProbe: { httpGet: { path: '/readyz', port: 'metrics' }, periodSeconds: 10, failureThreshold: 3 },
                securityContext: structuredClone(CONTAINER_SECURITY_CONTEXT),
                volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
              },
            ],
            volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }],
          },
        },
      },
    },
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name, namespace: ns, labels },
      spec: { maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': name } } },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name, namespace: ns, labels },
      spec: {
        podSelector: { matchLabels: { 'app.kubernetes.io/name': name } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ ports: [{ protocol: 'TCP', port: WORKER_HEALTH_PORT }] }],
        egress: [
          {
            ports: [
              { protocol: 'UDP', port: 53 },
              { protocol: 'TCP', port: 53 },
            ],
          },
          { ports: options.egressPorts.map((port) => ({ protocol: 'TCP', port })) },
        ],
      },
    },
  ];
  if (options.autoscaler === 'keda') {
    if (!options.trigger) throw new ValidationError('a KEDA autoscaler needs the stream trigger', { field: 'trigger' });
    // On a cloud flavour KEDA reads the stream's metrics with pod identity (no secrets): a TriggerAuthentication.
    if (cloud) objects.push(kedaTriggerAuthentication(`${name}-keda`, ns, labels, cloud));
    objects.push({
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata: { name, namespace: ns, labels },
      spec: {
        scaleTargetRef: { name },
        minReplicaCount: min,
        maxReplicaCount: max,
        triggers: [
          {
            type: options.trigger.type,
            metadata: options.trigger.metadata,
            ...(cloud ? { authenticationRef: { name: `${name}-keda` } } : {}),
          },
        ],
      },
    });
  } else {
    objects.push({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name, namespace: ns, labels },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
        minReplicas: Math.max(1, min),
        maxReplicas: Math.max(1, max),
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
      },
    });
  }
  return objects;
}
