/**
 * `speedlayer deploy`: deploy a worker for a topic and group on a compute target, with one replica per
 * partition (the autoscaler's maximum = the partition count), then print the workload's status.
 *
 * @packageDocumentation
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type ComputeClient,
  ConfigError,
  connect,
  createCompute,
  parseUri,
  type StreamClient,
  TimeoutError,
  type WorkloadSpec,
} from '@speedlayer/core';
import type { Command } from 'commander';
import { action, DEFAULT_STREAM, examples, intOption, READY_DIR_ENV, stopSignal } from '../common.js';
import {
  DEPLOY_COMPUTE,
  ECS_DEPLOY_TARGETS,
  KUBERNETES_DEPLOY_TARGETS,
  loadPlanTargets,
  PLAN_TARGET_IDS,
} from './plan-targets.js';

/** Compute URI per target id, for `--target` (a kubeconfig context or region can be given with `--compute`): the descriptors'. */
const TARGET_COMPUTE = DEPLOY_COMPUTE;

/** A workload name from topic and group (DNS-1123, ≤ 63 characters). */
export function workloadName(topic: string, group: string): string {
  const raw = `${topic}-${group}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return raw.slice(0, 63).replace(/-+$/, '') || 'worker';
}

/** Options of {@link deployWorker}. */
export interface DeployOptions {
  stream: string;
  topic: string;
  group: string;
  handler: string;
  compute: string;
  image?: string;
  name?: string;
  minReplicas: number;
  replicas?: number;
  config?: Record<string, unknown>;
  /** Local replicas are processes of this command: they run until this signal aborts. */
  localUntil?: AbortSignal;
  /** Local compute: how long to wait for every replica to be ready (handler loaded, group joined). @default 60000 */
  readyTimeoutMs?: number;
  /** Called with the status once deployed, aligned and (local) ready (before waiting on `localUntil`). */
  onDeployed?: (partitions: number | null, status: Awaited<ReturnType<ComputeClient['status']>>) => void;
}

/** Deploys and aligns; returns the status after alignment and the topic's partition count. */
export async function deployWorker(
  o: DeployOptions,
): Promise<{ partitions: number | null; status: Awaited<ReturnType<ComputeClient['status']>> }> {
  const isLocal = parseUri(o.compute, 'compute').scheme === 'local';
  if (!isLocal && !o.image) throw new ConfigError('--image is required for a container platform', { field: 'image' });
  const stream: StreamClient = await connect(o.stream);
  const compute = await createCompute(o.compute, o.config ? { config: o.config } : {});
  let readyDir: string | undefined;
  try {
    const info = await stream.admin.describeTopic(o.topic);
    const partitions = info.partitions;
    const replicas = partitions ?? o.replicas;
    if (replicas === undefined) {
      throw new ConfigError(
        `topic ${o.topic} on ${stream.target} has no partitions: give --replicas (the planner's rule for this target)`,
        {
          field: 'replicas',
        },
      );
    }
    const workerArgs = ['worker', '--stream', o.stream, '--topic', o.topic, '--group', o.group, '--handler', o.handler];
    const command = isLocal
      ? [process.execPath, fileURLToPath(new URL('../bin.js', import.meta.url)), ...workerArgs]
      : ['speedlayer', ...workerArgs];
    // Local replicas report readiness (handler loaded, group joined) or their start-up failure through files here.
    readyDir = isLocal ? mkdtempSync(join(tmpdir(), 'speedlayer-ready-')) : undefined;
    const spec: WorkloadSpec = {
      name: o.name ?? workloadName(o.topic, o.group),
      command,
      replicas: Math.min(o.minReplicas, replicas),
      autoscaling: { min: Math.min(o.minReplicas, replicas), max: replicas },
      ...(o.image ? { image: o.image } : {}),
      ...(readyDir ? { env: { [READY_DIR_ENV]: readyDir } } : {}),
    };
    await compute.deploy(spec);
    // The 1:1 rule as one call: replicas and the autoscaler's maximum = partitions.
    let status =
      partitions === null ? await compute.scale(spec.name, replicas) : await compute.alignReplicas(stream, o.topic, spec.name);
    if (readyDir) status = await waitReady(compute, spec.name, readyDir, o.readyTimeoutMs ?? 60_000);
    o.onDeployed?.(partitions, status);
    if (isLocal && o.localUntil && !o.localUntil.aborted) {
      await new Promise<void>((r) => o.localUntil?.addEventListener('abort', () => r(), { once: true }));
    }
    return { partitions, status };
  } finally {
    // Local replicas are processes of this command: closing local compute stops them (SIGTERM, drain).
    await compute.close();
    await stream.close();
    // Only now: a replica still starting when the deploy failed may write its report until it is stopped (removing
    // the directory before gave ENOTEMPTY instead of the replica's reason)
    if (readyDir) rmSync(readyDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  }
}

