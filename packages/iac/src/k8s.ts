/**
 * Kubernetes manifests for speedlayer workers, shared by the three Kubernetes targets (EKS, AKS, GKE): namespace,
 * service account, ConfigMap, one Deployment per consumer group (replicas = partitions), KEDA ScaledObject with the
 * vendor's scaler (max = partitions) and an HPA alternative, PodDisruptionBudget and NetworkPolicy. Targets add
 * only their scaler, identity annotations and egress rules.
 *
 * @packageDocumentation
 */
import { CONTAINER_SECURITY_CONTEXT, POD_SECURITY_CONTEXT } from './security.js';
import { writeYaml } from './yaml-writer.js';

/** A Kubernetes object as plain data. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

/** A KEDA trigger (ScaledObject `spec.triggers[]` entry, without the authenticationRef). */
export interface KedaTrigger {
  type: string;
  metadata: Record<string, string>;
}

/** One NetworkPolicy egress rule. */
export interface EgressRule {
  /** Destination CIDRs (private endpoint / VPC ranges). */
  cidrs: readonly string[];
  /** TCP ports. */
  ports: readonly number[];
  /** Why the rule exists (written as an annotation). */
  why: string;
}

/** One worker deployment: a consumer group of the topic. */
export interface WorkerGroup {
  /** Consumer group / subscription name. */
  name: string;
  /** Autoscaling bounds. */
  replicas: { min: number; max: number };
}

/** What the three Kubernetes targets pass to {@link workerManifests}. */
export interface WorkerManifestSpec {
  /** Workload name (app label, prefix). */
  name: string;
  /** Namespace. */
  namespace: string;
  /** Target id, e.g. `aws-msk-eks` (label). */
  target: string;
  /** Worker image. */
  image: string;
  /** Handler module path inside the image. */
  handler: string;
  /** Stream URI as given to `speedlayer worker --stream` (may be a `${VAR}` placeholder filled at deploy time). */
  streamUri: string;
  /** Topic name. */
  topic: string;
  /** Partition count (`null` for Pub/Sub). */
  partitions: number | null;
  /** One entry per consumer group. */
  groups: readonly WorkerGroup[];
  /** Per-replica resources. */
  resources: { cpu: number; memoryMiB: number };
  /** Service account annotations (workload identity). */
  serviceAccountAnnotations: Record<string, string>;
  /**
   * Groups that run as their own access principal: group name -> the principal's Kubernetes service account and its
   * workload identity annotations (the group's Deployment uses it instead of `<name>-worker`).
   */
  groupServiceAccounts?: Readonly<Record<string, { name: string; annotations: Record<string, string> }>>;
  /** Extra pod labels (e.g. `azure.workload.identity/use`). */
  podLabels?: Record<string, string>;
  /** Non-secret settings added to the ConfigMap. */
  config?: Record<string, string>;
  /** KEDA trigger for a group. */
  kedaTrigger: (group: WorkerGroup) => KedaTrigger;
  /** KEDA pod identity: the identity KEDA reads the stream's lag with ({@link kedaPodIdentity}). */
  kedaPodIdentity: KedaPodIdentity;
  /** Egress rules besides DNS. */
  egress: readonly EgressRule[];
  /** Extra objects (e.g. a topic-creation Job), written to the worker file. */
  extra?: readonly K8sObject[];
  /**
   * `full` (default) also emits the Namespace and its default-deny NetworkPolicy; `workload` emits only what the
   * workload needs in an existing namespace (no namespace-wide objects).
   */
  scope?: EmitScope;
}

/** What a plan emits: a whole stack (`full`) or only a workload's own resources in an existing cluster (`workload`). */
export type EmitScope = 'full' | 'workload';

/** A KEDA `TriggerAuthentication` pod identity. */
export interface KedaPodIdentity {
  provider: 'aws' | 'azure-workload' | 'gcp';
  identityOwner?: 'workload' | 'keda';
}

/** Placeholder of the worker image digest (`sha256:...`), filled at deploy time when `deploy.image` has none. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: a deploy-time placeholder, not a JS template
export const IMAGE_DIGEST_PLACEHOLDER = '${WORKER_IMAGE_DIGEST}';

/**
 * The image pinned by digest: kept when it already is (`name@sha256:...`), else its repository (tag dropped) with
 * the `${WORKER_IMAGE_DIGEST}` placeholder, so no manifest ever runs a mutable tag.
 */
