/**
 * Building blocks shared by the targets' sizing rules: a plan builder that records each step, warnings,
 * blockers and cost lines, plus per-target option parsing with field paths.
 *
 * @packageDocumentation
 */
import { type FieldIssue, formatPath, z } from '@speedlayer/core';
import type { WorkloadLoad } from './load.js';
import type { Price, Sourced } from './sourced.js';
import type { Blocker, CostLine, PlanInput, Repartitioning, SizingStep, TargetPlan } from './target.js';
import { ceilSafe, usd } from './units.js';
import { WorkloadValidationError } from './workload.js';

/**
 * Validates the `targets.<id>` entry of a workload with the target's own schema.
 * @throws `WorkloadValidationError` with paths like `targets.azure-eventhubs-aks.tier`.
 */
export function targetOptions<S extends z.ZodType>(input: PlanInput, id: string, schema: S): z.output<S> {
  const raw = input.workload.targets[id] ?? {};
  const result = schema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  const issues: FieldIssue[] = result.error.issues.flatMap((i) => {
    const base = ['targets', id, ...i.path];
    if (i.code === 'unrecognized_keys') {
      return i.keys.map((k) => ({ path: formatPath([...base, k]), message: 'unknown field' }));
    }
    return [{ path: formatPath(base), message: i.message }];
  });
  throw new WorkloadValidationError(issues);
}

/** Collects the parts of a {@link TargetPlan} while a sizing rule runs. */
export class PlanBuilder {
  /** Sizing steps recorded so far. */
  readonly steps: SizingStep[] = [];
  /** Warnings recorded so far (deduplicated). */
  readonly warnings: string[] = [];
  /** Blockers recorded so far; any blocker makes the plan infeasible. */
  readonly blockers: Blocker[] = [];
  /** Reasons for the tier/mode choice. */
  readonly choice: string[] = [];
  /** Monthly cost lines. */
  readonly cost: CostLine[] = [];

  /**
   * @param target - target id, e.g. `aws-kinesis-ecs`
   * @param title - human name of the target
   */
  constructor(
    readonly target: string,
    readonly title: string,
  ) {}

  /** Records a sizing step `name = formula = ceil(value)` and returns the (integer) value. */
  step(name: string, formula: string, raw: number, source?: Sourced<unknown> | string): number {
    const value = ceilSafe(raw);
    const src = typeof source === 'string' ? source : source?.source;
    this.steps.push(src === undefined ? { name, formula, value } : { name, formula, value, source: src });
    return value;
  }

  /** Records a blocker (the target cannot serve the workload). */
  block(field: string, message: string, limit?: Sourced<unknown>): void {
    this.blockers.push(limit === undefined ? { field, message } : { field, message, limit });
  }

  /** Records a warning. */
  warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  }

  /** Records a reason for the tier/mode choice. */
  because(reason: string): void {
    this.choice.push(reason);
  }

  /** Adds a monthly cost line `quantity x price`. */
  charge(item: string, quantity: number, p: Price): void {
    this.cost.push({ item, quantity: Math.round(quantity * 1000) / 1000, price: p, monthlyUsd: usd(quantity * p.value) });
    if (p.status === 'unconfirmed' || p.status === 'assumption') {
      this.warn(`price "${item}" (${p.value} USD per ${p.unit}) is ${p.status}: ${p.note ?? p.source}`);
    }
  }

  /** Total of the cost lines, in USD per month. */
  total(): number {
    return usd(this.cost.reduce((s, l) => s + l.monthlyUsd, 0));
  }

  /** Builds the final plan. */
  build(parts: {
    tier: string;
    partitions: number | null;
    replicas: { min: number; max: number };
    replicaRule: string;
    capacity: Record<string, number | string | boolean>;
    repartitioning: Repartitioning;
    /** False when the plan's workers cannot read consumer lag (see {@link TargetPlan.lagMetrics}). */
    lagMetrics?: boolean;
  }): TargetPlan {
    const feasible = this.blockers.length === 0;
    return {
      target: this.target,
      title: this.title,
      feasible,
      blockers: [...this.blockers],
      tier: parts.tier,
      choice: [...this.choice],
      partitions: feasible ? parts.partitions : null,
      replicas: parts.replicas,
      replicaRule: parts.replicaRule,
      capacity: parts.capacity,
      sizing: [...this.steps],
      repartitioning: parts.repartitioning,
      monthlyCostUsd: feasible ? this.total() : null,
      cost: feasible ? [...this.cost] : [],
      warnings: [...this.warnings],
      ...(parts.lagMetrics === false ? { lagMetrics: false as const } : {}),
    };
  }
}

/**
 * The 1:1 replica rule for partitioned targets: the autoscaler's maximum equals the partition count (a replica
 * beyond it would sit idle), the minimum covers the sustained processing load.
 */
export function partitionedReplicas(partitions: number, load: WorkloadLoad): { min: number; max: number; rule: string } {
  const min = Math.min(partitions, Math.max(1, load.processingReplicasSustained));
  return {
    min,
    max: partitions,
    rule:
      `max = partitions (${partitions}): one replica per partition, more would sit idle; ` +
      `min = ceil(sustained ${fmt(load.sustainedRecordsPerSec)} records/s x msPerRecord / 1000) = ${min} (at least 1, at most partitions)`,
  };
}

/** Formats a number for explanations: thousands separated, at most 3 decimals (`40,960`, `39.063`). */
export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const fixed = Number.isInteger(n) ? String(n) : String(Number(n.toFixed(3)));
  const [int, dec] = fixed.split('.') as [string, string | undefined];
  const sign = int.startsWith('-') ? '-' : '';
  const digits = sign ? int.slice(1) : int;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}${grouped}${dec ? `.${dec}` : ''}`;
}

/** The smallest of `steps` that is >= `needed`, or undefined. */
export function smallestStep(steps: readonly number[], needed: number): number | undefined {
  return steps.find((s) => s >= needed);
}

/**
 * Option fields several targets share under `targets.<id>` (one definition, the same error on every target):
 * the address space of the network the workers run in, the managed Kubernetes version, the Azure region.
 */
export const targetOptionFields = {
  /** A CIDR. @default 10.0.0.0/16 */
  cidr: () =>
    z
      .string()
      .regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/, 'must be a CIDR')
      .default('10.0.0.0/16'),
  /** A Kubernetes minor version (`1.33`). @default 1.33 */
  kubernetesVersion: () =>
    z
      .string()
      .regex(/^1\.\d+$/)
      .default('1.33'),
  /** An Azure region name. @default eastus */
  azureLocation: () =>
    z
      .string()
      .regex(/^[a-z0-9]+$/, 'must be an Azure region name like eastus')
      .default('eastus'),
} as const;
