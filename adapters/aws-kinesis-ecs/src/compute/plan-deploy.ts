/**
 * Deploys a Kinesis + ECS plan's task definitions and services (the planner's `ecs/<group>.task-definition.json` and
 * `ecs/<group>.service.json`): `${VAR}` placeholders filled, each task definition registered, each service created
 * (or updated) with desired count = shards. What `speedlayer deploy <workload> --target aws-kinesis-ecs` runs.
 *
 * @packageDocumentation
 */
import {
  CreateServiceCommand,
  type CreateServiceCommandInput,
  DescribeServicesCommand,
  type ECSClient,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { ConfigError } from '@speedlayer/core';
import { classifyAwsError } from '../stream/errors.js';

/** A planner file (`EmittedFile`). */
export interface EcsPlanFile {
  readonly path: string;
  readonly content: string;
}

/** One deployed group. */
export interface EcsPlanDeployment {
  /** Service (= consumer group) name. */
  readonly service: string;
  /** Registered task definition ARN. */
  readonly taskDefinitionArn: string;
  /** The service's desired count (shards). */
  readonly desiredCount: number;
  /** Whether the service was created (false: updated). */
  readonly created: boolean;
}

const PLACEHOLDER = /\$\{([A-Z_][A-Z0-9_]*)\}/g;
/** Placeholders that stand for a comma-separated list when they are a whole array element. */
const LISTS = new Set(['PRIVATE_SUBNET_IDS']);

function fill(value: unknown, values: Readonly<Record<string, string>>, missing: Set<string>): unknown {
  if (typeof value === 'string') {
    return value.replace(PLACEHOLDER, (whole, name: string) => {
      const v = values[name];
      if (v === undefined) missing.add(name);
      return v ?? whole;
    });
  }
  if (Array.isArray(value)) {
    return value.flatMap((item) => {
      const list = typeof item === 'string' ? /^\$\{([A-Z_][A-Z0-9_]*)\}$/.exec(item)?.[1] : undefined;
      if (list && LISTS.has(list) && values[list] !== undefined) {
        return values[list]
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
      }
      return [fill(item, values, missing)];
    });
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, values, missing)]));
  }
  return value;
}

/**
 * The filled ECS inputs of a plan, per group.
 * @throws `ConfigError` (field `--set`) naming every placeholder without a value, or when the plan has no ECS files.
 */
export function ecsPlanInputs(
  files: readonly EcsPlanFile[],
  values: Readonly<Record<string, string>>,
): { taskDefinition: RegisterTaskDefinitionCommandInput; service: CreateServiceCommandInput }[] {
  const defs = files.filter((f) => /^ecs\/[^/]+\.task-definition\.json$/.test(f.path));
  if (defs.length === 0) {
    throw new ConfigError('the plan has no ecs/*.task-definition.json: is the target aws-kinesis-ecs?', { field: '--target' });
  }
  const missing = new Set<string>();
  const out = defs.map((d) => {
    const svcPath = d.path.replace(/\.task-definition\.json$/, '.service.json');
    const svc = files.find((f) => f.path === svcPath);
    if (!svc) throw new ConfigError(`the plan has no ${svcPath}`, { field: '--target' });
    return {
      taskDefinition: fill(JSON.parse(d.content), values, missing) as RegisterTaskDefinitionCommandInput,
      service: fill(JSON.parse(svc.content), values, missing) as CreateServiceCommandInput,
    };
  });
  if (missing.size > 0) {
    const names = [...missing].sort();
    throw new ConfigError(
      `the ECS definitions need values for ${names.map((n) => `\${${n}}`).join(', ')}: give --set ${names[0]}=... (or the environment variable ${names[0]})`,
      { field: '--set' },
    );
  }
  return out;
}

async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw classifyAwsError(e, what);
  }
}

/**
 * Registers each planned task definition and creates its service (or updates an active one to the new revision and
 * the planned desired count).
 * @throws `ConfigError` for a missing placeholder; the adapter's classified AWS errors for failed calls.
 */
export async function deployEcsPlan(
  ecs: ECSClient,
  files: readonly EcsPlanFile[],
  values: Readonly<Record<string, string>>,
): Promise<EcsPlanDeployment[]> {
  const out: EcsPlanDeployment[] = [];
  for (const { taskDefinition, service } of ecsPlanInputs(files, values)) {
    const td = await call(`RegisterTaskDefinition ${taskDefinition.family}`, () =>
      ecs.send(new RegisterTaskDefinitionCommand(taskDefinition)),
    );
    const arn = td.taskDefinition?.taskDefinitionArn ?? '';
    const name = service.serviceName ?? '';
    const existing = await call(`DescribeServices ${name}`, () =>
      ecs.send(new DescribeServicesCommand({ cluster: service.cluster, services: [name] })),
    );
    const active = existing.services?.some((s) => s.serviceName === name && s.status === 'ACTIVE') ?? false;
    const desiredCount = service.desiredCount ?? 0;
    if (active) {
      await call(`UpdateService ${name}`, () =>
        ecs.send(new UpdateServiceCommand({ cluster: service.cluster, service: name, taskDefinition: arn, desiredCount })),
      );
    } else {
      await call(`CreateService ${name}`, () => ecs.send(new CreateServiceCommand({ ...service, taskDefinition: arn })));
    }
    out.push({ service: name, taskDefinitionArn: arn, desiredCount, created: !active });
  }
  return out;
}
