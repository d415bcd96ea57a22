/**
 * Readable text form of a plan result (what `speedlayer plan` prints without `--json`).
 *
 * @packageDocumentation
 */
import type { PlanResult } from './engine.js';
import { fmt } from './helpers.js';

/** Renders each target's plan: choice, sizing steps, replicas, cost lines, warnings and files. */
export function renderPlanText(result: PlanResult, writtenFiles?: Readonly<Record<string, readonly string[]>>): string {
  const out: string[] = [];
  const w = result.workload;
  out.push(
    `Workload ${w.name}: ${fmt(w.ingress.recordsPerSecond)} records/s x ${fmt(w.ingress.avgRecordBytes)} B (peak x${w.ingress.peakFactor}), ` +
      `${w.consumerGroups} consumer group(s), ${w.processing.msPerRecord} ms/record, retention ${w.retentionHours} h, ordering ${w.ordering}`,
  );
  for (const { plan, files } of result.results) {
    out.push('', `== ${plan.target} (${plan.title})`);
    if (!plan.feasible) {
      out.push('  CANNOT SERVE this workload:');
      for (const b of plan.blockers) out.push(`    ${b.field}: ${b.message}`);
      continue;
    }
    out.push(`  tier/mode: ${plan.tier}`);
    for (const c of plan.choice) out.push(`    - ${c}`);
    out.push(`  partitions: ${plan.partitions === null ? 'none' : fmt(plan.partitions)}`);
    for (const s of plan.sizing) out.push(`    ${s.name}: ${s.formula} = ${fmt(s.value)}${s.source ? `  [${s.source}]` : ''}`);
    out.push(`  replicas per group: min ${plan.replicas.min}, max ${plan.replicas.max}`);
    out.push(`    ${plan.replicaRule}`);
    out.push(`  repartitioning: ${plan.repartitioning.policy}: ${plan.repartitioning.note}`);
    out.push(`  monthly cost: $${fmt(plan.monthlyCostUsd ?? 0)}`);
    for (const c of plan.cost) {
      out.push(
        `    ${c.item}: ${fmt(c.quantity)} x $${c.price.value}/${c.price.unit} = $${fmt(c.monthlyUsd)} (as of ${c.price.asOf}, ${c.price.region})`,
      );
    }
    for (const warning of plan.warnings) out.push(`  warning: ${warning}`);
    const paths = writtenFiles?.[plan.target] ?? files.map((f) => f.path);
    if (paths.length > 0) out.push(`  files: ${paths.join(', ')}`);
  }
  return `${out.join('\n')}\n`;
}