export function pinnedImage(image: string): string {
  if (hasDigest(image)) return image;
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  const repo = colon > slash ? image.slice(0, colon) : image;
  return `${repo}@${IMAGE_DIGEST_PLACEHOLDER}`;
}

/** The NetworkPolicy egress rule to cluster DNS (kube-dns, UDP and TCP 53) that every egress policy carries. */
export function dnsEgressRule(): Record<string, unknown> {
  return {
    to: [
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
        podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
      },
    ],
    ports: [
      { protocol: 'UDP', port: 53 },
      { protocol: 'TCP', port: 53 },
    ],
  };
}

/** NetworkPolicy egress rules for {@link EgressRule}s (DNS not included). */
export function egressRules(rules: readonly EgressRule[]): Record<string, unknown>[] {
  return rules.map((e) => ({
    to: e.cidrs.map((cidr) => (cidr === '0.0.0.0/0' ? { ipBlock: { cidr, except: PRIVATE_RANGES } } : { ipBlock: { cidr } })),
    ports: e.ports.map((port) => ({ protocol: 'TCP', port })),
  }));
}

/** RFC 1918 ranges, excluded from a `0.0.0.0/0` egress rule (public endpoints only). */
const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];

/**
 * The cloud whose workload identity a Kubernetes target uses: IRSA on EKS (`aws`), Azure AD workload identity on
 * AKS (`azure`), GKE Workload Identity (`gcp`). One place builds the annotations, labels and KEDA pod identity
 * for both the planner's manifests and `@speedlayer/compute-kubernetes`.
 */
export type WorkloadIdentityCloud = 'aws' | 'azure' | 'gcp';

/**
 * Service account annotations binding the worker to a cloud identity.
 * @param identity IAM role ARN (aws), managed identity client id (azure) or Google service account email (gcp);
 *   may be a `${VAR}` placeholder filled at deploy time.
 */
export function workloadIdentityAnnotations(cloud: WorkloadIdentityCloud, identity: string): Record<string, string> {
  if (cloud === 'aws') return { 'eks.amazonaws.com/role-arn': identity, 'eks.amazonaws.com/sts-regional-endpoints': 'true' };
  if (cloud === 'azure') return { 'azure.workload.identity/client-id': identity };
  return { 'iam.gke.io/gcp-service-account': identity };
}

/** Pod labels a cloud's workload identity needs (AKS: `azure.workload.identity/use: "true"`). */
export function workloadIdentityPodLabels(cloud: WorkloadIdentityCloud): Record<string, string> {
  return cloud === 'azure' ? { 'azure.workload.identity/use': 'true' } : {};
}

/**
 * KEDA pod identity of a TriggerAuthentication for a cloud (KEDA reads the stream's metrics with it). AWS: the KEDA
 * operator assumes the scaled workload's role (whose trust policy names the operator's role); Azure and GCP: the
 * KEDA operator's own workload identity, which the plans grant read access to the stream's lag.
 */
export function kedaPodIdentity(cloud: WorkloadIdentityCloud): KedaPodIdentity {
  if (cloud === 'aws') return { provider: 'aws', identityOwner: 'workload' };
  if (cloud === 'azure') return { provider: 'azure-workload' };
  return { provider: 'gcp' };
}

/** A KEDA `TriggerAuthentication` using the cloud's pod identity (no secrets). */
export function kedaTriggerAuthentication(
  name: string,
  namespace: string,
  labels: Record<string, string>,
  cloud: WorkloadIdentityCloud,
): K8sObject {
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'TriggerAuthentication',
    metadata: { name, namespace, labels },
    spec: { podIdentity: { ...kedaPodIdentity(cloud) } },
  };
}

/**
 * KEDA `kafka` trigger (consumer lag per partition). Give `bootstrapServers` or `bootstrapServersFromEnv`.
 * @param o.extra further scaler metadata, e.g. `{ sasl: 'aws_msk_iam', tls: 'enable', awsRegion }` for MSK IAM.
 */
export function kafkaKedaTrigger(o: {
  bootstrapServers?: string;
  bootstrapServersFromEnv?: string;
  consumerGroup: string;
  topic: string;
  lagThreshold: number;
  extra?: Record<string, string>;
}): KedaTrigger {
  return {
    type: 'kafka',
    metadata: {
      ...(o.bootstrapServers ? { bootstrapServers: o.bootstrapServers } : {}),
      ...(o.bootstrapServersFromEnv ? { bootstrapServersFromEnv: o.bootstrapServersFromEnv } : {}),
      consumerGroup: o.consumerGroup,
      topic: o.topic,
      lagThreshold: String(o.lagThreshold),
      ...(o.extra ?? {}),
    },
  };
}

