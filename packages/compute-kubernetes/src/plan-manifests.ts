/**
 * Turns the Kubernetes manifests the planner emits (`kubernetes/*.yaml` of `speedlayer plan`) into objects ready to
 * server-side apply: the autoscaler file picked (KEDA or the HPA alternative), namespace, image, topic and stream set,
 * `${VAR}` placeholders filled (an unfilled one is a `ConfigError` naming it: a literal `${...}` is never applied),
 * and every consumer Deployment's replicas and its autoscaler's maximum set to the topic's partition count.
 *
 * @packageDocumentation
 */
import { loadAllYaml } from '@kubernetes/client-node';
import { ConfigError } from '@speedlayer/core';
import { HPA_ALTERNATIVE_PATH, type K8sObject } from '@speedlayer/iac';

/** An emitted file (`EmittedFile` of the planner). */
export interface ManifestFile {
  path: string;
  content: string;
  kind: string;
}

/** Options of {@link prepareManifests}. */
export interface PrepareManifestsOptions {
  /** `keda` applies `kubernetes/20-keda.yaml`, `hpa` applies `kubernetes/alternatives/hpa.yaml`. */
  autoscaler: 'keda' | 'hpa';
  /** Placeholder values by name (`WORKER_ROLE_ARN` fills `${WORKER_ROLE_ARN}`). */
  values: Readonly<Record<string, string>>;
  /** Partition count read from the stream: replicas and the autoscaler's maximum. `null` keeps the planner's replicas (Pub/Sub). */
  partitions: number | null;
  /** Namespace of every object (overrides the planner's). */
  namespace?: string;
  /** Worker image (overrides the workload's `deploy.image`). */
  image?: string;
  /** Topic the workers consume (the planner names it after the workload). */
  topic?: string;
  /** Stream URI the workers connect to (`SPEEDLAYER_STREAM`). */
  streamUri?: string;
}

const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Files applied, in order; the topic Job (`05-topic-job.yaml`) is left out: `deploy` reads an existing topic. */
const FILES = ['kubernetes/00-namespace.yaml', 'kubernetes/10-worker.yaml'];

function walkStrings(value: unknown, fn: (s: string) => string): unknown {
  if (typeof value === 'string') return fn(value);
  if (Array.isArray(value)) return value.map((v) => walkStrings(v, fn));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walkStrings(v, fn)]));
  }
  return value;
}

/** The `${VAR}` placeholder names used in `objects`, sorted. */
export function placeholdersIn(objects: readonly K8sObject[]): string[] {
  const names = new Set<string>();
  walkStrings(objects, (s) => {
    for (const m of s.matchAll(PLACEHOLDER)) names.add(m[1] as string);
    return s;
  });
  return [...names].sort();
}

/**
 * Replaces every `${VAR}` with its value.
 * @throws `ConfigError` (field `--set`) naming every placeholder without a value.
 */
export function fillPlaceholders(objects: readonly K8sObject[], values: Readonly<Record<string, string>>): K8sObject[] {
  const missing = placeholdersIn(objects).filter((n) => values[n] === undefined);
  if (missing.length > 0) {
    throw new ConfigError(
      `the manifests need values for ${missing.map((n) => `\${${n}}`).join(', ')}: give --set ${missing[0]}=... (or the environment variable ${missing[0]})`,
      { field: '--set' },
    );
  }
  return walkStrings(objects, (s) => s.replace(PLACEHOLDER, (_, n: string) => values[n] as string)) as K8sObject[];
}

function parseFile(f: ManifestFile): K8sObject[] {
  return (loadAllYaml(f.content) as (K8sObject | null)[]).filter((o): o is K8sObject => !!o?.kind);
}

function setArg(args: unknown, flag: string, value: string): void {
  if (!Array.isArray(args)) return;
  const i = args.indexOf(flag);
  if (i >= 0 && i + 1 < args.length) args[i + 1] = value;
}

/**
 * Prepares the planner's Kubernetes files for server-side apply (see the module summary).
 * @returns the objects in apply order: Namespace, ServiceAccount, ConfigMap, Deployments, PDBs, NetworkPolicies,
 *   then TriggerAuthentication + ScaledObjects or HPAs.
 * @throws `ConfigError` when a file is missing or a placeholder has no value.
 */
