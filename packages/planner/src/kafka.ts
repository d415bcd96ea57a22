/**
 * The partition rule every Kafka-protocol target shares (self-run, Strimzi, Confluent Cloud): partitions >= processing
 * replicas at peak, >= peak ingress / per-partition ingress and >= peak egress / per-partition egress, each recorded
 * as a sizing step with the source of its planning figure.
 *
 * @packageDocumentation
 */
import { fmt, type PlanBuilder } from './helpers.js';
import type { Sourced } from './sourced.js';
import type { PlanInput } from './target.js';
import { ceilSafe } from './units.js';

/**
 * Records the three partition bounds of a Kafka topic on `b` and returns the partition count (at least 1).
 * @param perPartition - the planning figures, bytes/s of ingress and of egress one partition serves
 */
export function kafkaPartitionSizing(
  b: PlanBuilder,
  input: PlanInput,
  perPartition: { readonly ingress: Sourced<number>; readonly egress: Sourced<number> },
): number {
  const { workload: w, load } = input;
  const ingress = b.step(
    'partitions for ingress',
    `ceil(${fmt(load.peakBytesPerSec / 1e6)} MB/s / ${fmt(perPartition.ingress.value / 1e6)} MB/s per partition)`,
    ceilSafe(load.peakBytesPerSec / perPartition.ingress.value),
    perPartition.ingress,
  );
  const egress = b.step(
    'partitions for egress',
    `ceil(${fmt(load.peakEgressBytesPerSec / 1e6)} MB/s (${w.consumerGroups} groups) / ${fmt(perPartition.egress.value / 1e6)} MB/s per partition)`,
    ceilSafe(load.peakEgressBytesPerSec / perPartition.egress.value),
    perPartition.egress,
  );
  const processing = b.step(
    'partitions for processing',
    `ceil(${fmt(load.peakRecordsPerSec)} records/s x ${w.processing.msPerRecord} ms / 1000)`,
    load.processingReplicasPeak,
  );
  return Math.max(1, ingress, egress, processing);
}