/**
 * KEDA `azure-eventhub` trigger: unprocessed events per partition read from the blob checkpoints
 * (`checkpointStrategy: blobMetadata`, the layout the Event Hubs SDKs and speedlayer write), with pod identity.
 */
export function eventHubKedaTrigger(o: {
  eventHubNamespace: string;
  eventHubName: string;
  consumerGroup: string;
  unprocessedEventThreshold: number;
  storageAccountName: string;
  blobContainer: string;
}): KedaTrigger {
  return {
    type: 'azure-eventhub',
    metadata: {
      eventHubNamespace: o.eventHubNamespace,
      eventHubName: o.eventHubName,
      consumerGroup: o.consumerGroup,
      unprocessedEventThreshold: String(o.unprocessedEventThreshold),
      storageAccountName: o.storageAccountName,
      blobContainer: o.blobContainer,
      checkpointStrategy: 'blobMetadata',
    },
  };
}

/** KEDA `gcp-pubsub` trigger on a subscription's backlog (`mode: SubscriptionSize`, target `value` per replica). */
export function pubsubKedaTrigger(o: { subscriptionName: string; value: number; activationValue?: number }): KedaTrigger {
  return {
    type: 'gcp-pubsub',
    metadata: {
      subscriptionName: o.subscriptionName,
      mode: 'SubscriptionSize',
      value: String(o.value),
      activationValue: String(o.activationValue ?? 0),
    },
  };
}

/** KEDA `aws-kinesis-stream` trigger (target shards per replica). */
export function kinesisKedaTrigger(o: { streamName: string; awsRegion: string; shardCount?: number }): KedaTrigger {
  return {
    type: 'aws-kinesis-stream',
    metadata: { streamName: o.streamName, awsRegion: o.awsRegion, shardCount: String(o.shardCount ?? 1) },
  };
}

/** Port the worker serves `/healthz`, `/readyz` and `/metrics` on. */
export const WORKER_HEALTH_PORT = 9464;

/** Standard labels. */
export function workerLabels(spec: Pick<WorkerManifestSpec, 'name' | 'target'>, group?: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': spec.name,
    'app.kubernetes.io/component': 'worker',
    'app.kubernetes.io/part-of': 'speedlayer',
    'app.kubernetes.io/managed-by': 'speedlayer',
    'speedlayer.dev/target': spec.target,
    ...(group ? { 'speedlayer.dev/group': group } : {}),
  };
}

function cpuQuantity(cpu: number): string {
  return `${Math.round(cpu * 1000)}m`;
}

function hasDigest(image: string): boolean {
  return /@sha256:[a-f0-9]{64}$/.test(image);
}

/** A Deployment name for a group, within 63 characters. */
export function deploymentName(group: string): string {
  return group.length <= 63 ? group : group.slice(0, 63).replace(/-+$/, '');
}

/** The container spec of a worker for one group. */
export function workerContainer(spec: WorkerManifestSpec, group: WorkerGroup): Record<string, unknown> {
  const mem = spec.resources.memoryMiB;
  return {
    name: 'worker',
    image: pinnedImage(spec.image),
    imagePullPolicy: 'IfNotPresent',
    command: ['speedlayer'],
    args: ['worker', '--stream', '$(SPEEDLAYER_STREAM)', '--topic', spec.topic, '--group', group.name, '--handler', spec.handler],
    env: [
      { name: 'SPEEDLAYER_STREAM', valueFrom: { configMapKeyRef: { name: `${spec.name}-config`, key: 'SPEEDLAYER_STREAM' } } },
      { name: 'SPEEDLAYER_GROUP', value: group.name },
      { name: 'TMPDIR', value: '/tmp' },
    ],
    envFrom: [{ configMapRef: { name: `${spec.name}-config` } }],
    ports: [{ name: 'metrics', containerPort: WORKER_HEALTH_PORT, protocol: 'TCP' }],
    resources: {
      requests: { cpu: cpuQuantity(spec.resources.cpu), memory: `${mem}Mi` },
      limits: { cpu: cpuQuantity(spec.resources.cpu * 2), memory: `${mem}Mi` },
    },
    livenessProbe: {
      httpGet: { path: '/healthz', port: 'metrics' },
      initialDelaySeconds: 10,
      periodSeconds: 15,
      timeoutSeconds: 3,
      failureThreshold: 4,
    },
    readinessProbe: {
      httpGet: { path: '/readyz', port: 'metrics' },
      initialDelaySeconds: 5,
      periodSeconds: 10,
      timeoutSeconds: 3,
      failureThreshold: 3,
    },
    securityContext: structuredClone(CONTAINER_SECURITY_CONTEXT),
    volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
  };
}

