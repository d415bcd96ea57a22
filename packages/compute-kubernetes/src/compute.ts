/**
 * Kubernetes compute shared by EKS, AKS and GKE: server-side apply (field manager `speedlayer`) of a worker
 * workload's objects, status from the Deployment and its autoscaler, scale, remove, and the 1:1 rule.
 *
 * @packageDocumentation
 */
import {
  AppsV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node';
import {
  AuthError,
  alignReplicasToPartitions,
  type ComputeCapabilities,
  type ComputeClient,
  ConfigError,
  ConnectionError,
  NotFoundError,
  type ParsedUri,
  pinReplicas,
  resolveConfig,
  SpeedlayerError,
  type StreamClient,
  targetDescriptors,
  ValidationError,
  validateWorkloadSpec,
  type WorkloadSpec,
  type WorkloadStatus,
  z,
} from '@speedlayer/core';
import type { K8sObject } from '@speedlayer/iac';
import { type KubernetesFlavor, type ManifestOptions, workloadLabels, workloadObjects } from './manifests.js';

/** Config of Kubernetes compute (`createCompute(uri, { config })`; URI query parameters fill the same fields). */
export const kubernetesConfigSchema = z
  .object({
    /** Path of a kubeconfig. @default $KUBECONFIG, ~/.kube/config, or the in-cluster service account */
    kubeconfig: z.string().min(1).optional(),
    /** kubeconfig context. @default the current context (or the URI location) */
    context: z.string().min(1).optional(),
    /** Namespace of the workloads. @default speedlayer */
    namespace: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/)
      .default('speedlayer'),
    /** `auto` uses KEDA when its ScaledObject CRD is installed, else an HPA. @default auto */
    autoscaler: z.enum(['auto', 'keda', 'hpa']).default('auto'),
    /** KEDA trigger of the stream (type + metadata) for ScaledObjects. */
    trigger: z.object({ type: z.string().min(1), metadata: z.record(z.string(), z.string()) }).optional(),
    /** Workload identity: IAM role ARN (EKS), client id (AKS) or Google service account (GKE). */
    identity: z.string().min(1).optional(),
    /** TCP ports the workers may reach besides DNS. @default Kafka, TLS and AMQP ports */
    egressPorts: z.array(z.number().int().min(1).max(65535)).default([443, 5671, 9092, 9093, 9094, 9096, 9098]),
  })
  .strict();

/** Resolved config. */
export type KubernetesConfig = z.output<typeof kubernetesConfigSchema>;

const FIELD_MANAGER = 'speedlayer';

function statusCode(e: unknown): number | undefined {
  const err = e as { code?: unknown; statusCode?: unknown; response?: { statusCode?: number }; body?: unknown };
  if (typeof err.code === 'number') return err.code;
  if (typeof err.statusCode === 'number') return err.statusCode;
  return err.response?.statusCode;
}

/**
 * Classifies a client-node error into a speedlayer error naming what failed.
 * @param source the credentials in use (e.g. `kubeconfig /path, context prod`), named in an `AuthError`.
 */
export function classifyKubernetesError(e: unknown, what: string, source?: string): SpeedlayerError {
  const code = statusCode(e);
  const detail = (() => {
    const body = (e as { body?: unknown }).body;
    if (typeof body === 'string') {
      try {
        return (JSON.parse(body) as { message?: string }).message ?? body;
      } catch {
        return body;
      }
    }
    return (body as { message?: string } | undefined)?.message ?? (e as Error).message;
  })();
  if (code === 401 || code === 403) {
    const who = source ? `the user of ${source}` : "the kubeconfig's user";
    const verdict = code === 401 ? 'is not authenticated (401: invalid or expired credentials)' : `is not allowed (403)`;
    return new AuthError(`${what}: ${who} ${verdict}: ${detail}`, { cause: e, target: 'kubernetes', field: 'kubeconfig' });
  }
  if (code === 404) return new NotFoundError(`${what}: not found: ${detail}`, { cause: e, target: 'kubernetes' });
  if (code === 409)
    return new SpeedlayerError('conflict', `${what}: conflict: ${detail}`, { cause: e, target: 'kubernetes', retriable: true });
  if (code === 422 || code === 400)
    return new ValidationError(`${what}: rejected by the API server: ${detail}`, { cause: e, target: 'kubernetes' });
  if (code !== undefined && code >= 500) {
    return new SpeedlayerError('internal', `${what}: API server error ${code}: ${detail}`, {
      cause: e,
      target: 'kubernetes',
      retriable: true,
    });
  }
  return new ConnectionError(`${what}: cannot reach the Kubernetes API server: ${(e as Error).message}`, {
    cause: e,
    target: 'kubernetes',
  });
}

