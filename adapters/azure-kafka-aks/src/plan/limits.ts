/**
 * Limits of Kafka on AKS with Strimzi, each with the URL it was read from: Azure VM and managed-disk limits, Kafka
 * broker settings, Strimzi's KRaft layout and the partition planning figures.
 *
 * @packageDocumentation
 */
import { fact, KAFKA_FACTS, MB } from '@speedlayer/planner';

const DSV2 = 'https://learn.microsoft.com/en-us/azure/virtual-machines/dv2-dsv2-series';
const DISKS = 'https://learn.microsoft.com/en-us/azure/virtual-machines/disks-types';

/** A broker VM size: its vCPUs, memory, uncached disk throughput and the partition replicas it is planned to hold. */
export interface BrokerVm {
  /** Azure VM size, e.g. `Standard_DS3_v2`. */
  readonly size: string;
  readonly vcpu: number;
  readonly memoryGiB: number;
  /** Max uncached (premium) disk throughput of the VM, bytes/s. */
  readonly diskBytesPerSec: number;
  /** Partition replicas (leaders + followers) planned per broker (assumption, by memory). */
  readonly partitionReplicas: number;
  /** Source of the VM numbers. */
  readonly source: string;
}

/** Broker VM sizes the planner chooses from (Premium-storage DSv2 series; the priced sizes). */
export const BROKER_VMS: readonly BrokerVm[] = [
  { size: 'Standard_DS2_v2', vcpu: 2, memoryGiB: 7, diskBytesPerSec: 96 * MB, partitionReplicas: 1000, source: DSV2 },
  { size: 'Standard_DS3_v2', vcpu: 4, memoryGiB: 14, diskBytesPerSec: 192 * MB, partitionReplicas: 2000, source: DSV2 },
  { size: 'Standard_DS4_v2', vcpu: 8, memoryGiB: 28, diskBytesPerSec: 384 * MB, partitionReplicas: 4000, source: DSV2 },
];

/** The VM size of the KRaft controller pool. */
export const CONTROLLER_VM = 'Standard_DS2_v2';

/** Limits used by the sizing rule. */
export const KAFKA_AKS_LIMITS = {
  ...KAFKA_FACTS,
  zones: fact(
    3,
    'availability zones (brokers are a multiple of the zone count, one rack per zone)',
    'https://learn.microsoft.com/en-us/azure/aks/availability-zones',
  ),
  controllers: fact(
    3,
    'KRaft controllers (a dedicated KafkaNodePool with the controller role; a quorum of 3 tolerates one failure)',
    'https://strimzi.io/docs/operators/latest/deploying#con-config-node-pools-str',
  ),
  maxDiskGiB: fact(32_767, 'GiB per Premium SSD managed disk (P80)', DISKS),
  maxDiskUtilisation: fact(0.85, 'fraction of a broker volume used before alarms (planning headroom)', DISKS, 'assumption'),
  partitionReplicasPerBroker: fact(
    4000,
    'partition replicas per broker on the largest size (the Apache Kafka guideline; smaller VMs are planned with fewer)',
    'https://www.confluent.io/blog/apache-kafka-supports-200k-partitions-per-cluster/',
    'secondary',
  ),
  replicationFactor: fact(
    3,
    'replicas per partition (min.insync.replicas 2)',
    'https://kafka.apache.org/documentation/#replication',
  ),
} as const;

/** The Strimzi release the emitted Helm release and custom resources are pinned to (CRDs `kafka.strimzi.io/v1`). */
export const STRIMZI_VERSION = '1.2.0';
