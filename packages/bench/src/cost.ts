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
  /**
   * The stream service's share of the monthly cost (the compute lines, which depend on the handler and not on the
   * service, left out); `null` when infeasible.
   */
  serviceMonthlyCostUsd: number | null;
  /** Service cost per million messages at the measured rate and size (fixed charges spread over the measured rate). */
  perMillionMessagesUsd: number | null;
  /** Service cost per GB (10^9 bytes) of payload at the measured rate and size. */
  perGbUsd: number | null;
  /** Regions of the prices used (e.g. `us-east-1`). */
  regions: string[];
  /** Dates the prices were read ("price as of"), oldest first. */
  pricesAsOf: string[];
  /** Why infeasible, or what to keep in mind. */
  notes: string[];
}

/** Seconds in the planner's month (730 hours). */
const SECONDS_PER_MONTH = 730 * 3600;

/** Cost lines that pay for the consumers' compute (cluster, pods, tasks, nodes) rather than the stream service. */
const COMPUTE_LINE = /\b(vCPU|memory|Fargate|EKS|AKS|GKE|pods?|nodes?|tasks?)\b/i;

/** True when a planner cost line pays for compute rather than for the stream service. */
export function isComputeCostLine(item: string): boolean {
  return COMPUTE_LINE.test(item);
}

/**
 * Unit costs of a monthly service cost at `recordsPerSecond` messages of `avgRecordBytes`: per million messages and
 * per GB (10^9 bytes) of payload. `null` for a zero rate or an unknown cost.
 */
export function unitCosts(
  monthlyUsd: number | null,
  recordsPerSecond: number,
  avgRecordBytes: number,
): { perMillionMessagesUsd: number | null; perGbUsd: number | null } {
  if (monthlyUsd === null || !(recordsPerSecond > 0)) return { perMillionMessagesUsd: null, perGbUsd: null };
  const messages = recordsPerSecond * SECONDS_PER_MONTH;
  const round = (v: number) => Math.round(v * 10_000) / 10_000;
  return {
    perMillionMessagesUsd: round((monthlyUsd / messages) * 1e6),
    perGbUsd: avgRecordBytes > 0 ? round((monthlyUsd / (messages * avgRecordBytes)) * 1e9) : null,
  };
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
  const service = plan.cost.filter((l) => !isComputeCostLine(l.item));
  const serviceMonthlyCostUsd = plan.feasible ? Math.round(service.reduce((sum, l) => sum + l.monthlyUsd, 0) * 100) / 100 : null;
  return {
    target: plan.target,
    feasible: plan.feasible,
    monthlyCostUsd: plan.monthlyCostUsd,
    partitions: plan.partitions,
    tier: plan.tier,
    pricedLoad,
    serviceMonthlyCostUsd,
    ...unitCosts(serviceMonthlyCostUsd, recordsPerSecond, result.messageSize),
    regions: [...new Set(service.map((l) => l.price.region))].sort(),
    pricesAsOf: [...new Set(service.map((l) => l.price.asOf))].sort(),
    notes: [...plan.blockers.map((b) => `${b.field}: ${b.message}`), ...plan.warnings.slice(0, 3)],
  };
}