/** Compute on a Kubernetes cluster. */
export class KubernetesCompute implements ComputeClient {
  readonly target: string;
  readonly capabilities: ComputeCapabilities;
  private readonly objects: KubernetesObjectApi;
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;
  private readonly hpa: AutoscalingV2Api;
  private readonly custom: CustomObjectsApi;
  private readonly specs = new Map<string, WorkloadSpec>();
  private closed = false;

  constructor(
    readonly kubeConfig: KubeConfig,
    readonly config: KubernetesConfig,
    readonly flavor: KubernetesFlavor,
    private readonly autoscaler: 'keda' | 'hpa',
    runsReplicas: boolean,
    /** Which credentials this client uses, for error messages (never a secret). */
    readonly source = 'the kubeconfig',
    /** The target id on errors: see {@link flavorTarget}. */
    target = 'kubernetes',
  ) {
    this.target = target;
    this.capabilities = { runsReplicas, autoscaling: true };
    this.objects = KubernetesObjectApi.makeApiClient(kubeConfig);
    this.apps = kubeConfig.makeApiClient(AppsV1Api);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.hpa = kubeConfig.makeApiClient(AutoscalingV2Api);
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
  }

  /** The autoscaler kind this client writes. */
  get autoscalerKind(): 'keda' | 'hpa' {
    return this.autoscaler;
  }

  private manifestOptions(): ManifestOptions {
    return {
      namespace: this.config.namespace,
      flavor: this.flavor,
      autoscaler: this.autoscaler,
      egressPorts: this.config.egressPorts,
      ...(this.config.identity ? { identity: this.config.identity } : {}),
      ...(this.config.trigger ? { trigger: this.config.trigger } : {}),
    };
  }

  /**
   * Server-side applies objects (the planner's manifests or a workload's), in order.
   * @throws `AuthError` when the kubeconfig's user may not; `ValidationError` when the API server rejects one.
   */
  async apply(objects: readonly K8sObject[], options: { dryRun?: boolean } = {}): Promise<void> {
    for (const o of objects) {
      try {
        await this.objects.patch(
          o as KubernetesObject,
          undefined,
          options.dryRun ? 'All' : undefined,
          FIELD_MANAGER,
          true,
          PatchStrategy.ServerSideApply,
        );
      } catch (e) {
        throw classifyKubernetesError(e, `apply ${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`, this.source);
      }
    }
  }

  /** Whether the API server serves KEDA's ScaledObject and TriggerAuthentication (CRDs installed). */
  async servesKeda(): Promise<boolean> {
    this.check();
    for (const plural of ['scaledobjects', 'triggerauthentications']) {
      try {
        await this.custom.listClusterCustomObject({ group: 'keda.sh', version: 'v1alpha1', plural, limit: 1 });
      } catch (e) {
        const code = statusCode(e);
        if (code === 404) return false;
        // A namespaced user may not list cluster-wide; the resource exists when the answer is 403.
        if (code !== 403) throw classifyKubernetesError(e, `list ${plural}.keda.sh`, this.source);
      }
    }
    return true;
  }