/**
 * Waits until every replica of a local workload is ready: its worker loaded the handler and joined the group
 * (it wrote `<id>.ready`). A replica that failed to start (it wrote `<id>.failed`, or exited) fails the deploy
 * with its reason: exit 2 when the worker exited 2 (a usage or input error such as a handler that does not load).
 */
async function waitReady(
  compute: ComputeClient,
  name: string,
  dir: string,
  timeoutMs: number,
): Promise<Awaited<ReturnType<ComputeClient['status']>>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await compute.status(name);
    const ids = status.replicas.map((r) => r.id);
    for (const id of ids) {
      const failed = join(dir, `${id}.failed`);
      if (existsSync(failed)) {
        const f = JSON.parse(readFileSync(failed, 'utf8')) as { message: string; exitCode: number };
        const message = `replica ${id} did not start: ${f.message}`;
        throw f.exitCode === 2 ? new ConfigError(message, { field: 'handler' }) : new Error(message);
      }
    }
    // a replica that died without saying why (killed, crashed before the worker started)
    const dead = status.replicas.find((r) => r.state === 'failed' && !existsSync(join(dir, `${r.id}.ready`)));
    if (dead) throw new Error(`replica ${dead.id} exited with code ${dead.exitCode ?? '?'} before it was ready`);
    const ready = ids.filter((id) => existsSync(join(dir, `${id}.ready`))).length;
    if (ids.length >= status.desiredReplicas && ready === ids.length) return { ...status, readyReplicas: ready };
    if (Date.now() > deadline)
      throw new TimeoutError(`${ready} of ${status.desiredReplicas} replicas of ${name} ready after ${timeoutMs} ms`, {
        field: 'ready-timeout',
      });
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Kubernetes targets `deploy <workload>` can apply the planner's manifests to (the descriptors'). */
const KUBERNETES_TARGETS = KUBERNETES_DEPLOY_TARGETS;
/** The ECS targets: `deploy <workload>` registers the planner's task definitions and services ({@link deployEcsWorkload}). */
const ECS_TARGETS = ECS_DEPLOY_TARGETS;

/** Options of {@link deployWorkload}. */
export interface DeployWorkloadOptions {
  /** Planner target id (a Kubernetes target). */
  target: string;
  /** Stream URI to read the partition count from (and the workers' `SPEEDLAYER_STREAM`); the plan's count without it. */
  stream?: string;
  /** Topic (default: the workload name, as the planner names it). */
  topic?: string;
  /** Worker image (default: the workload's `deploy.image`). */
  image?: string;
  /** Compute URI (default from the target: `eks://`, `aks://`, `gke://` with the kubeconfig). */
  compute?: string;
  kubeconfig?: string;
  namespace?: string;
  /** Placeholder values (`--set NAME=value`); the environment fills the rest. */
  values?: Record<string, string>;
  /** `auto` (KEDA when its CRDs are served, else the HPA alternative), `keda` or `hpa`. @default auto */
  autoscaler?: 'auto' | 'keda' | 'hpa';
  /** Server-side dry run (`dryRun=All`); nothing is stored. */
  dryRun?: boolean;
  /** With `dryRun`: do not contact a cluster, only print. */
  offline?: boolean;
  /** Environment for placeholder values. @default process.env */
  env?: Record<string, string | undefined>;
}