/**
 * The objects of the worker file: ServiceAccount, ConfigMap, Deployments, PDBs, NetworkPolicies (the namespace's
 * default deny only in `full` scope); the KEDA objects; the HPA alternative (never applied beside KEDA).
 */
export function workerManifests(spec: WorkerManifestSpec): {
  namespace: K8sObject[];
  worker: K8sObject[];
  keda: K8sObject[];
  hpa: K8sObject[];
} {
  const ns = spec.namespace;
  const base = workerLabels(spec);
  const namespace: K8sObject = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: ns,
      labels: {
        ...base,
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/audit': 'restricted',
        'pod-security.kubernetes.io/warn': 'restricted',
      },
    },
  };
  const sa: K8sObject = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: `${spec.name}-worker`, namespace: ns, labels: base, annotations: spec.serviceAccountAnnotations },
    automountServiceAccountToken: false,
  };
  const config: K8sObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `${spec.name}-config`, namespace: ns, labels: base },
    data: {
      SPEEDLAYER_STREAM: spec.streamUri,
      SPEEDLAYER_TOPIC: spec.topic,
      SPEEDLAYER_HANDLER: spec.handler,
      SPEEDLAYER_HEALTH_PORT: String(WORKER_HEALTH_PORT),
      SPEEDLAYER_TLS: 'required',
      ...(spec.partitions === null ? {} : { SPEEDLAYER_PARTITIONS: String(spec.partitions) }),
      ...(spec.config ?? {}),
    },
  };
  // The shared `<name>-worker` service account only when some group runs as it (not every group as its access principal).
  const workerUsed = spec.groups.length === 0 || spec.groups.some((g) => spec.groupServiceAccounts?.[g.name] === undefined);
  const worker: K8sObject[] = workerUsed ? [sa, config] : [config];
  const principalAccounts = new Map(Object.values(spec.groupServiceAccounts ?? {}).map((a) => [a.name, a]));
  for (const a of [...principalAccounts.values()].sort((x, y) => (x.name < y.name ? -1 : 1))) {
    worker.push({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: {
        name: a.name,
        namespace: ns,
        labels: { ...base, 'speedlayer.dev/principal': a.name },
        annotations: a.annotations,
      },
      automountServiceAccountToken: false,
    });
  }
  const keda: K8sObject[] = [
    {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'TriggerAuthentication',
      metadata: { name: `${spec.name}-keda`, namespace: ns, labels: base },
      spec: { podIdentity: { ...spec.kedaPodIdentity } },
    },
  ];
  const hpa: K8sObject[] = [];
  for (const group of spec.groups) {
    const labels = workerLabels(spec, group.name);
    const name = deploymentName(group.name);
    const selector = { 'app.kubernetes.io/name': spec.name, 'speedlayer.dev/group': group.name };
    worker.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name,
        namespace: ns,
        labels,
        annotations: {
          'speedlayer.dev/replica-rule':
            spec.partitions === null
              ? 'replicas = processing bound (no partitions)'
              : 'replicas = partitions (one replica per partition)',
        },
      },
      spec: {
        replicas: spec.partitions ?? group.replicas.max,
        revisionHistoryLimit: 5,
        selector: { matchLabels: selector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } },
        template: {
          metadata: {
            labels: { ...labels, ...(spec.podLabels ?? {}) },
            annotations: {
              'prometheus.io/scrape': 'true',
              'prometheus.io/port': String(WORKER_HEALTH_PORT),
              'prometheus.io/path': '/metrics',
            },
          },
          spec: {
            serviceAccountName: spec.groupServiceAccounts?.[group.name]?.name ?? `${spec.name}-worker`,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: structuredClone(POD_SECURITY_CONTEXT),
            terminationGracePeriodSeconds: 60,
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: 'topology.kubernetes.io/zone',
                whenUnsatisfiable: 'ScheduleAnyway',
                labelSelector: { matchLabels: selector },
              },
            ],
            containers: [workerContainer(spec, group)],
            volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }],
          },
        },
      },
    });
    worker.push({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name, namespace: ns, labels },
      spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
    });
    keda.push({
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata: { name, namespace: ns, labels },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
        minReplicaCount: group.replicas.min,
        maxReplicaCount: group.replicas.max,
        pollingInterval: 30,
        cooldownPeriod: 300,
        advanced: {
          horizontalPodAutoscalerConfig: {
            behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
          },
        },
        triggers: [{ ...spec.kedaTrigger(group), authenticationRef: { name: `${spec.name}-keda` } }],
      },
    });
    hpa.push({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name, namespace: ns, labels },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
        minReplicas: group.replicas.min,
        maxReplicas: group.replicas.max,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
        behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
      },
    });
  }
  if (spec.scope !== 'workload') {
    worker.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'default-deny-all', namespace: ns, labels: base },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });
  }
  worker.push({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: `${spec.name}-worker`,
      namespace: ns,
      labels: base,
      annotations: Object.fromEntries(spec.egress.map((e, i) => [`speedlayer.dev/egress-${i + 1}`, e.why])),
    },
    spec: {
      podSelector: { matchLabels: { 'app.kubernetes.io/name': spec.name, 'app.kubernetes.io/component': 'worker' } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
          ports: [{ protocol: 'TCP', port: WORKER_HEALTH_PORT }],
        },
      ],
      egress: [dnsEgressRule(), ...egressRules(spec.egress)],
    },
  });
  worker.push(...(spec.extra ?? []));
  return { namespace: [namespace], worker, keda, hpa };
}

