/**
 * MSK sizing rules (vendor-facts.md §7):
 * - partitions >= processing replicas at peak (one consumer per partition, serial per partition), >= peak ingress / 5 MB/s
 *   and >= peak egress / 10 MB/s per partition (MSK's published per-partition figures);
 * - provisioned: `partition_replicas_per_broker = partitions x RF / brokers <= recommended(size)`, brokers a multiple
 *   of the AZ count, per-broker write IO `ingress x RF / brokers <= 250 MiB/s` (default volume), storage per broker
 *   <= 16,384 GiB;
 * - serverless: <= 200 MB/s in, <= 400 MB/s out, <= 2,400 partitions.
 *
 * @packageDocumentation
 */
import { ceilSafe, GIB, HOURS_PER_MONTH } from '@speedlayer/planner';
import { type BrokerSize, MSK_LIMITS as L } from './limits.js';
import { BROKER_PRICES, MSK_EKS_PRICES as P } from './prices.js';

/** Partitions for a load. */
export function mskPartitions(i: { peakBytesPerSec: number; peakEgressBytesPerSec: number; processingReplicas: number }): {
  partitions: number;
  ingress: number;
  egress: number;
  processing: number;
} {
  const ingress = ceilSafe(i.peakBytesPerSec / L.perPartitionIngress.value);
  const egress = ceilSafe(i.peakEgressBytesPerSec / L.perPartitionEgress.value);
  const processing = i.processingReplicas;
  return { partitions: Math.max(1, ingress, egress, processing), ingress, egress, processing };
}

/** A provisioned cluster layout. */
export interface BrokerLayout {
  readonly size: BrokerSize;
  readonly brokers: number;
  readonly byIo: number;
  readonly byPartitions: number;
  readonly byStorage: number;
  readonly storageGiBPerBroker: number;
  readonly monthlyUsd: number;
}

/**
 * Brokers of one size for a load: the largest of the IO, partition-replica and storage bounds, rounded up to a
 * multiple of the AZ count (at least one broker per AZ).
 * @example
 * ```ts
 * import { BROKER_SIZES } from '@speedlayer/aws-msk-eks/plan';
 * const [smallest] = BROKER_SIZES;
 * if (smallest) brokerLayout(smallest, { peakBytesPerSec: 40_960_000, partitions: 80, retainedBytes: 12e12, rf: 3, azs: 3 }).brokers; // 9
 * ```
 */
export function brokerLayout(
  size: BrokerSize,
  i: { peakBytesPerSec: number; partitions: number; retainedBytes: number; rf: number; azs: number },
): BrokerLayout {
  const byIo = ceilSafe((i.peakBytesPerSec * i.rf) / L.volumeThroughput.value);
  const byPartitions = ceilSafe((i.partitions * i.rf) / size.recommendedPartitions);
  const totalGiB = (i.retainedBytes * i.rf) / GIB / L.maxDiskUtilisation.value;
  const byStorage = ceilSafe(totalGiB / L.storagePerBrokerGiB.value);
  const raw = Math.max(i.azs, byIo, byPartitions, byStorage);
  const brokers = Math.ceil(raw / i.azs) * i.azs;
  const storageGiBPerBroker = Math.max(1, Math.ceil(totalGiB / brokers));
  const brokerPrice = BROKER_PRICES[size.type]!;
  const monthlyUsd = brokers * brokerPrice.value * HOURS_PER_MONTH + brokers * storageGiBPerBroker * P.brokerStorageGbMonth.value;
  return { size, brokers, byIo, byPartitions, byStorage, storageGiBPerBroker, monthlyUsd };
}
