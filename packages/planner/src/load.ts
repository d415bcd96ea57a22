/**
 * Target-neutral quantities derived from a workload: peak rates, egress across groups, processing replicas,
 * monthly volumes. Every sizing rule starts from these.
 *
 * @packageDocumentation
 */
import { ceilSafe, MIB, SECONDS_PER_MONTH } from './units.js';
import type { Workload } from './workload.js';

/** Rates and volumes of a workload, sustained and at peak. */
export interface WorkloadLoad {
  /** Sustained records per second written. */
  readonly sustainedRecordsPerSec: number;
  /** Peak records per second written (sustained x peakFactor). */
  readonly peakRecordsPerSec: number;
  /** Sustained bytes per second written. */
  readonly sustainedBytesPerSec: number;
  /** Peak bytes per second written. */
  readonly peakBytesPerSec: number;
  /** Peak bytes per second read, across all consumer groups (each group reads everything). */
  readonly peakEgressBytesPerSec: number;
  /** Peak records per second read, across all consumer groups. */
  readonly peakEgressRecordsPerSec: number;
  /** Replicas needed to keep up with the peak: `ceil(peak records/s x msPerRecord / 1000)`, at least 1. */
  readonly processingReplicasPeak: number;
  /** Replicas needed at the sustained rate: `ceil(sustained records/s x msPerRecord / 1000)`, at least 1. */
  readonly processingReplicasSustained: number;
  /** Records written per month at the sustained rate. */
  readonly monthlyRecords: number;
  /** Bytes written per month at the sustained rate. */
  readonly monthlyBytesIn: number;
  /** Bytes held at any time for the retention window (sustained rate x retention). */
  readonly retainedBytes: number;
  /** Consumer group names: the groups of `access.consumers` first, then `<name>-g1`, ... up to `consumerGroups`. */
  readonly groups: readonly string[];
}

/**
 * Computes the target-neutral load of a workload.
 * @example
 * ```ts
 * import { deriveLoad, type Workload } from '@speedlayer/planner';
 * declare const workload: Workload;
 * const load = deriveLoad(workload);
 * load.processingReplicasPeak; // ceil(40000 x 2 / 1000) = 80 for the clickstream example
 * ```
 */
export function deriveLoad(w: Workload): WorkloadLoad {
  const sustained = w.ingress.recordsPerSecond;
  const peak = sustained * w.ingress.peakFactor;
  const bytes = w.ingress.avgRecordBytes;
  const perRecordSec = w.processing.msPerRecord / 1000;
  return {
    sustainedRecordsPerSec: sustained,
    peakRecordsPerSec: peak,
    sustainedBytesPerSec: sustained * bytes,
    peakBytesPerSec: peak * bytes,
    peakEgressBytesPerSec: peak * bytes * w.consumerGroups,
    peakEgressRecordsPerSec: peak * w.consumerGroups,
    processingReplicasPeak: Math.max(1, ceilSafe(peak * perRecordSec)),
    processingReplicasSustained: Math.max(1, ceilSafe(sustained * perRecordSec)),
    monthlyRecords: sustained * SECONDS_PER_MONTH,
    monthlyBytesIn: sustained * bytes * SECONDS_PER_MONTH,
    retainedBytes: sustained * bytes * w.retentionHours * 3600,
    groups: groupNames(w),
  };
}

/** The named groups of `access.consumers`, then generated `<name>-gN` names (skipping taken ones) up to `consumerGroups`. */
function groupNames(w: Workload): string[] {
  const out = (w.access?.consumers ?? []).map((c) => c.group);
  for (let i = 1; out.length < w.consumerGroups; i++) {
    const g = `${w.name}-g${i}`;
    if (!out.includes(g)) out.push(g);
  }
  return out;
}

/** Bytes per second as MiB/s. */
export function mibps(bytesPerSec: number): number {
  return bytesPerSec / MIB;
}