  /**
   * Server-side applies prepared manifests (e.g. the planner's, see `prepareManifests`) and reads back what the
   * API server stored for every Deployment: replicas and the autoscaler bounds (ScaledObject or HPA, whichever is
   * among `objects`). With `dryRun` the server validates every object (`dryRun=All`) and stores nothing; when the
   * namespace does not exist yet, only cluster-scoped objects can be dry-run and the others are listed in `skipped`.
   * @throws `AuthError` naming the kubeconfig/context when its user may not; `ValidationError` when the server rejects an object.
   */
  async applyManifests(
    objects: readonly K8sObject[],
    options: { dryRun?: boolean } = {},
  ): Promise<{ applied: string[]; skipped: string[]; workloads: WorkloadStatus[] }> {
    this.check();
    const dryRun = options.dryRun === true;
    const describe = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
    const missing = new Set<string>();
    if (dryRun) {
      for (const ns of new Set(objects.map((o) => o.metadata.namespace).filter((n): n is string => !!n))) {
        try {
          await this.core.readNamespace({ name: ns });
        } catch (e) {
          if (statusCode(e) === 404) missing.add(ns);
          else throw classifyKubernetesError(e, `read namespace ${ns}`, this.source);
        }
      }
    }
    const applied: string[] = [];
    const skipped: string[] = [];
    for (const o of objects) {
      if (o.metadata.namespace && missing.has(o.metadata.namespace)) {
        skipped.push(describe(o));
        continue;
      }
      await this.apply([o], { dryRun });
      applied.push(describe(o));
    }
    const autoscalerOf = (name: string, namespace: string | undefined) =>
      objects.find(
        (x) =>
          (x.kind === 'ScaledObject' || x.kind === 'HorizontalPodAutoscaler') &&
          x.metadata.name === name &&
          x.metadata.namespace === namespace,
      );
    const workloads: WorkloadStatus[] = [];
    for (const d of objects.filter((o) => o.kind === 'Deployment')) {
      const scaler = autoscalerOf(d.metadata.name, d.metadata.namespace);
      if (dryRun) {
        const spec = (scaler?.spec ?? {}) as Record<string, number | undefined>;
        workloads.push({
          name: d.metadata.name,
          desiredReplicas: (d.spec as { replicas?: number }).replicas ?? 1,
          readyReplicas: 0,
          ...(scaler
            ? {
                autoscaling: {
                  min: spec.minReplicaCount ?? spec.minReplicas ?? 0,
                  max: spec.maxReplicaCount ?? spec.maxReplicas ?? 0,
                },
              }
            : {}),
          replicas: [],
        });
        continue;
      }
      const namespace = d.metadata.namespace ?? this.config.namespace;
      let dep: Awaited<ReturnType<AppsV1Api['readNamespacedDeployment']>>;
      try {
        dep = await this.apps.readNamespacedDeployment({ name: d.metadata.name, namespace });
      } catch (e) {
        throw classifyKubernetesError(e, `read deployment ${namespace}/${d.metadata.name}`, this.source);
      }
      const autoscaling = scaler
        ? await this.readAutoscaling(d.metadata.name, scaler.kind === 'ScaledObject' ? 'keda' : 'hpa', namespace)
        : undefined;
      workloads.push({
        name: d.metadata.name,
        desiredReplicas: dep.spec?.replicas ?? 0,
        readyReplicas: dep.status?.readyReplicas ?? 0,
        ...(autoscaling ? { autoscaling } : {}),
        replicas: [],
      });
    }
    return { applied, skipped, workloads };
  }

