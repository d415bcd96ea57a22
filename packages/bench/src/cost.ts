/**
 * `--with-cost`: the planner's monthly cost estimate for the throughput a run measured, on the target that
 * was measured. The planner is target-neutral; the caller supplies the target's planning profile.
 *
 * @packageDocumentation
 */
import { type PlannerTarget, planWorkload, validateWorkload } from '@speedlayer/planner';
import type { BenchResult } from './result.js';

/** The cost joined to one result. */
export interface CostEstimate {
  /** Planner target id. */
  target: string;
  /** Whether the planner can serve the measured load on that target. */
  feasible: boolean;
  /** Monthly cost in USD at the measured publish rate (`null` when infeasible). */
  monthlyCostUsd: number | null;
  /** Partitions/shards the planner sized. */
  partitions: number | null;
  /** Tier or mode the planner chose. */
  tier: string;
  /** The load that was priced. */
  pricedLoad: { recordsPerSecond: number; avgRecordBytes: number; consumerGroups: number; retentionHours: number };
  /** Why infeasible, or what to keep in mind. */
  notes: string[];
}

/** Options of {@link estimateCost}. */
export interface CostOptions {
  /** Retention to price, hours. @default 24 */
  retentionHours?: number;
}

/**
 * Plans the measured load (average publish rate over all topics, message size, one consumer group per
 * subscription) on `target` and returns its monthly cost. Handler cost is taken as 0 ms per record.
 */
export function estimateCost(result: BenchResult, target: PlannerTarget, options: CostOptions = {}): CostEstimate {
  const recordsPerSecond = Math.max(0.001, result.speedlayer.avgPublishRate);
  const pricedLoad = {
    recordsPerSecond,
    avgRecordBytes: result.messageSize,
    consumerGroups: Math.max(1, result.speedlayer.subscriptionsPerTopic),
    retentionHours: options.retentionHours ?? 24,
  };
  const workload = validateWorkload({
    name: 'bench',
    ingress: { recordsPerSecond, avgRecordBytes: result.messageSize },
    consumerGroups: pricedLoad.consumerGroups,
    processing: { msPerRecord: 0 },
    retentionHours: pricedLoad.retentionHours,
  });
  const planned = planWorkload(workload, [target], { emit: false }).results[0];
  if (!planned) throw new Error(`planner returned no plan for ${target.id}`);
  const plan = planned.plan;
  return {
    target: plan.target,
    feasible: plan.feasible,
    monthlyCostUsd: plan.monthlyCostUsd,
    partitions: plan.partitions,
    tier: plan.tier,
    pricedLoad,
    notes: [...plan.blockers.map((b) => `${b.field}: ${b.message}`), ...plan.warnings.slice(0, 3)],
  };
}
