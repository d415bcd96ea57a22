/**
 * Side-by-side comparison of the plans of one workload: the numbers of each plan plus the qualitative rows the
 * seed comparison tables use (complexity, provisioning, migration, scalability, vendor lock-in, native Kafka
 * compatibility), each row explained.
 *
 * @packageDocumentation
 */
import type { PlanResult } from './engine.js';
import { fmt } from './helpers.js';
import type { PlannerTarget, QualitativeProfile, TargetPlan } from './target.js';

/** One cell: a short value and, for qualitative rows, why. */
export interface CompareCell {
  readonly value: string;
  readonly why?: string;
}

/** One row of the comparison. */
export interface CompareRow {
  /** Stable key, e.g. `monthlyCostUsd`, `vendorLockIn`. */
  readonly key: string;
  /** Row label. */
  readonly label: string;
  /** What the row means and how it was derived. */
  readonly explanation: string;
  /** Cells by target id. */
  readonly cells: Readonly<Record<string, CompareCell>>;
}

/** The comparison table. */
export interface Comparison {
  readonly workload: string;
  readonly targets: readonly string[];
  readonly rows: readonly CompareRow[];
  /** Cheapest feasible target, if any. */
  readonly cheapest: string | null;
}

const QUALITATIVE: { key: keyof QualitativeProfile; label: string; explanation: string }[] = [
  {
    key: 'complexity',
    label: 'Operational complexity',
    explanation: 'How many moving parts the team runs and tunes (brokers, clusters, leases, node pools).',
  },
  {
    key: 'provisioning',
    label: 'Provisioning',
    explanation: 'What must be sized up front versus scaled by the service, and how long changes take.',
  },
  {
    key: 'migration',
    label: 'Migration',
    explanation: 'How hard it is to move topics, data and consumer positions in or out of this target.',
  },
  {
    key: 'scalability',
    label: 'Scalability',
    explanation: 'How far the stream scales and how its parallelism changes after creation.',
  },
  {
    key: 'vendorLockIn',
    label: 'Vendor lock-in',
    explanation: 'How much of the application and tooling is specific to this vendor.',
  },
  {
    key: 'kafkaCompatibility',
    label: 'Native Kafka compatibility',
    explanation: 'Whether unmodified Kafka clients and tools (kafkajs, Kafka Connect, MirrorMaker 2) work against it.',
  },
];

function cellOf(plan: TargetPlan, f: (p: TargetPlan) => string): CompareCell {
  return plan.feasible
    ? { value: f(plan) }
    : { value: 'cannot serve', why: plan.blockers.map((b) => `${b.field}: ${b.message}`).join('; ') };
}