/** Where the HPA alternative to KEDA is written (outside the directory `kubectl apply -f kubernetes/` reads). */
export const HPA_ALTERNATIVE_PATH = 'kubernetes/alternatives/hpa.yaml';

/** Writes objects as a multi-document YAML file with `#` header lines. */
export function writeK8sYaml(objects: readonly K8sObject[], header: readonly string[] = []): string {
  const head = header.map((h) => (h ? `# ${h}` : '#')).join('\n');
  const docs = objects.map((o) => writeYaml(o as unknown as Record<string, unknown>));
  return `${head ? `${head}\n` : ''}${docs.map((d) => `---\n${d}`).join('')}`;
}

/**
 * The standard file set of the Kubernetes targets: `kubernetes/00-namespace.yaml` (full scope only),
 * `10-worker.yaml`, `20-keda.yaml`, and `kubernetes/alternatives/hpa.yaml` outside the applied directory, so
 * `kubectl apply -f kubernetes/` never puts an HPA beside KEDA's for the same Deployment.
 */
export function k8sFiles(spec: WorkerManifestSpec, header: readonly string[]): { path: string; content: string }[] {
  return k8sFilesOf(workerManifests(spec), header, spec.scope);
}

/**
 * The standard file set of {@link k8sFiles} from manifests a target has adjusted (e.g. per-group credentials).
 * @param workerNote - an extra header line of the worker file
 */
export function k8sFilesOf(
  m: ReturnType<typeof workerManifests>,
  header: readonly string[],
  scope: EmitScope = 'full',
  workerNote?: string,
): { path: string; content: string }[] {
  return [
    ...(scope === 'workload' ? [] : [{ path: 'kubernetes/00-namespace.yaml', content: writeK8sYaml(m.namespace, header) }]),
    { path: 'kubernetes/10-worker.yaml', content: writeK8sYaml(m.worker, workerNote ? [...header, workerNote] : header) },
    {
      path: 'kubernetes/20-keda.yaml',
      content: writeK8sYaml(m.keda, [...header, 'KEDA autoscaling (needs KEDA >= 2.12 installed); max replicas = partitions.']),
    },
    {
      path: HPA_ALTERNATIVE_PATH,
      content: writeK8sYaml(m.hpa, [
        ...header,
        'Alternative to ../20-keda.yaml for clusters without KEDA: CPU-based HPA with the same bounds.',
        'Kept out of kubernetes/ so it is never applied beside KEDA (which creates its own HPA): apply it instead of 20-keda.yaml.',
      ]),
    },
  ];
}