/** What {@link deployWorkload} did. */
export interface DeployWorkloadResult {
  target: string;
  compute: string | null;
  namespace: string;
  topic: string;
  /** Partition count read from the stream (`null`: none, e.g. Pub/Sub). */
  partitions: number | null;
  /** Where the replica count came from. */
  replicaSource: 'stream partitions' | 'plan';
  dryRun: boolean;
  /** `server` when the API server validated the objects, `offline` when only printed. */
  mode: 'applied' | 'server-dry-run' | 'offline';
  /** The objects (after filling), as applied or as they would be. */
  objects: import('@speedlayer/iac').K8sObject[];
  applied: string[];
  skipped: string[];
  workloads: Awaited<ReturnType<ComputeClient['status']>>[];
}

/**
 * `deploy <workload>`: plans the workload for a Kubernetes target, takes the planner's manifests, fills their
 * placeholders, sets every Deployment's replicas and its autoscaler's maximum to the stream's partition count, and
 * server-side applies them (field manager `speedlayer`), or dry-runs them.
 * @throws `ConfigError` naming an unfilled placeholder or a bad flag; `WorkloadValidationError` for a bad file;
 *   `AuthError` naming the kubeconfig and context; `ConnectionError` when the cluster cannot be reached.
 */
export async function deployWorkload(path: string, o: DeployWorkloadOptions): Promise<DeployWorkloadResult> {
  const { loadWorkload, checkTargetKeys, planWorkload } = await import('@speedlayer/planner');
  const ck = await import('@speedlayer/compute-kubernetes');
  if (!KUBERNETES_TARGETS.includes(o.target)) {
    throw new ConfigError(
      `--target "${o.target}": deploy <workload> applies Kubernetes manifests or ECS definitions; use one of ${[...KUBERNETES_TARGETS, ...ECS_TARGETS].join(', ')}`,
      { field: 'target' },
    );
  }
  const workload = await loadWorkload(path);
  checkTargetKeys(workload, PLAN_TARGET_IDS);
  const targets = await loadPlanTargets([o.target]);
  const planned = planWorkload(workload, targets, { context: { now: new Date(), generator: 'speedlayer' } }).results[0];
  if (!planned?.plan.feasible) {
    const { WorkloadNotServableError } = await import('@speedlayer/planner');
    throw new WorkloadNotServableError(planned ? [planned.plan] : []);
  }
  const plan = planned.plan;
  const topic = o.topic ?? workload.name;
  let partitions: number | null = plan.partitions;
  let replicaSource: DeployWorkloadResult['replicaSource'] = 'plan';
  if (o.stream) {
    const stream = await connect(o.stream);
    try {
      partitions = (await stream.admin.describeTopic(topic)).partitions;
      if (partitions !== null) replicaSource = 'stream partitions';
    } finally {
      await stream.close();
    }
  }
  const env = o.env ?? process.env;
  // Precedence: --set, then what the --stream URI names (namespace, project, cluster ARN), then the environment.
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && /^[A-Z][A-Z0-9_]*$/.test(k)) values[k] = v;
  Object.assign(values, o.stream ? ck.placeholderValuesFromStream(o.stream) : {}, o.values ?? {});
  const offline = o.dryRun === true && o.offline === true;
  const computeUri = offline ? null : (o.compute ?? TARGET_COMPUTE[o.target]!);
  let compute: Awaited<ReturnType<typeof ck.createKubernetesCompute>> | undefined;
  if (computeUri) {
    const config = {
      ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}),
      ...(o.namespace ? { namespace: o.namespace } : {}),
      autoscaler: 'hpa',
    };
    compute = await ck.createKubernetesCompute(parseUri(computeUri, 'compute'), { config });
  }
  try {
    const autoscaler =
      o.autoscaler && o.autoscaler !== 'auto' ? o.autoscaler : compute && !(await compute.servesKeda()) ? 'hpa' : 'keda';
    const objects = ck.prepareManifests(planned.files, {
      autoscaler,
      values,
      partitions,
      ...(o.namespace ? { namespace: o.namespace } : {}),
      ...(o.image ? { image: o.image } : {}),
      topic,
      ...(o.stream ? { streamUri: o.stream } : {}),
    });
    const namespace = objects.find((x) => x.kind === 'Namespace')?.metadata.name ?? workload.deploy.namespace ?? workload.name;
    const base = { target: o.target, compute: computeUri, namespace, topic, partitions, replicaSource, objects };
    if (!compute) {
      const workloads = objects
        .filter((x) => x.kind === 'Deployment')
        .map((d) => {
          const s = objects.find(
            (x) => (x.kind === 'ScaledObject' || x.kind === 'HorizontalPodAutoscaler') && x.metadata.name === d.metadata.name,
          )?.spec as Record<string, number> | undefined;
          return {
            name: d.metadata.name,
            desiredReplicas: (d.spec as { replicas: number }).replicas,
            readyReplicas: 0,
            ...(s
              ? { autoscaling: { min: s.minReplicaCount ?? s.minReplicas ?? 0, max: s.maxReplicaCount ?? s.maxReplicas ?? 0 } }
              : {}),
            replicas: [],
          };
        });
      return { ...base, dryRun: true, mode: 'offline', applied: [], skipped: [], workloads };
    }
    const r = await compute.applyManifests(objects, { dryRun: o.dryRun === true });
    return { ...base, dryRun: o.dryRun === true, mode: o.dryRun ? 'server-dry-run' : 'applied', ...r };
  } finally {
    await compute?.close();
  }
}