function capacityText(plan: TargetPlan): string {
  return Object.entries(plan.capacity)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? fmt(v) : String(v)}`)
    .join(', ');
}

/**
 * Builds the comparison for a plan result, using each target's qualitative profile.
 * @example
 * ```ts
 * import { compareTargets, type PlannerTarget, planWorkload, renderComparison, type Workload } from '@speedlayer/planner';
 * declare const workload: Workload;
 * declare const targets: PlannerTarget[];
 * const table = compareTargets(planWorkload(workload, targets, { emit: false }), targets);
 * console.log(renderComparison(table));
 * ```
 */
export function compareTargets(result: PlanResult, targets: readonly PlannerTarget[]): Comparison {
  const plans = result.results.map((r) => r.plan);
  const ids = plans.map((p) => p.target);
  const byId = (f: (p: TargetPlan) => CompareCell): Record<string, CompareCell> =>
    Object.fromEntries(plans.map((p) => [p.target, f(p)]));
  const rows: CompareRow[] = [
    {
      key: 'tier',
      label: 'Tier / mode',
      explanation: 'The tier or capacity mode the planner chose; the plan JSON lists the reasons (field "choice").',
      cells: byId((p) => ({ ...cellOf(p, (x) => x.tier), ...(p.feasible ? { why: p.choice.join(' ') } : {}) })),
    },
    {
      key: 'partitions',
      label: 'Partitions / shards',
      explanation:
        'Units of parallelism, sized for peak ingress bytes and records, egress across consumer groups and serial processing per partition.',
      cells: byId((p) => cellOf(p, (x) => (x.partitions === null ? 'none (ordering keys)' : fmt(x.partitions)))),
    },
    {
      key: 'replicas',
      label: 'Replicas per group (min-max)',
      explanation:
        'Autoscaling bounds per consumer group: max = partitions (one replica per partition), min covers sustained load.',
      cells: byId((p) => ({
        ...cellOf(p, (x) => `${x.replicas.min}-${x.replicas.max}`),
        ...(p.feasible ? { why: p.replicaRule } : {}),
      })),
    },
    {
      key: 'capacity',
      label: 'Capacity (vendor units)',
      explanation: "Provisioned capacity in the vendor's own units.",
      cells: byId((p) => cellOf(p, capacityText)),
    },
    {
      key: 'monthlyCostUsd',
      label: 'Monthly cost (USD)',
      explanation:
        'List prices with "price as of" stamps: capacity for peak, data charges at the sustained rate, replicas at the maximum (always-on, one per partition). See each plan\'s cost lines.',
      cells: byId((p) => cellOf(p, (x) => `$${fmt(x.monthlyCostUsd ?? 0)}`)),
    },
    {
      key: 'repartitioning',
      label: 'Changing partitions later',
      explanation: 'How the unit of parallelism can change after creation, and what that does to per-key order.',
      cells: byId((p) => ({ value: p.repartitioning.policy, why: p.repartitioning.note })),
    },
    {
      key: 'warnings',
      label: 'Warnings',
      explanation: 'Quotas to raise, assumptions and unconfirmed numbers the estimate depends on.',
      cells: byId((p) => ({ value: String(p.warnings.length), why: p.warnings.join(' | ') })),
    },
  ];
  for (const q of QUALITATIVE) {
    rows.push({
      key: q.key,
      label: q.label,
      explanation: q.explanation,
      cells: Object.fromEntries(
        ids.map((id) => {
          const t = targets.find((x) => x.id === id);
          const row = t?.qualitative[q.key];
          return [id, row ? { value: row.value, why: row.why } : { value: 'n/a' }];
        }),
      ),
    });
  }
  const feasible = plans.filter((p) => p.feasible && p.monthlyCostUsd !== null);
  feasible.sort((a, b) => (a.monthlyCostUsd ?? 0) - (b.monthlyCostUsd ?? 0));
  return { workload: result.workload.name, targets: ids, rows, cheapest: feasible[0]?.target ?? null };
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

/** Renders a comparison as a fixed-width text table followed by each row's explanation and per-target reasons. */
export function renderComparison(c: Comparison): string {
  const labelW = Math.max(...c.rows.map((r) => r.label.length), 8) + 2;
  const colW = Math.max(24, ...c.targets.map((t) => t.length + 2));
  const lines: string[] = [];
  lines.push(`Workload: ${c.workload}`);
  lines.push(pad('', labelW) + c.targets.map((t) => pad(t, colW)).join(''));
  lines.push('-'.repeat(labelW + colW * c.targets.length));
  for (const r of c.rows) {
    lines.push(pad(r.label, labelW) + c.targets.map((t) => pad(clip(r.cells[t]?.value ?? '', colW - 2), colW)).join(''));
  }
  if (c.cheapest) lines.push('', `Cheapest feasible target: ${c.cheapest}`);
  lines.push('', 'Rows explained:');
  for (const r of c.rows) {
    lines.push(`- ${r.label}: ${r.explanation}`);
    for (const t of c.targets) {
      const why = r.cells[t]?.why;
      if (why) lines.push(`    ${t}: ${why}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
