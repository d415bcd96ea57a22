/**
 * The target-neutral engine: validates nothing itself (see {@link parseWorkload}), derives the load once,
 * asks each target for its plan and, for feasible plans, its files plus the shared alert rules and dashboard.
 *
 * @packageDocumentation
 */
import { ValidationError } from '@speedlayer/core';
import { deriveLoad, type WorkloadLoad } from './load.js';
import { observabilityFiles } from './observability.js';
import type { EmitContext, EmittedFile, PlannerTarget, TargetPlan } from './target.js';
import { validateWorkload, type Workload } from './workload.js';

/** A target's plan and, when feasible and requested, its files. */
export interface PlannedTarget {
  readonly plan: TargetPlan;
  readonly files: readonly EmittedFile[];
}

/** The plans of one workload across targets. */
export interface PlanResult {
  readonly workload: Workload;
  readonly load: WorkloadLoad;
  readonly results: readonly PlannedTarget[];
}

/** Options of {@link planWorkload}. */
export interface PlanOptions {
  /** Emit IaC for feasible plans. @default true */
  readonly emit?: boolean;
  /** Generator stamp and scope of emitted files. @default `{ generator: 'speedlayer', scope: 'full' }` */
  readonly context?: EmitContext;
}

/** No target can serve the workload; `blockers` names each field and limit, per target. */
export class WorkloadNotServableError extends ValidationError {
  /** Blockers by target id. */
  readonly blockers: Readonly<Record<string, readonly { field: string; message: string }[]>>;
  constructor(plans: readonly TargetPlan[]) {
    const lines = plans.flatMap((p) => p.blockers.map((b) => `  ${p.target}: ${b.field}: ${b.message}`));
    const first = plans[0]?.blockers[0];
    super(`no target can serve this workload:\n${lines.join('\n')}`, first ? { field: first.field } : {});
    this.name = 'WorkloadNotServableError';
    this.blockers = Object.fromEntries(
      plans.map((p) => [p.target, p.blockers.map((b) => ({ field: b.field, message: b.message }))]),
    );
  }
}

/**
 * Plans a validated workload on each target and emits the files of the feasible plans.
 * A target that cannot serve the workload yields a plan with `feasible: false` and never stops the others.
 * @throws `WorkloadValidationError` when a `targets.<id>` entry is invalid.
 * @example
 * ```ts
 * import { plannerTarget as kinesisTarget } from '@speedlayer/aws-kinesis-ecs/plan';
 * import { plannerTarget as pubsubTarget } from '@speedlayer/gcp-pubsub-gke/plan';
 * import { parseWorkload, planWorkload } from '@speedlayer/planner';
 * declare const text: string; // a workload file's YAML or JSON
 * const result = planWorkload(parseWorkload(text), [kinesisTarget, pubsubTarget]);
 * for (const r of result.results) console.log(r.plan.target, r.plan.partitions, r.plan.monthlyCostUsd);
 * ```
 */
export function planWorkload(workload: Workload, targets: readonly PlannerTarget[], options: PlanOptions = {}): PlanResult {
  const load = deriveLoad(workload);
  const input = { workload, load };
  const context = options.context ?? { generator: 'speedlayer' };
  const results = targets.map((t) => {
    const plan = t.plan(input);
    // every target's files, then the same Prometheus alert rules and Grafana dashboard (observability.ts)
    const files =
      plan.feasible && options.emit !== false
        ? [...t.emit(plan, input, context), ...observabilityFiles(plan, workload, load, context)]
        : [];
    return { plan, files };
  });
  return { workload, load, results };
}

/**
 * Validates a workload object, plans it on one target and emits that target's files (when feasible).
 * @throws `WorkloadValidationError` naming each invalid field.
 * @example
 * ```ts
 * import { plannerTarget as mskEksTarget } from '@speedlayer/aws-msk-eks/plan';
 * import { planOnTarget } from '@speedlayer/planner';
 * const { plan, files } = planOnTarget(mskEksTarget, { name: 'orders', ingress: { recordsPerSecond: 500, avgRecordBytes: 800 } });
 * ```
 */
export function planOnTarget(target: PlannerTarget, workload: unknown, options: PlanOptions = {}): PlannedTarget {
  return planWorkload(validateWorkload(workload), [target], options).results[0] as PlannedTarget;
}

/**
 * Throws when no plan in the result is feasible.
 * @throws `WorkloadNotServableError` naming each target's blockers (field path and limit).
 */
