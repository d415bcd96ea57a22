/**
 * Kafka-on-AKS sizing rules:
 * - partitions: the shared Kafka rule (`kafkaPartitionSizing` in the planner) with 5 MB/s in and 10 MB/s out per partition;
 * - brokers per VM size: write IO `ingress x RF / VM uncached disk throughput`, partition replicas
 *   `partitions x RF / planned per broker`, storage `retained x RF / 85% / 32,767 GiB`, at least one per zone and a
 *   multiple of the zone count (one KafkaNodePool per zone);
 * - three KRaft controllers on their own pool.
 *
 * @packageDocumentation
 */
import { ceilSafe, GIB, HOURS_PER_MONTH } from '@speedlayer/planner';
import { type BrokerVm, CONTROLLER_VM, KAFKA_AKS_LIMITS as L } from './limits.js';
import { KAFKA_AKS_PRICES as P, VM_PRICES } from './prices.js';

/** A broker layout on one VM size. */
export interface BrokerLayout {
  readonly vm: BrokerVm;
  readonly brokers: number;
  readonly byIo: number;
  readonly byPartitions: number;
  readonly byStorage: number;
  /** Brokers per zone (one KafkaNodePool each). */
  readonly perZone: number;
  readonly storageGiBPerBroker: number;
  /** Brokers, their disks and the controllers, USD per month. */
  readonly monthlyUsd: number;
}

/** The smallest persistent volume per broker, GiB. */
export const MIN_BROKER_VOLUME_GIB = 64;

/**
 * Brokers of one VM size for a load: the largest of the IO, partition-replica and storage bounds, rounded up to a
 * multiple of the zone count.
 * @example
 * ```ts
 * import { BROKER_VMS } from '@speedlayer/azure-kafka-aks/plan';
 * const vm = BROKER_VMS[1];
 * if (vm) brokerLayout(vm, { peakBytesPerSec: 40_960_000, partitions: 80, retainedBytes: 12e12, rf: 3 }).brokers;
 * ```
 */
export function brokerLayout(
  vm: BrokerVm,
  i: { peakBytesPerSec: number; partitions: number; retainedBytes: number; rf: number },
): BrokerLayout {
  const zones = L.zones.value;
  const byIo = ceilSafe((i.peakBytesPerSec * i.rf) / vm.diskBytesPerSec);
  const byPartitions = ceilSafe((i.partitions * i.rf) / vm.partitionReplicas);
  const totalGiB = (i.retainedBytes * i.rf) / GIB / L.maxDiskUtilisation.value;
  const byStorage = ceilSafe(totalGiB / L.maxDiskGiB.value);
  const brokers = Math.ceil(Math.max(zones, byIo, byPartitions, byStorage) / zones) * zones;
  const storageGiBPerBroker = Math.max(MIN_BROKER_VOLUME_GIB, Math.ceil(totalGiB / brokers));
  const monthlyUsd =
    brokers * VM_PRICES[vm.size]!.value * HOURS_PER_MONTH +
    brokers * storageGiBPerBroker * P.premiumSsdGbMonth.value +
    L.controllers.value * (VM_PRICES[CONTROLLER_VM]!.value * HOURS_PER_MONTH + P.controllerDiskMonth.value);
  return { vm, brokers, byIo, byPartitions, byStorage, perZone: brokers / zones, storageGiBPerBroker, monthlyUsd };
}