/** What {@link deployEcsWorkload} did. */
export interface DeployEcsResult {
  target: 'aws-kinesis-ecs';
  /** The `ecs://<region>/<cluster>` compute URI (`null`: offline dry run). */
  compute: string | null;
  cluster: string | null;
  topic: string;
  /** Shard count read from the stream (`null`: not read; the plan's). */
  partitions: number | null;
  replicaSource: 'stream partitions' | 'plan';
  mode: 'applied' | 'offline';
  /** One ECS service per consumer group; desired count = shards. */
  services: { service: string; taskDefinitionArn: string | null; desiredCount: number; created: boolean | null }[];
  /** With an offline dry run: the filled RegisterTaskDefinition / CreateService inputs. */
  inputs?: unknown[];
}

/**
 * `deploy <workload> --target aws-kinesis-ecs`: plans the workload, fills the placeholders of the planned ECS task
 * definitions and services (`--set`, then the `ecs://<region>/<cluster>` compute URI for `ECS_CLUSTER` and
 * `AWS_REGION`, then the environment), sets every service's desired count to the stream's shard count when `--stream`
 * is given (the plan's otherwise), and registers them: one task definition and one service per consumer group.
 * `--image` replaces the planned `<repository>@<digest>` image. An offline dry run only prints the filled inputs.
 * @throws `ConfigError` naming a missing placeholder (`--set`) or a missing `--compute`.
 */