  private async ensureNamespace(): Promise<void> {
    const ns = this.config.namespace;
    try {
      await this.core.readNamespace({ name: ns });
    } catch (e) {
      if (statusCode(e) !== 404) throw classifyKubernetesError(e, `read namespace ${ns}`, this.source);
      await this.apply([
        {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: {
            name: ns,
            labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'app.kubernetes.io/managed-by': 'speedlayer' },
          },
        },
      ]);
    }
  }

  async deploy(input: WorkloadSpec): Promise<WorkloadStatus> {
    this.check();
    const spec = validateWorkloadSpec(input);
    const objects = workloadObjects(spec, this.manifestOptions());
    await this.ensureNamespace();
    await this.apply(objects);
    this.specs.set(spec.name, spec);
    return this.status(spec.name);
  }

  async status(name: string): Promise<WorkloadStatus> {
    this.check();
    const namespace = this.config.namespace;
    let deployment: Awaited<ReturnType<AppsV1Api['readNamespacedDeployment']>>;
    try {
      deployment = await this.apps.readNamespacedDeployment({ name, namespace });
    } catch (e) {
      if (statusCode(e) === 404) {
        throw new NotFoundError(`workload ${name} is not deployed in namespace ${namespace}`, {
          field: 'name',
          target: this.target,
        });
      }
      throw classifyKubernetesError(e, `read deployment ${namespace}/${name}`, this.source);
    }
    const autoscaling = await this.readAutoscaling(name);
    const ready = deployment.status?.readyReplicas ?? 0;
    return {
      name,
      desiredReplicas: deployment.spec?.replicas ?? 0,
      readyReplicas: ready,
      ...(autoscaling ? { autoscaling } : {}),
      // Pods are reported by the Deployment's counts; listing pods needs more RBAC than the worker role has.
      replicas: [],
    };
  }

  private async readAutoscaling(
    name: string,
    kind: 'keda' | 'hpa' = this.autoscaler,
    namespace: string = this.config.namespace,
  ): Promise<{ min: number; max: number } | undefined> {
    try {
      if (kind === 'keda') {
        const so = (await this.custom.getNamespacedCustomObject({
          group: 'keda.sh',
          version: 'v1alpha1',
          namespace,
          plural: 'scaledobjects',
          name,
        })) as { spec?: { minReplicaCount?: number; maxReplicaCount?: number } };
        return { min: so.spec?.minReplicaCount ?? 0, max: so.spec?.maxReplicaCount ?? 0 };
      }
      const h = await this.hpa.readNamespacedHorizontalPodAutoscaler({ name, namespace });
      return { min: h.spec?.minReplicas ?? 1, max: h.spec?.maxReplicas ?? 0 };
    } catch (e) {
      if (statusCode(e) === 404) return undefined;
      throw classifyKubernetesError(e, `read autoscaler ${namespace}/${name}`, this.source);
    }
  }

  async scale(name: string, replicas: number): Promise<WorkloadStatus> {
    this.check();
    const spec = this.specs.get(name) ?? (await this.recoverSpec(name));
    const next = validateWorkloadSpec(pinReplicas(spec, replicas));
    await this.apply(workloadObjects(next, this.manifestOptions()));
    this.specs.set(name, next);
    return this.status(name);
  }

  /** Rebuilds a workload spec from the cluster (when another process deployed it). */
  private async recoverSpec(name: string): Promise<WorkloadSpec> {
    const namespace = this.config.namespace;
    const status = await this.status(name);
    const d = await this.apps.readNamespacedDeployment({ name, namespace });
    const c = d.spec?.template.spec?.containers[0];
    let env: Record<string, string> = {};
    try {
      env = (await this.core.readNamespacedConfigMap({ name: `${name}-env`, namespace })).data ?? {};
    } catch (e) {
      if (statusCode(e) !== 404) throw classifyKubernetesError(e, `read config map ${namespace}/${name}-env`, this.source);
    }
    const secrets = (c?.env ?? [])
      .filter((v) => v.valueFrom?.secretKeyRef)
      .map((v) => ({ env: v.name, ref: `k8s:${v.valueFrom?.secretKeyRef?.name}/${v.valueFrom?.secretKeyRef?.key}` }));
    const cpu = c?.resources?.requests?.cpu;
    const mem = c?.resources?.requests?.memory;
    return {
      name,
      command: c?.command ?? [],
      replicas: status.desiredReplicas,
      env,
      ...(secrets.length ? { secrets } : {}),
      ...(c?.image ? { image: c.image } : {}),
      ...(d.spec?.template.spec?.serviceAccountName ? { serviceAccount: d.spec.template.spec.serviceAccountName } : {}),
      ...(status.autoscaling ? { autoscaling: status.autoscaling } : {}),
      resources: {
        ...(typeof cpu === 'string' && cpu.endsWith('m') ? { cpu: Number(cpu.slice(0, -1)) / 1000 } : {}),
        ...(typeof mem === 'string' && mem.endsWith('Mi') ? { memoryMiB: Number(mem.slice(0, -2)) } : {}),
      },
    };
  }

  async remove(name: string): Promise<void> {
    this.check();
    const namespace = this.config.namespace;
    const labels = workloadLabels(name);
    const kinds: Array<[string, string]> = [
      [
        this.autoscaler === 'keda' ? 'keda.sh/v1alpha1' : 'autoscaling/v2',
        this.autoscaler === 'keda' ? 'ScaledObject' : 'HorizontalPodAutoscaler',
      ],
      ...(this.autoscaler === 'keda' && this.flavor !== 'kubernetes'
        ? ([['keda.sh/v1alpha1', 'TriggerAuthentication']] as Array<[string, string]>)
        : []),
      ['networking.k8s.io/v1', 'NetworkPolicy'],
      ['policy/v1', 'PodDisruptionBudget'],
      ['apps/v1', 'Deployment'],
      ['v1', 'ConfigMap'],
      ['v1', 'ServiceAccount'],
    ];
    const serviceAccount = this.specs.get(name)?.serviceAccount ?? name;
    for (const [apiVersion, kind] of kinds) {
      const objName =
        kind === 'ConfigMap'
          ? `${name}-env`
          : kind === 'ServiceAccount'
            ? serviceAccount
            : kind === 'TriggerAuthentication'
              ? `${name}-keda`
              : name;
      try {
        await this.objects.delete(
          { apiVersion, kind, metadata: { name: objName, namespace, labels } },
          undefined,
          undefined,
          undefined,
          undefined,
          'Background',
        );
      } catch (e) {
        if (statusCode(e) !== 404) throw classifyKubernetesError(e, `delete ${kind} ${namespace}/${objName}`, this.source);
      }
    }
    this.specs.delete(name);
  }

  alignReplicas(stream: StreamClient, topic: string, name: string): Promise<WorkloadStatus> {
    return alignReplicasToPartitions(this, stream, topic, name);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private check(): void {
    if (this.closed)
      throw new SpeedlayerError('closed', 'kubernetes compute client is closed and cannot be used again', {
        target: this.target,
      });
  }
}

