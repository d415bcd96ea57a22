/**
 * The ECS (Fargate) compute adapter, `ecs://<region>/<cluster>`: a workload is one task definition family and one
 * service of the same name; replicas are the service's desired count (the 1:1 rule: desired count = shards).
 * Autoscaler bounds are recorded on the service as tags (`speedlayer:autoscaling-min` / `-max`); the Application
 * Auto Scaling target itself is emitted by the IaC (`./plan`), so `capabilities.autoscaling` is false here.
 *
 * @packageDocumentation
 */
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  type KeyValuePair,
  ListTagsForResourceCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  type Secret,
  type Service,
  TagResourceCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import {
  alignReplicasToPartitions,
  ClosedError,
  type ComputeCapabilities,
  type ComputeClient,
  type ComputeFactory,
  ConfigError,
  NotFoundError,
  type ParsedUri,
  pinReplicas,
  type ReplicaStatus,
  resolveConfig,
  type StreamClient,
  ValidationError,
  validateWorkloadSpec,
  type WorkloadSpec,
  type WorkloadStatus,
  z,
} from '@speedlayer/core';
import { classifyAwsError, TARGET } from '../stream/errors.js';
import { deployEcsPlan, type EcsPlanDeployment, type EcsPlanFile } from './plan-deploy.js';

/** Config of the ECS compute adapter. */
export const ecsConfigSchema = z
  .object({
    /** ECS endpoint (e.g. moto). @default the SDK's (AWS_ENDPOINT_URL_ECS / AWS_ENDPOINT_URL) */
    endpoint: z.url().optional(),
    /** Subnets of the tasks (awsvpc). */
    subnets: z.array(z.string()).default([]),
    /** Security groups of the tasks. */
    securityGroups: z.array(z.string()).default([]),
    /** Task execution role (image pull, logs, secrets). */
    executionRoleArn: z.string().optional(),
    /** Create the cluster when missing. @default true */
    createCluster: z.boolean().default(true),
    /** Whether tasks actually run on this endpoint (false on moto, which never starts tasks). @default true */
    runsReplicas: z.boolean().default(true),
  })
  .strict();

/** Resolved ECS config. */
export type EcsConfig = z.output<typeof ecsConfigSchema>;

const TAG_MIN = 'speedlayer:autoscaling-min';
const TAG_MAX = 'speedlayer:autoscaling-max';

/** Valid Fargate CPU units -> memory MiB choices (smallest first). */
const FARGATE: Array<[number, number[]]> = [
  [256, [512, 1024, 2048]],
  [512, [1024, 2048, 3072, 4096]],
  [1024, [2048, 3072, 4096, 5120, 6144, 7168, 8192]],
  [2048, Array.from({ length: 13 }, (_, i) => 4096 + i * 1024)],
  [4096, Array.from({ length: 23 }, (_, i) => 8192 + i * 1024)],
];

/** The smallest valid Fargate CPU/memory pair covering `cpu` cores and `memoryMiB`. */
export function ecsTaskSize(cpu = 0.25, memoryMiB = 256): { cpu: string; memory: string } {
  for (const [units, mems] of FARGATE) {
    if (units < cpu * 1024) continue;
    const mem = mems.find((m) => m >= memoryMiB);
    if (mem !== undefined) return { cpu: String(units), memory: String(mem) };
  }
  throw new ValidationError(`resources: no Fargate size has ${cpu} vCPU and ${memoryMiB} MiB`, { field: 'resources' });
}

function secretsOf(spec: WorkloadSpec): Secret[] {
  return (spec.secrets ?? []).map((s, i) => {
    const m = /^aws-(sm|ssm):(.+)$/.exec(s.ref);
    if (!m?.[2]) {
      throw new ValidationError(`secrets[${i}].ref must be aws-sm:<secret arn> or aws-ssm:<parameter arn> on ECS`, {
        field: `secrets[${i}].ref`,
      });
    }
    return { name: s.env, valueFrom: m[2] };
  });
}

/** ECS compute client. */
export class EcsCompute implements ComputeClient {
  readonly target = TARGET;
  readonly capabilities: ComputeCapabilities;
  private closed = false;
  private clusterReady = false;

  constructor(
    readonly cluster: string,
    readonly config: EcsConfig,
    private readonly ecs: ECSClient,
  ) {
    this.capabilities = { runsReplicas: config.runsReplicas, autoscaling: false };
  }