export async function deployEcsWorkload(path: string, o: DeployWorkloadOptions): Promise<DeployEcsResult> {
  const { loadWorkload, checkTargetKeys, planWorkload, WorkloadNotServableError } = await import('@speedlayer/planner');
  const ecsAdapter = await import('@speedlayer/aws-kinesis-ecs');
  const workload = await loadWorkload(path);
  checkTargetKeys(workload, PLAN_TARGET_IDS);
  const targets = await loadPlanTargets([o.target]);
  const planned = planWorkload(workload, targets, { context: { generator: 'speedlayer' } }).results[0];
  if (!planned?.plan.feasible) throw new WorkloadNotServableError(planned ? [planned.plan] : []);
  const topic = o.topic ?? workload.name;
  let partitions: number | null = null;
  if (o.stream) {
    const stream = await connect(o.stream);
    try {
      partitions = (await stream.admin.describeTopic(topic)).partitions;
    } finally {
      await stream.close();
    }
  }
  // the planned files, with what the flags override: the stream's shard count, the stream URI, the image
  const files = planned.files.map((f) => {
    if (/^ecs\/[^/]+\.service\.json$/.test(f.path) && partitions !== null) {
      return { ...f, content: JSON.stringify({ ...JSON.parse(f.content), desiredCount: partitions }) };
    }
    if (/^ecs\/[^/]+\.task-definition\.json$/.test(f.path) && (o.image || o.stream)) {
      const td = JSON.parse(f.content) as { containerDefinitions: { image: string; command?: string[] }[] };
      for (const c of td.containerDefinitions) {
        if (o.image) c.image = o.image;
        const at = c.command?.indexOf('--stream') ?? -1;
        if (o.stream && c.command && at >= 0) c.command[at + 1] = o.stream;
      }
      return { ...f, content: JSON.stringify(td) };
    }
    return f;
  });
  const env = o.env ?? process.env;
  const fromEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && /^[A-Z][A-Z0-9_]*$/.test(k)) fromEnv[k] = v;
  const replicaSource = partitions !== null ? 'stream partitions' : 'plan';
  const offline = o.dryRun === true;
  if (offline) {
    const inputs = ecsAdapter.ecsPlanInputs(files, { ...fromEnv, ...(o.values ?? {}) });
    return {
      target: 'aws-kinesis-ecs',
      compute: null,
      cluster: null,
      topic,
      partitions,
      replicaSource,
      mode: 'offline',
      services: inputs.map((i) => ({
        service: i.service.serviceName ?? '',
        taskDefinitionArn: null,
        desiredCount: i.service.desiredCount ?? 0,
        created: null,
      })),
      inputs,
    };
  }
  if (!o.compute || parseUri(o.compute, 'compute').scheme !== 'ecs') {
    throw new ConfigError('--compute ecs://<region>/<cluster>[?endpoint=<url>] is required to deploy on ECS', {
      field: 'compute',
    });
  }
  const compute = await ecsAdapter.createEcsCompute(parseUri(o.compute, 'compute'));
  try {
    // Precedence: --set, then what the compute URI names (cluster, region), then the environment.
    const values = { ...fromEnv, ECS_CLUSTER: compute.cluster, AWS_REGION: await compute.region(), ...(o.values ?? {}) };
    const services = await compute.deployPlan(files, values);
    return {
      target: 'aws-kinesis-ecs',
      compute: o.compute,
      cluster: compute.cluster,
      topic,
      partitions,
      replicaSource,
      mode: 'applied',
      services: services.map((s) => ({ ...s })),
    };
  } finally {
    await compute.close();
  }
}

/** One line per ECS service of a {@link deployEcsWorkload} result. */
export function renderDeployEcs(r: DeployEcsResult): string {
  const verb = r.mode === 'applied' ? 'registered' : 'dry-run (offline)';
  const source = r.partitions === null ? "the plan's shards" : `${r.partitions} shards`;
  const lines = r.services.map(
    (s) =>
      `${verb} ECS service ${s.service}${r.cluster ? ` in cluster ${r.cluster}` : ''} (aws-kinesis-ecs): ` +
      `desiredCount ${s.desiredCount} = ${source}${s.created === null ? '' : s.created ? ', created' : ', updated'}`,
  );
  return `${lines.join('\n')}\n`;
}

function setOption(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const i = value.indexOf('=');
  if (i <= 0) throw new ConfigError(`--set "${value}" must be NAME=value`, { field: '--set' });
  return { ...previous, [value.slice(0, i)]: value.slice(i + 1) };
}