/**
 * The target id of a cluster flavour, named on errors: the first target (in registry order) whose descriptor deploys
 * its workers there (`deploy.compute` `eks://` -> `aws-msk-eks`, `aks://` -> `azure-eventhubs-aks`, `gke://` ->
 * `gcp-pubsub-gke`); `kubernetes` for `kubernetes://` or when no descriptor does.
 */
export async function flavorTarget(flavor: KubernetesFlavor): Promise<string> {
  if (flavor === 'kubernetes') return 'kubernetes';
  const descriptors = await targetDescriptors().catch(() => []);
  return descriptors.find((d) => d.deploy?.compute.startsWith(`${flavor}://`))?.id ?? 'kubernetes';
}

function flavorOf(scheme: string): KubernetesFlavor {
  if (scheme === 'eks' || scheme === 'aks' || scheme === 'gke') return scheme;
  return 'kubernetes';
}

/**
 * Creates Kubernetes compute for `kubernetes://[context]`, `eks://`, `aks://`, `gke://` (query: `namespace`,
 * `kubeconfig`, `autoscaler`, `identity`). Reads the kubeconfig, checks the API server answers, decides the
 * autoscaler (KEDA when its CRD exists and `autoscaler` is `auto`) and whether any node can run pods.
 * @throws `ConfigError` for a bad kubeconfig; `ConnectionError` or `AuthError` when the cluster cannot be used.
 */
