/**
 * Event Hubs sizing rules (vendor-facts.md §7):
 * - Basic/Standard: `TU = max(ceil(ingressMB/s), ceil(ingressEvents/1000), ceil(egressMB/s / 2), ceil(egressEvents/4096))`,
 *   egress = ingress x consumer groups, cap 40 TU; partitions <= 32 and fixed at creation, so sized for peak now:
 *   `partitions = max(TU, processing replicas)` (a partition carries at most one TU).
 * - Premium: partitions <= 100 per hub and 200 per PU; PUs from a planning assumption (no official per-PU figure).
 * - Dedicated: partitions <= 1,024 per hub and 2,000 per CU; CUs from a planning assumption.
 *
 * @packageDocumentation
 */
import { ceilSafe } from '@speedlayer/planner';
import { EH_LIMITS as L } from './limits.js';

/** Throughput units for a peak load (Basic/Standard). */
export function throughputUnits(i: {
  peakBytesPerSec: number;
  peakRecordsPerSec: number;
  peakEgressBytesPerSec: number;
  peakEgressRecordsPerSec: number;
}): { tu: number; ingressBytes: number; ingressEvents: number; egressBytes: number; egressEvents: number } {
  const ingressBytes = ceilSafe(i.peakBytesPerSec / L.tuIngressBytes.value);
  const ingressEvents = ceilSafe(i.peakRecordsPerSec / L.tuIngressEvents.value);
  const egressBytes = ceilSafe(i.peakEgressBytesPerSec / L.tuEgressBytes.value);
  const egressEvents = ceilSafe(i.peakEgressRecordsPerSec / L.tuEgressEvents.value);
  return {
    tu: Math.max(1, ingressBytes, ingressEvents, egressBytes, egressEvents),
    ingressBytes,
    ingressEvents,
    egressBytes,
    egressEvents,
  };
}

/** Partitions: enough for per-partition throughput (1 MB/s) and for one serial consumer per partition. */
export function ehPartitions(peakBytesPerSec: number, processingReplicas: number, tu?: number): number {
  return Math.max(1, tu ?? 0, ceilSafe(peakBytesPerSec / L.partitionThroughput.value), processingReplicas);
}

/** Smallest purchasable PU step for a peak ingress and partition count, or undefined above 16 PUs. */
export function premiumUnits(peakBytesPerSec: number, partitions: number): number | undefined {
  const need = Math.max(
    ceilSafe(peakBytesPerSec / L.puIngressAssumption.value),
    ceilSafe(partitions / L.partitionsPerPu.value),
    1,
  );
  return L.puSteps.value.find((s) => s >= need);
}

/** Capacity units of a dedicated cluster, or undefined above 20. */
export function dedicatedUnits(peakBytesPerSec: number, partitions: number): number | undefined {
  const need = Math.max(
    1,
    ceilSafe(peakBytesPerSec / L.cuIngressAssumption.value),
    ceilSafe(partitions / L.partitionsPerCu.value),
  );
  return need <= L.maxCu.value ? need : undefined;
}