  private check(): void {
    if (this.closed) throw new ClosedError('compute client', { target: TARGET });
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw classifyAwsError(e, what);
    }
  }

  private async ensureCluster(): Promise<void> {
    if (this.clusterReady || !this.config.createCluster) return;
    await this.call(`CreateCluster ${this.cluster}`, () =>
      this.ecs.send(new CreateClusterCommand({ clusterName: this.cluster })),
    );
    this.clusterReady = true;
  }

  private async service(name: string): Promise<Service | undefined> {
    const res = await this.call(`DescribeServices ${name}`, () =>
      this.ecs.send(new DescribeServicesCommand({ cluster: this.cluster, services: [name] })),
    ).catch((e) => {
      if ((e as { kind?: string }).kind === 'not-found') return undefined; // cluster missing
      throw e;
    });
    const s = res?.services?.find((x) => x.serviceName === name);
    return s && s.status !== 'INACTIVE' ? s : undefined;
  }

  async deploy(spec: WorkloadSpec): Promise<WorkloadStatus> {
    this.check();
    validateWorkloadSpec(spec);
    if (!spec.image) throw new ValidationError('image is required on ECS', { field: 'image' });
    const size = ecsTaskSize(spec.resources?.cpu, spec.resources?.memoryMiB);
    const secrets = secretsOf(spec);
    await this.ensureCluster();
    const td = await this.call(`RegisterTaskDefinition ${spec.name}`, () =>
      this.ecs.send(
        new RegisterTaskDefinitionCommand({
          family: spec.name,
          requiresCompatibilities: ['FARGATE'],
          networkMode: 'awsvpc',
          cpu: size.cpu,
          memory: size.memory,
          ...(this.config.executionRoleArn ? { executionRoleArn: this.config.executionRoleArn } : {}),
          ...(spec.serviceAccount ? { taskRoleArn: spec.serviceAccount } : {}),
          containerDefinitions: [
            {
              name: 'worker',
              image: spec.image,
              essential: true,
              command: spec.command,
              readonlyRootFilesystem: true,
              user: '10001:10001',
              environment: Object.entries(spec.env ?? {}).map(([name, value]): KeyValuePair => ({ name, value })),
              ...(secrets.length > 0 ? { secrets } : {}),
              linuxParameters: { initProcessEnabled: true, capabilities: { drop: ['ALL'] } },
            },
          ],
        }),
      ),
    );
    const taskDefinition = td.taskDefinition?.taskDefinitionArn ?? spec.name;
    const existing = await this.service(spec.name);
    let arn: string | undefined;
    if (existing) {
      const r = await this.call(`UpdateService ${spec.name}`, () =>
        this.ecs.send(
          new UpdateServiceCommand({ cluster: this.cluster, service: spec.name, taskDefinition, desiredCount: spec.replicas }),
        ),
      );
      arn = r.service?.serviceArn ?? existing.serviceArn;
    } else {
      const network =
        this.config.subnets.length > 0
          ? {
              networkConfiguration: {
                awsvpcConfiguration: {
                  subnets: this.config.subnets,
                  securityGroups: this.config.securityGroups,
                  assignPublicIp: 'DISABLED' as const,
                },
              },
            }
          : {};
      const r = await this.call(`CreateService ${spec.name}`, () =>
        this.ecs.send(
          new CreateServiceCommand({
            cluster: this.cluster,
            serviceName: spec.name,
            taskDefinition,
            desiredCount: spec.replicas,
            launchType: 'FARGATE',
            ...network,
          }),
        ),
      );
      arn = r.service?.serviceArn;
    }
    if (arn && spec.autoscaling) await this.tagBounds(arn, spec.autoscaling);
    return this.status(spec.name);
  }

  private async tagBounds(arn: string, bounds: { min: number; max: number }): Promise<void> {
    await this.call('TagResource', () =>
      this.ecs.send(
        new TagResourceCommand({
          resourceArn: arn,
          tags: [
            { key: TAG_MIN, value: String(bounds.min) },
            { key: TAG_MAX, value: String(bounds.max) },
          ],
        }),
      ),
    );
  }

  private async bounds(arn: string | undefined): Promise<{ min: number; max: number } | undefined> {
    if (!arn) return undefined;
    const res = await this.call('ListTagsForResource', () => this.ecs.send(new ListTagsForResourceCommand({ resourceArn: arn })));
    const tag = (k: string) => res.tags?.find((t) => t.key === k)?.value;
    const min = tag(TAG_MIN);
    const max = tag(TAG_MAX);
    return min !== undefined && max !== undefined ? { min: Number(min), max: Number(max) } : undefined;
  }

  private async replicas(name: string): Promise<ReplicaStatus[]> {
    const list = await this.call(`ListTasks ${name}`, () =>
      this.ecs.send(new ListTasksCommand({ cluster: this.cluster, serviceName: name })),
    );
    const arns = list.taskArns ?? [];
    if (arns.length === 0) return [];
    const res = await this.call(`DescribeTasks ${name}`, () =>
      this.ecs.send(new DescribeTasksCommand({ cluster: this.cluster, tasks: arns })),
    );
    return (res.tasks ?? []).map((t) => {
      const s = t.lastStatus ?? '';
      const state: ReplicaStatus['state'] =
        s === 'RUNNING'
          ? 'running'
          : ['PROVISIONING', 'PENDING', 'ACTIVATING'].includes(s)
            ? 'starting'
            : s === 'STOPPED'
              ? t.containers?.some((c) => (c.exitCode ?? 0) !== 0)
                ? 'failed'
                : 'stopped'
              : 'unknown';
      const exit = t.containers?.[0]?.exitCode;
      return { id: t.taskArn?.split('/').pop() ?? '', state, ...(exit !== undefined ? { exitCode: exit } : {}) };
    });
  }

  async status(name: string): Promise<WorkloadStatus> {
    this.check();
    const s = await this.service(name);
    if (!s) throw new NotFoundError(`workload ${name} does not exist in ECS cluster ${this.cluster}`, { target: TARGET });
    const replicas = await this.replicas(name);
    const autoscaling = await this.bounds(s.serviceArn);
    return {
      name,
      desiredReplicas: s.desiredCount ?? 0,
      // counted from tasks the service really runs (moto reports runningCount without running anything)
      readyReplicas: this.config.runsReplicas ? replicas.filter((r) => r.state === 'running').length : 0,
      ...(autoscaling ? { autoscaling } : {}),
      replicas,
    };
  }

  async scale(name: string, replicas: number): Promise<WorkloadStatus> {
    this.check();
    if (!Number.isInteger(replicas) || replicas < 0 || replicas > 1000) {
      throw new ValidationError(`replicas must be a whole number from 0 to 1000, got ${String(replicas)}`, { field: 'replicas' });
    }
    const s = await this.service(name);
    if (!s) throw new NotFoundError(`workload ${name} does not exist in ECS cluster ${this.cluster}`, { target: TARGET });
    await this.call(`UpdateService ${name}`, () =>
      this.ecs.send(new UpdateServiceCommand({ cluster: this.cluster, service: name, desiredCount: replicas })),
    );
    const bounds = await this.bounds(s.serviceArn);
    if (s.serviceArn && bounds) {
      const pinned = pinReplicas({ name, command: ['-'], replicas: 0, autoscaling: bounds }, replicas).autoscaling;
      if (pinned) await this.tagBounds(s.serviceArn, pinned);
    }
    return this.status(name);
  }

  async remove(name: string): Promise<void> {
    this.check();
    const s = await this.service(name);
    if (!s) return;
    await this.call(`DeleteService ${name}`, () =>
      this.ecs.send(new DeleteServiceCommand({ cluster: this.cluster, service: name, force: true })),
    );
  }

  alignReplicas(stream: StreamClient, topic: string, name: string): Promise<WorkloadStatus> {
    this.check();
    return alignReplicasToPartitions(this, stream, topic, name);
  }

  /** The region this client calls (from `ecs://<region>/<cluster>`). */
  region(): Promise<string> {
    return this.ecs.config.region();
  }

  /**
   * Registers a Kinesis + ECS plan's task definitions and services in this client's cluster ({@link deployEcsPlan},
   * what `speedlayer deploy <workload> --target aws-kinesis-ecs` runs); creates the cluster first when `createCluster`.
   * `values` fill the `${VAR}` placeholders (the caller gives `ECS_CLUSTER`: usually {@link EcsCompute.cluster}).
   */
  async deployPlan(files: readonly EcsPlanFile[], values: Readonly<Record<string, string>>): Promise<EcsPlanDeployment[]> {
    this.check();
    await this.ensureCluster();
    return deployEcsPlan(this.ecs, files, values);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.ecs.destroy();
  }
}

