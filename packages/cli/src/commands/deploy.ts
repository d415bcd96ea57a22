/**
 * `speedlayer deploy`: deploy a worker for a topic and group on a compute target, with one replica per
 * partition (the autoscaler's maximum = the partition count), then print the workload's status.
 *
 * @packageDocumentation
 */
import { fileURLToPath } from 'node:url';
import {
  type ComputeClient,
  ConfigError,
  connect,
  createCompute,
  parseUri,
  type StreamClient,
  type WorkloadSpec,
} from '@speedlayer/core';
import type { Command } from 'commander';
import { action, DEFAULT_STREAM, intOption, stopSignal } from '../common.js';

/** Compute URI per target id, for `--target` (a kubeconfig context or region can be given with `--compute`). */
const TARGET_COMPUTE: Record<string, string> = {
  local: 'local://.speedlayer/data',
  'aws-msk-eks': 'eks://',
  'aws-kinesis-ecs': 'ecs://',
  'azure-eventhubs-aks': 'aks://',
  'gcp-pubsub-gke': 'gke://',
};

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
  /** Called with the status once deployed and aligned (before waiting on `localUntil`). */
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
    const spec: WorkloadSpec = {
      name: o.name ?? workloadName(o.topic, o.group),
      command,
      replicas: Math.min(o.minReplicas, replicas),
      autoscaling: { min: Math.min(o.minReplicas, replicas), max: replicas },
      ...(o.image ? { image: o.image } : {}),
    };
    await compute.deploy(spec);
    // The 1:1 rule as one call: replicas and the autoscaler's maximum = partitions.
    const status =
      partitions === null ? await compute.scale(spec.name, replicas) : await compute.alignReplicas(stream, o.topic, spec.name);
    o.onDeployed?.(partitions, status);
    if (isLocal && o.localUntil && !o.localUntil.aborted) {
      await new Promise<void>((r) => o.localUntil?.addEventListener('abort', () => r(), { once: true }));
    }
    return { partitions, status };
  } finally {
    // Local replicas are processes of this command: closing local compute stops them (SIGTERM, drain).
    await compute.close();
    await stream.close();
  }
}

/** Registers `deploy`. */
export function registerDeploy(program: Command): void {
  program
    .command('deploy')
    .description('deploy a worker for a topic and group with one replica per partition (autoscaler max = partitions)')
    .requiredOption('--topic <topic>', 'topic the workers consume')
    .requiredOption('--group <group>', 'consumer group')
    .requiredOption('--handler <module>', 'handler module path inside the image (or locally)')
    .option('--stream <uri>', 'stream URI', DEFAULT_STREAM)
    .option('--target <id>', `target id (${Object.keys(TARGET_COMPUTE).join(', ')}); picks the compute URI`)
    .option('--compute <uri>', 'compute URI, e.g. kubernetes://<context>?namespace=team-a, eks://, ecs://us-east-1/cluster')
    .option('--image <image>', 'container image (required on container platforms)')
    .option('--name <name>', 'workload name (default <topic>-<group>)')
    .option('--min-replicas <n>', 'autoscaler minimum', intOption(0, 10_000), 1)
    .option('--replicas <n>', 'replicas for targets without partitions', intOption(1, 10_000))
    .option('--kubeconfig <path>', 'kubeconfig for Kubernetes targets')
    .option('--namespace <ns>', 'namespace for Kubernetes targets')
    .option('--json', 'print the status as JSON')
    .action(
      action(
        async (o: {
          topic: string;
          group: string;
          handler: string;
          stream: string;
          target?: string;
          compute?: string;
          image?: string;
          name?: string;
          minReplicas: number;
          replicas?: number;
          kubeconfig?: string;
          namespace?: string;
          json?: boolean;
        }) => {
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
            stream: o.stream,
            topic: o.topic,
            group: o.group,
            handler: o.handler,
            compute,
            minReplicas: o.minReplicas,
            ...(o.image ? { image: o.image } : {}),
            ...(o.name ? { name: o.name } : {}),
            ...(o.replicas ? { replicas: o.replicas } : {}),
            ...(Object.keys(config).length ? { config } : {}),
            localUntil: stopSignal(),
            onDeployed: print,
          });
        },
      ),
    );
}