export function assertSomeFeasible(result: PlanResult): void {
  if (result.results.length > 0 && result.results.every((r) => !r.plan.feasible)) {
    throw new WorkloadNotServableError(result.results.map((r) => r.plan));
  }
}

/**
 * Checks that every key under `targets` names a known target id.
 * @throws `ValidationError` with field `targets.<key>` for an unknown one.
 */
export function checkTargetKeys(workload: Workload, knownIds: readonly string[]): void {
  for (const key of Object.keys(workload.targets)) {
    if (!knownIds.includes(key)) {
      throw new ValidationError(`targets.${key}: unknown target (known: ${knownIds.join(', ')})`, { field: `targets.${key}` });
    }
  }
}

/** The machine-readable form printed by `speedlayer plan --json`. */
export interface PlanJson {
  workload: Workload;
  plans: {
    target: string;
    feasible: boolean;
    tier: string;
    partitions: number | null;
    replicas: { min: number; max: number };
    capacity: Record<string, number | string | boolean>;
    monthlyCostUsd: number | null;
    warnings: string[];
    files: string[];
    blockers: { field: string; message: string; limit?: { value: unknown; unit: string; source: string } }[];
    choice: string[];
    replicaRule: string;
    repartitioning: { policy: string; note: string; source: string };
    sizing: { name: string; formula: string; value: number; source?: string }[];
    cost: {
      item: string;
      quantity: number;
      unitPriceUsd: number;
      unit: string;
      priceAsOf: string;
      region: string;
      source: string;
      monthlyUsd: number;
    }[];
  }[];
}

/** Converts a result to the `plan --json` shape; `filePaths` overrides the listed file paths (e.g. as written to disk). */
export function planToJson(
  result: PlanResult,
  filePaths?: (target: string, files: readonly EmittedFile[]) => string[],
): PlanJson {
  return {
    workload: result.workload,
    plans: result.results.map(({ plan, files }) => ({
      target: plan.target,
      feasible: plan.feasible,
      tier: plan.tier,
      partitions: plan.partitions,
      replicas: { ...plan.replicas },
      capacity: { ...plan.capacity },
      monthlyCostUsd: plan.monthlyCostUsd,
      warnings: [...plan.warnings],
      files: filePaths ? filePaths(plan.target, files) : files.map((f) => f.path),
      blockers: plan.blockers.map((b) => ({
        field: b.field,
        message: b.message,
        ...(b.limit ? { limit: { value: b.limit.value, unit: b.limit.unit, source: b.limit.source } } : {}),
      })),
      choice: [...plan.choice],
      replicaRule: plan.replicaRule,
      repartitioning: { ...plan.repartitioning },
      sizing: plan.sizing.map((s) => ({ ...s })),
      cost: plan.cost.map((c) => ({
        item: c.item,
        quantity: c.quantity,
        unitPriceUsd: c.price.value,
        unit: c.price.unit,
        priceAsOf: c.price.asOf,
        region: c.price.region,
        source: c.price.source,
        monthlyUsd: c.monthlyUsd,
      })),
    })),
  };
}

/**
 * Writes each target's files under `<dir>/<target>/` and returns the written paths per target.
 */
export async function writePlanFiles(dir: string, result: PlanResult): Promise<Record<string, string[]>> {
  const { mkdir, writeFile } = await import('node:fs/promises');
  const { dirname, join } = await import('node:path');
  const out: Record<string, string[]> = {};
  for (const { plan, files } of result.results) {
    await removeStaleGenerated(join(dir, plan.target), new Set(files.map((f) => join(dir, plan.target, ...f.path.split('/')))));
    const written: string[] = [];
    for (const f of files) {
      const path = join(dir, plan.target, ...f.path.split('/'));
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, f.content, 'utf8');
      written.push(path);
    }
    out[plan.target] = written;
  }
  return out;
}

/**
 * Removes files a previous plan generated under `dir` that this plan no longer emits (e.g. a `main.tf` split into
 * `versions.tf`, `variables.tf`, ...), so re-planning never leaves duplicate resources behind. Only files that start
 * with the generated header are removed; anything else is left alone.
 */
async function removeStaleGenerated(dir: string, keep: ReadonlySet<string>): Promise<void> {
  const { readdir, readFile, rm } = await import('node:fs/promises');
  const { join } = await import('node:path');
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await removeStaleGenerated(p, keep);
    else if (!keep.has(p) && /^# Generated by \S+ plan for workload /.test(await readFile(p, 'utf8').catch(() => ''))) {
      await rm(p, { force: true });
    }
  }
}