export async function createKubernetesCompute(
  uri: ParsedUri,
  options: { config?: Record<string, unknown> } = {},
): Promise<KubernetesCompute> {
  const fromQuery: Record<string, unknown> = {};
  for (const k of ['kubeconfig', 'context', 'namespace', 'autoscaler', 'identity'] as const) {
    const v = uri.params.get(k);
    if (v !== null) fromQuery[k] = v;
  }
  const explicitKubeconfig = fromQuery.kubeconfig ?? options.config?.kubeconfig;
  // eks://<cluster>?region=... without a kubeconfig: endpoint and CA from the EKS API, an EKS bearer token.
  const eksCluster = uri.scheme === 'eks' && uri.location && !explicitKubeconfig ? decodeURIComponent(uri.location) : undefined;
  if (uri.location && !fromQuery.context && !eksCluster) fromQuery.context = decodeURIComponent(uri.location);
  const config = resolveConfig(kubernetesConfigSchema, { ...fromQuery, ...(options.config ?? {}) }, { target: 'kubernetes' });
  let kc = new KubeConfig();
  let source: string;
  if (eksCluster) {
    const region = uri.params.get('region') ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (!region) {
      throw new ConfigError(`eks://${eksCluster}: give ?region= (or AWS_REGION) to find the cluster`, { field: 'region' });
    }
    const endpoint = uri.params.get('endpoint') ?? undefined;
    const { eksKubeConfig } = await import('./eks.js');
    kc = (await eksKubeConfig(eksCluster, { region, ...(endpoint ? { endpoint } : {}) })).kubeConfig;
    source = `EKS cluster ${eksCluster} (${region}, token from the AWS default credentials)`;
  } else {
    try {
      if (config.kubeconfig) kc.loadFromFile(config.kubeconfig);
      else kc.loadFromDefault();
      if (config.context) kc.setCurrentContext(config.context);
    } catch (e) {
      throw new ConfigError(`kubeconfig: cannot load ${config.kubeconfig ?? 'the default kubeconfig'}: ${(e as Error).message}`, {
        field: 'kubeconfig',
        cause: e,
      });
    }
    if (!kc.getCurrentCluster()) {
      throw new ConfigError(`kubeconfig: no cluster for context ${config.context ?? kc.getCurrentContext() ?? '(none)'}`, {
        field: 'kubeconfig',
      });
    }
    source = `kubeconfig ${config.kubeconfig ?? process.env.KUBECONFIG ?? '~/.kube/config'} (context ${kc.getCurrentContext()})`;
  }
  const core = kc.makeApiClient(CoreV1Api);
  let nodes = 0;
  try {
    nodes = (await core.listNode({ limit: 1 })).items.length;
  } catch (e) {
    const err = classifyKubernetesError(e, 'list nodes', source);
    // A user without cluster-wide node access (403) can still deploy; assume a normal cluster then.
    // Credentials the server does not accept at all (401) cannot do anything: fail now.
    if (err.kind === 'auth' && statusCode(e) === 403) nodes = 1;
    else throw err;
  }
  let autoscaler: 'keda' | 'hpa' = config.autoscaler === 'auto' ? 'hpa' : config.autoscaler;
  if (config.autoscaler === 'auto') {
    try {
      await kc
        .makeApiClient(CustomObjectsApi)
        .listClusterCustomObject({ group: 'keda.sh', version: 'v1alpha1', plural: 'scaledobjects', limit: 1 });
      autoscaler = config.trigger ? 'keda' : 'hpa';
    } catch {
      autoscaler = 'hpa';
    }
  }
  const flavor = flavorOf(uri.scheme);
  return new KubernetesCompute(kc, config, flavor, autoscaler, nodes > 0, source, await flavorTarget(flavor));
}