/** One line per workload of a {@link deployWorkload} result. */
export function renderDeployWorkload(r: DeployWorkloadResult): string {
  const verb =
    r.mode === 'applied' ? 'applied' : r.mode === 'server-dry-run' ? 'dry-run (server, nothing stored)' : 'dry-run (offline)';
  const lines = r.workloads.map(
    (w) =>
      `${verb} ${w.name} in ${r.namespace} (${r.target}): ${w.desiredReplicas} replicas for ` +
      `${r.partitions === null ? `no partitions (the plan's replicas)` : `${r.partitions} partitions`}, ` +
      `autoscaler ${w.autoscaling ? `${w.autoscaling.min}..${w.autoscaling.max}` : 'none'}, ${w.readyReplicas} ready`,
  );
  if (r.skipped.length) lines.push(`not validated (namespace ${r.namespace} does not exist yet): ${r.skipped.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

/** Registers `deploy`. */
export function registerDeploy(program: Command): void {
  program
    .command('deploy [workload]')
    .description(
      "deploy workers with one replica per partition (autoscaler max = partitions): the planner's manifests for a " +
        'workload file on a Kubernetes target (or its ECS task definitions and services on aws-kinesis-ecs), or a worker ' +
        'for --topic/--group/--handler',
    )
    .option('--topic <topic>', 'topic the workers consume (with a workload: default the workload name)')
    .option('--group <group>', 'consumer group (without a workload)')
    .option('--handler <module>', 'handler module path inside the image (or locally; without a workload)')
    .option('--stream <uri>', "stream URI (with a workload: where the partition count is read; default the plan's count)")
    .option('--target <id>', `target id (${Object.keys(TARGET_COMPUTE).join(', ')}); picks the compute URI`)
    .option('--compute <uri>', 'compute URI, e.g. kubernetes://<context>?namespace=team-a, eks://, ecs://us-east-1/cluster')
    .option('--image <image>', 'container image (required on container platforms)')
    .option('--name <name>', 'workload name (default <topic>-<group>)')
    .option('--min-replicas <n>', 'autoscaler minimum', intOption(0, 10_000), 1)
    .option('--replicas <n>', 'replicas for targets without partitions', intOption(1, 10_000))
    .option('--kubeconfig <path>', 'kubeconfig for Kubernetes targets')
    .option('--namespace <ns>', 'namespace for Kubernetes targets')
    // biome-ignore lint/suspicious/noTemplateCurlyInString: help text showing the placeholder syntax
    .option('--set <name=value>', 'value of a ${NAME} placeholder in the manifests (repeatable; else $NAME)', setOption)
    .option('--autoscaler <kind>', 'with a workload: auto (KEDA when installed), keda or hpa', 'auto')
    .option('--dry-run', 'server-side dry run (dryRun=All) and print the objects as YAML; nothing is stored')
    .option('--offline', 'with --dry-run: do not contact a cluster, only print')
    .option('--ready-timeout <ms>', 'local: how long replicas may take to load the handler and join the group', intOption(1))
    .option('--json', 'print the status as JSON')
    .addHelpText(
      'after',
      examples(
        'speedlayer deploy --target local --topic orders --group billing --handler ./handler.mjs   # runs until Ctrl-C',
        'speedlayer deploy workload.yaml --target aws-msk-eks --stream msk://<cluster-arn> --dry-run',
        'speedlayer deploy workload.yaml --target aws-kinesis-ecs --compute ecs://us-east-1/workers --set TASK_ROLE_ARN=...   # groups named in access: --set <PRINCIPAL>_ROLE_ARN=... (output principal_role_arns)',
      ),
    )
    .action(
      action(
        async (
          workload: string | undefined,
          o: {
            topic?: string;
            group?: string;
            handler?: string;
            stream?: string;
            set?: Record<string, string>;
            autoscaler: string;
            dryRun?: boolean;
            offline?: boolean;
            target?: string;
            compute?: string;
            image?: string;
            name?: string;
            minReplicas: number;
            replicas?: number;
            kubeconfig?: string;
            namespace?: string;
            readyTimeout?: number;
            json?: boolean;
          },
        ) => {
          if (workload !== undefined) {
            if (!o.target) throw new ConfigError('deploy <workload> needs --target', { field: 'target' });
            if (o.group)
              throw new ConfigError('--group: with a workload the groups come from its consumerGroups', { field: 'group' });
            if (!['auto', 'keda', 'hpa'].includes(o.autoscaler))
              throw new ConfigError(`--autoscaler "${o.autoscaler}" must be auto, keda or hpa`, { field: 'autoscaler' });
            if (o.offline && !o.dryRun) throw new ConfigError('--offline needs --dry-run', { field: 'offline' });
            if (ECS_TARGETS.includes(o.target)) {
              const r = await deployEcsWorkload(workload, {
                target: o.target,
                ...(o.stream ? { stream: o.stream } : {}),
                ...(o.topic ? { topic: o.topic } : {}),
                ...(o.image ? { image: o.image } : {}),
                ...(o.compute ? { compute: o.compute } : {}),
                ...(o.set ? { values: o.set } : {}),
                ...(o.dryRun ? { dryRun: true } : {}),
              });
              if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
              else {
                if (r.inputs) process.stdout.write(`${JSON.stringify(r.inputs, null, 2)}\n`);
                process.stdout.write(renderDeployEcs(r));
              }
              return;
            }
            const r = await deployWorkload(workload, {
              target: o.target,
              autoscaler: o.autoscaler as 'auto' | 'keda' | 'hpa',
              ...(o.stream ? { stream: o.stream } : {}),
              ...(o.topic ? { topic: o.topic } : {}),
              ...(o.image ? { image: o.image } : {}),
              ...(o.compute ? { compute: o.compute } : {}),
              ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}),
              ...(o.namespace ? { namespace: o.namespace } : {}),
              ...(o.set ? { values: o.set } : {}),
              ...(o.dryRun ? { dryRun: true } : {}),
              ...(o.offline ? { offline: true } : {}),
            });
            if (o.json) {
              const { objects, ...rest } = r;
              process.stdout.write(`${JSON.stringify(o.dryRun ? r : { ...rest, objects: objects.length })}\n`);
            } else {
              if (r.dryRun) {
                const { writeK8sYaml } = await import('@speedlayer/iac');
                process.stdout.write(writeK8sYaml(r.objects));
              }
              process.stdout.write(renderDeployWorkload(r));
            }
            return;
          }
          for (const f of ['topic', 'group', 'handler'] as const) {
            if (!o[f]) throw new ConfigError(`--${f} is required without a workload file`, { field: f });
          }
          if (o.dryRun) throw new ConfigError('--dry-run needs a workload file', { field: 'dry-run' });
          const topic = o.topic as string;
          const group = o.group as string;
          const handler = o.handler as string;
          const streamUri = o.stream ?? DEFAULT_STREAM;
          if (o.target !== undefined && !(o.target in TARGET_COMPUTE)) {
            throw new ConfigError(`--target "${o.target}" is unknown; known: ${Object.keys(TARGET_COMPUTE).join(', ')}`, {
              field: 'target',
            });
          }
          const compute = o.compute ?? TARGET_COMPUTE[o.target ?? 'local']!;
          const config = {
            ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}),
            ...(o.namespace ? { namespace: o.namespace } : {}),
          };
          const print = (partitions: number | null, status: Awaited<ReturnType<ComputeClient['status']>>) => {
            if (o.json) process.stdout.write(`${JSON.stringify({ compute, partitions, ...status })}\n`);
            else
              process.stdout.write(
                `deployed ${status.name} on ${compute}: ${status.desiredReplicas} replicas for ${partitions ?? 'no'} partitions, ` +
                  `autoscaler ${status.autoscaling ? `${status.autoscaling.min}..${status.autoscaling.max}` : 'none'}, ${status.readyReplicas} ready` +
                  `${parseUri(compute).scheme === 'local' ? ' (local replicas run until Ctrl-C)' : ''}\n`,
              );
          };
          await deployWorker({
            stream: streamUri,
            topic,
            group,
            handler,
            compute,
            minReplicas: o.minReplicas,
            ...(o.image ? { image: o.image } : {}),
            ...(o.name ? { name: o.name } : {}),
            ...(o.replicas ? { replicas: o.replicas } : {}),
            ...(Object.keys(config).length ? { config } : {}),
            ...(o.readyTimeout ? { readyTimeoutMs: o.readyTimeout } : {}),
            localUntil: stopSignal(),
            onDeployed: print,
          });
        },
      ),
    );
}