/**
 * Creates an ECS compute client for `ecs://<region>/<cluster>[?endpoint=...]`.
 * @throws `ConfigError` for a bad URI or config.
 */
export async function createEcsCompute(uri: ParsedUri, options: { config?: Record<string, unknown> } = {}): Promise<EcsCompute> {
  const [region = '', cluster = '', ...rest] = uri.location.split('/');
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region) || !/^[A-Za-z0-9_-]{1,255}$/.test(cluster) || rest.some((r) => r !== '')) {
    throw new ConfigError('compute: expected ecs://<region>/<cluster>, e.g. ecs://us-east-1/workers', {
      field: 'compute',
      target: TARGET,
    });
  }
  const fromUri: Record<string, unknown> = {};
  for (const [k, v] of uri.params) {
    if (k !== 'endpoint')
      throw new ConfigError(`compute: unknown parameter "${k}"; known: endpoint`, { field: 'compute', target: TARGET });
    fromUri[k] = v;
  }
  const config = resolveConfig(
    ecsConfigSchema,
    { ...fromUri, ...(options.config ?? {}) },
    { target: TARGET, what: 'ECS config' },
  );
  const ecs = new ECSClient({
    region,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 10_000, requestTimeout: 30_000 }),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
  });
  return new EcsCompute(cluster, config, ecs);
}

/** The factory core's registry loads for `ecs://`. */
export const computeFactory: ComputeFactory = (uri, options) => createEcsCompute(uri, options);
