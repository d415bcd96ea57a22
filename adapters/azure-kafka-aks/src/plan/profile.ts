/**
 * The `azure-kafka-aks` planning profile: Apache Kafka run by the Strimzi operator on its own AKS node pool (KRaft
 * controllers + brokers spread over three zones), one worker pod per partition, scaled by KEDA's Kafka scaler.
 *
 * @packageDocumentation
 */
import { z } from '@speedlayer/core';
import {
  fmt,
  HOURS_PER_MONTH,
  kafkaPartitionSizing,
  PlanBuilder,
  type PlanInput,
  type PlannerTarget,
  partitionedReplicas,
  type TargetPlan,
  targetOptionFields,
  targetOptions,
} from '@speedlayer/planner';
import { TARGET_ID } from '../index.js';
import { kafkaAksDescriptor } from '../target.js';
import { emitKafkaAks } from './emit.js';
import { BROKER_VMS, CONTROLLER_VM, KAFKA_AKS_LIMITS as L } from './limits.js';
import { KAFKA_AKS_PRICES as P, VM_PRICES } from './prices.js';
import { type BrokerLayout, brokerLayout } from './sizing.js';

export { TARGET_ID };

/** Options under `targets.azure-kafka-aks`. */
export const kafkaAksOptionsSchema = z.strictObject({
  /** Broker VM size; `auto` picks the cheapest layout. @default auto */
  brokerVm: z.enum(['auto', ...BROKER_VMS.map((v) => v.size)] as [string, ...string[]]).default('auto'),
  /** Azure region. @default eastus */
  location: targetOptionFields.azureLocation(),
  /** Address space of the VNet. @default 10.0.0.0/16 */
  vnetCidr: targetOptionFields.cidr(),
  /** Kubernetes version of the AKS cluster. @default 1.33 */
  kubernetesVersion: targetOptionFields.kubernetesVersion(),
});

/** Resolved options. */
export type KafkaAksOptions = z.output<typeof kafkaAksOptionsSchema>;

const TITLE = kafkaAksDescriptor.title;