export function prepareManifests(files: readonly ManifestFile[], o: PrepareManifestsOptions): K8sObject[] {
  const wanted = [...FILES, o.autoscaler === 'keda' ? 'kubernetes/20-keda.yaml' : HPA_ALTERNATIVE_PATH];
  const objects: K8sObject[] = [];
  for (const path of wanted) {
    const f = files.find((x) => x.path === path);
    if (!f) throw new ConfigError(`the plan has no ${path}: is the target a Kubernetes target?`, { field: '--target' });
    objects.push(...parseFile(f));
  }
  const from = (objects.find((x) => x.kind === 'ConfigMap')?.data as Record<string, string> | undefined)?.SPEEDLAYER_TOPIC;
  for (const obj of objects) {
    const x = obj as K8sObject & {
      spec?: {
        replicas?: number;
        template?: { spec?: { containers?: Record<string, unknown>[] } };
        minReplicaCount?: number;
        maxReplicaCount?: number;
        minReplicas?: number;
        maxReplicas?: number;
        triggers?: { metadata?: Record<string, string> }[];
      };
      data?: Record<string, string>;
    };
    if (o.namespace) {
      if (x.kind === 'Namespace') x.metadata.name = o.namespace;
      else if (x.metadata.namespace) x.metadata.namespace = o.namespace;
    }
    if (x.kind === 'ConfigMap' && x.data) {
      if (o.topic) x.data.SPEEDLAYER_TOPIC = o.topic;
      if (o.streamUri) x.data.SPEEDLAYER_STREAM = o.streamUri;
      if (o.partitions !== null) x.data.SPEEDLAYER_PARTITIONS = String(o.partitions);
    }
    if (x.kind === 'Deployment' && x.spec) {
      if (o.partitions !== null) x.spec.replicas = o.partitions;
      x.metadata.annotations = {
        ...(x.metadata.annotations ?? {}),
        'speedlayer.dev/partitions': o.partitions === null ? 'none' : String(o.partitions),
      };
      for (const c of x.spec.template?.spec?.containers ?? []) {
        if (o.image) c.image = o.image;
        if (o.topic) setArg(c.args, '--topic', o.topic);
      }
    }
    if (x.kind === 'ScaledObject' && x.spec) {
      if (o.partitions !== null) x.spec.maxReplicaCount = o.partitions;
      x.spec.minReplicaCount = Math.min(x.spec.minReplicaCount ?? 0, x.spec.maxReplicaCount ?? 0);
      for (const t of x.spec.triggers ?? []) {
        if (!o.topic || !t.metadata) continue;
        if (t.metadata.topic !== undefined && t.metadata.topic === from) t.metadata.topic = o.topic;
        if (t.metadata.eventHubName !== undefined && t.metadata.eventHubName === from) t.metadata.eventHubName = o.topic;
      }
    }
    if (x.kind === 'HorizontalPodAutoscaler' && x.spec) {
      if (o.partitions !== null) x.spec.maxReplicas = Math.max(1, o.partitions);
      x.spec.minReplicas = Math.max(1, Math.min(x.spec.minReplicas ?? 1, x.spec.maxReplicas ?? 1));
    }
  }
  return fillPlaceholders(objects, o.values);
}

/**
 * Placeholder values a stream URI gives: `msk://<arn>` -> `MSK_CLUSTER_ARN`, `eventhubs[+kafka]://<ns>` ->
 * `EVENTHUBS_NAMESPACE`, `pubsub://<project>` -> `GCP_PROJECT_ID`.
 */
export function placeholderValuesFromStream(streamUri: string): Record<string, string> {
  const m = /^([a-z0-9+]+):\/\/([^/?#]*)/i.exec(streamUri);
  if (!m) return {};
  const [, scheme, location] = m as unknown as [string, string, string];
  const loc = decodeURIComponent(location);
  if (!loc) return {};
  if (scheme === 'msk') return { MSK_CLUSTER_ARN: loc };
  if (scheme === 'eventhubs' || scheme === 'eventhubs+kafka') return { EVENTHUBS_NAMESPACE: loc.replace(/\..*$/, '') };
  if (scheme === 'pubsub') return { GCP_PROJECT_ID: loc };
  return {};
}