/** Plans a workload on Kafka with Strimzi on AKS. */
export function planKafkaAks(input: PlanInput, opts: KafkaAksOptions): TargetPlan {
  const { workload: w, load } = input;
  const rf = L.replicationFactor.value;
  const b = new PlanBuilder(TARGET_ID, TITLE);
  const partitions = kafkaPartitionSizing(b, input, { ingress: L.perPartitionIngress, egress: L.perPartitionEgress });
  const vms = opts.brokerVm === 'auto' ? BROKER_VMS : BROKER_VMS.filter((v) => v.size === opts.brokerVm);
  const layouts: BrokerLayout[] = vms
    .map((vm) => brokerLayout(vm, { peakBytesPerSec: load.peakBytesPerSec, partitions, retainedBytes: load.retainedBytes, rf }))
    .sort((a, c) => a.monthlyUsd - c.monthlyUsd);
  const best = layouts[0]!;
  const zones = L.zones.value;
  b.step(
    'brokers for write IO',
    `ceil(${fmt(load.peakBytesPerSec / 1e6)} MB/s x RF ${rf} / ${fmt(best.vm.diskBytesPerSec / 1e6)} MB/s uncached disk throughput of ${best.vm.size})`,
    best.byIo,
    best.vm.source,
  );
  b.step(
    `brokers for partition replicas (${best.vm.size})`,
    `ceil(${partitions} partitions x RF ${rf} / ${fmt(best.vm.partitionReplicas)} planned per broker)`,
    best.byPartitions,
    L.partitionReplicasPerBroker,
  );
  b.step('brokers for storage', 'ceil(retained x RF / 85% / 32,767 GiB per disk)', best.byStorage, L.maxDiskGiB);
  b.step(
    `brokers (multiple of ${zones} zones, one node pool per zone)`,
    `ceil(max(${zones}, bounds above) / ${zones}) x ${zones}`,
    best.brokers,
    L.zones,
  );
  b.because(
    `${best.brokers} x ${best.vm.size} brokers (${best.perZone} per zone) with ${fmt(best.storageGiBPerBroker)} GiB Premium SSD each: the cheapest layout whose write IO, partition replicas and storage fit.`,
  );
  for (const l of layouts.slice(1))
    b.because(`${l.brokers} x ${l.vm.size} would cost $${fmt(l.monthlyUsd)}/month for brokers and controllers.`);
  b.because(`${L.controllers.value} KRaft controllers on ${CONTROLLER_VM} in their own KafkaNodePool; no ZooKeeper.`);
  if (w.maxRecordBytes > L.brokerRequestMaxBytes.value) {
    b.block(
      'maxRecordBytes',
      `${fmt(w.maxRecordBytes)} bytes exceeds the largest Kafka request a broker accepts (socket.request.max.bytes, ${fmt(L.brokerRequestMaxBytes.value)} bytes)`,
      L.brokerRequestMaxBytes,
    );
  }
  b.charge(`${best.vm.size} broker VM-hours (${best.brokers} brokers)`, best.brokers * HOURS_PER_MONTH, VM_PRICES[best.vm.size]!);
  b.charge('broker Premium SSD GiB-month', best.brokers * best.storageGiBPerBroker, P.premiumSsdGbMonth);
  b.charge(
    `${CONTROLLER_VM} controller VM-hours (${L.controllers.value} controllers)`,
    L.controllers.value * HOURS_PER_MONTH,
    VM_PRICES[CONTROLLER_VM]!,
  );
  b.charge('controller P4 disks (month)', L.controllers.value, P.controllerDiskMonth);
  const replicas = partitionedReplicas(partitions, load);
  const pods = replicas.max * w.consumerGroups;
  b.charge('AKS Standard tier cluster-hours', HOURS_PER_MONTH, P.aksStandardClusterHour);
  b.charge(`pod vCPU-hours (${pods} pods x ${w.processing.cpu} vCPU)`, pods * w.processing.cpu * HOURS_PER_MONTH, P.podVcpuHour);
  b.charge(
    `pod GB-hours (${pods} pods x ${w.processing.memoryMiB / 1024} GB)`,
    (pods * w.processing.memoryMiB * HOURS_PER_MONTH) / 1024,
    P.podGbHour,
  );
  b.warn(
    'not in the estimate: the AKS system node pool, Key Vault, private endpoints, Log Analytics, inter-zone replication traffic',
  );
  b.warn('you run the brokers: Kafka and Strimzi upgrades, rebalancing (Cruise Control) and disk growth are your operations');
  return b.build({
    tier: `${best.brokers} x ${best.vm.size}`,
    partitions,
    replicas: { min: replicas.min, max: replicas.max },
    replicaRule: `${replicas.rule}; KEDA's Kafka scaler never exceeds the partition count (${L.kedaKafkaCap.source})`,
    capacity: {
      brokerVm: best.vm.size,
      brokers: best.brokers,
      brokersPerZone: best.perZone,
      storageGiBPerBroker: best.storageGiBPerBroker,
      controllers: L.controllers.value,
      replicationFactor: rf,
      partitions,
      retentionHours: w.retentionHours,
      maxMessageBytes: Math.max(1024 * 1024, w.maxRecordBytes + 1024),
      location: opts.location,
      vnetCidr: opts.vnetCidr,
      kubernetesVersion: opts.kubernetesVersion,
    },
    repartitioning: {
      policy: 'grow-only',
      note: `Kafka partitions only grow (raise KafkaTopic spec.partitions); adding partitions changes key -> partition mapping for new records. Size for peak now (${partitions}).`,
      source: L.partitionsGrowOnly.source,
    },
  });
}

/** The `azure-kafka-aks` target. */
export const kafkaAksTarget: PlannerTarget = {
  id: TARGET_ID,
  title: TITLE,
  limits: {
    ...L,
    ...Object.fromEntries(
      BROKER_VMS.map((v) => [
        `diskThroughput:${v.size}`,
        { value: v.diskBytesPerSec, unit: 'bytes/s uncached disk throughput', source: v.source, status: 'official' as const },
      ]),
    ),
  },
  prices: P,
  qualitative: {
    complexity: {
      value: 'high',
      why: 'You run Kafka: brokers, KRaft controllers, storage, upgrades and rebalancing, through the Strimzi operator on AKS.',
    },
    provisioning: {
      value: 'brokers and partitions as Kubernetes resources',
      why: 'KafkaNodePools, KafkaTopics and KafkaUsers are custom resources applied with the rest of the workload (GitOps); brokers can be added, partitions only grow.',
    },
    migration: {
      value: 'easy between Kafka-compatible targets',
      why: 'MirrorMaker 2 (KafkaMirrorMaker2 resource) copies topics and consumer offsets to and from any Kafka cluster.',
    },
    scalability: {
      value: 'high, in broker steps',
      why: 'Add brokers per zone pool and reassign partitions (Cruise Control); bounded by the VM and disk throughput you buy.',
    },
    vendorLockIn: {
      value: 'low',
      why: 'Apache Kafka and the open-source Strimzi operator; only the AKS cluster and disks are Azure-specific.',
    },
    kafkaCompatibility: { value: 'native', why: 'It is Apache Kafka.' },
  },
  plan(input) {
    return planKafkaAks(input, targetOptions(input, TARGET_ID, kafkaAksOptionsSchema));
  },
  emit(plan, input, context) {
    return emitKafkaAks(plan, input, context);
  },
};
