/**
 * The `azure-eventhubs-aks` planning profile: Event Hubs partitions (tier chosen for limits, customer-managed keys
 * and cost), one worker pod per partition on AKS, scaled by KEDA's Event Hubs scaler.
 *
 * @packageDocumentation
 */
import { z } from '@speedlayer/core';
import {
  fmt,
  GIB,
  HOURS_PER_MONTH,
  PlanBuilder,
  type PlanInput,
  type PlannerTarget,
  partitionedReplicas,
  type TargetPlan,
  targetOptionFields,
  targetOptions,
} from '@speedlayer/planner';
import { emitEventHubsAks } from './emit.js';
import { EH_LIMITS as L, TIERS, type Tier } from './limits.js';
import { EH_AKS_PRICES as P } from './prices.js';
import { dedicatedUnits, ehPartitions, premiumUnits, throughputUnits } from './sizing.js';

/** Target id. */
export const TARGET_ID = 'azure-eventhubs-aks';

/** Options under `targets.azure-eventhubs-aks`. */
export const eventHubsOptionsSchema = z.strictObject({
  /** Tier; `auto` picks the cheapest tier whose limits fit. @default auto */
  tier: z.enum(['auto', 'basic', 'standard', 'premium', 'dedicated']).default('auto'),
  /** Encrypt at rest with a customer-managed key (Premium/Dedicated only). @default true */
  customerManagedKey: z.boolean().default(true),
  /** Azure region. @default eastus */
  location: targetOptionFields.azureLocation(),
  /** Address space of the VNet (NetworkPolicy egress to private endpoints). @default 10.0.0.0/16 */
  vnetCidr: targetOptionFields.cidr(),
  /** Kubernetes version of the AKS cluster. @default 1.33 */
  kubernetesVersion: targetOptionFields.kubernetesVersion(),
});

/** Resolved options. */
export type EventHubsOptions = z.output<typeof eventHubsOptionsSchema>;

interface Candidate {
  tier: Tier;
  b: PlanBuilder;
  partitions: number;
  units: number;
  unitName: string;
}

const TITLE = 'Azure Event Hubs + AKS';

function evaluate(tier: Tier, input: PlanInput, opts: EventHubsOptions): Candidate {
  const { workload: w, load } = input;
  const t = TIERS[tier];
  const b = new PlanBuilder(TARGET_ID, TITLE);
  const cap = tier[0]!.toUpperCase() + tier.slice(1);
  if (w.maxRecordBytes > t.maxEventBytes.value) {
    b.block(
      'maxRecordBytes',
      `${fmt(w.maxRecordBytes)} bytes exceeds the Event Hubs ${cap} maximum event size of ${fmt(t.maxEventBytes.value)} bytes`,
      t.maxEventBytes,
    );
  }
  if (w.retentionHours > t.retentionHours.value) {
    b.block(
      'retentionHours',
      `${fmt(w.retentionHours)} h exceeds the Event Hubs ${cap} maximum retention of ${fmt(t.retentionHours.value)} h (${t.retentionHours.value / 24} days)`,
      t.retentionHours,
    );
  }
  const groupsNeeded = tier === 'basic' ? w.consumerGroups : w.consumerGroups + 1;
  if (groupsNeeded > t.consumerGroupsPerHub.value) {
    b.block(
      'consumerGroups',
      `${w.consumerGroups} groups${tier === 'basic' ? '' : ' (+ $Default)'} exceed the Event Hubs ${cap} limit of ${t.consumerGroupsPerHub.value} consumer groups per event hub`,
      t.consumerGroupsPerHub,
    );
  }
  if (opts.customerManagedKey && !t.customerManagedKey) {
    b.block(
      `targets.${TARGET_ID}.customerManagedKey`,
      `customer-managed keys need Premium or Dedicated (${L.cmkTiers.source}); set customerManagedKey: false to accept Microsoft-managed keys on ${cap}`,
      L.cmkTiers,
    );
  }
  let partitions: number;
  let units: number;
  let unitName: string;
  if (tier === 'basic' || tier === 'standard') {
    const tu = throughputUnits(load);
    b.step('TUs for ingress bytes', `ceil(${fmt(load.peakBytesPerSec / 1e6)} MB/s / 1 MB/s)`, tu.ingressBytes, L.tuIngressBytes);
    b.step(
      'TUs for ingress events',
      `ceil(${fmt(load.peakRecordsPerSec)} events/s / 1,000)`,
      tu.ingressEvents,
      L.tuIngressEvents,
    );
    b.step(
      'TUs for egress bytes',
      `ceil(${fmt(load.peakEgressBytesPerSec / 1e6)} MB/s (${w.consumerGroups} groups) / 2 MB/s)`,
      tu.egressBytes,
      L.tuEgressBytes,
    );
    b.step(
      'TUs for egress events',
      `ceil(${fmt(load.peakEgressRecordsPerSec)} events/s / 4,096)`,
      tu.egressEvents,
      L.tuEgressEvents,
    );
    units = tu.tu;
    unitName = 'throughputUnits';
    if (units > L.maxTu.value) b.block('ingress.recordsPerSecond', `needs ${units} TUs; ${cap} allows at most 40`, L.maxTu);
    partitions = ehPartitions(load.peakBytesPerSec, load.processingReplicasPeak, units);
    b.step(
      'partitions (fixed at creation: sized for peak)',
      `max(TUs ${units}, processing ${load.processingReplicasPeak})`,
      partitions,
      L.partitionThroughput,
    );
    b.charge(`${cap} TU-hours (${units} TU)`, units * HOURS_PER_MONTH, tier === 'basic' ? P.basicTuHour : P.standardTuHour);
    const eventsPerRecord = Math.ceil(w.ingress.avgRecordBytes / L.billableEventBytes.value);
    b.charge('ingress events (millions, 64 KB units)', (load.monthlyRecords * eventsPerRecord) / 1e6, P.ingressMillionEvents);
  } else {
    partitions = ehPartitions(load.peakBytesPerSec, load.processingReplicasPeak);
    b.step(
      'partitions for throughput',
      `ceil(${fmt(load.peakBytesPerSec / 1e6)} MB/s / 1 MB/s per partition)`,
      Math.ceil(load.peakBytesPerSec / L.partitionThroughput.value),
      L.partitionThroughput,
    );
    b.step(
      'partitions for processing',
      `ceil(${fmt(load.peakRecordsPerSec)} records/s x ${w.processing.msPerRecord} ms / 1000)`,
      load.processingReplicasPeak,
    );
    if (tier === 'premium') {
      const pu = premiumUnits(load.peakBytesPerSec, partitions);
      unitName = 'processingUnits';
      if (pu === undefined) {
        b.block('ingress.recordsPerSecond', 'needs more than 16 PUs (assumed 5 MB/s ingress per PU)', L.puIngressAssumption);
        units = 16;
      } else units = pu;
      b.step(
        'PUs (1, 2, 4, 8, 16)',
        `max(ceil(${fmt(load.peakBytesPerSec / 1e6)} MB/s / 5 MB/s assumed), ceil(${partitions} / 200 partitions per PU))`,
        units,
        L.puIngressAssumption,
      );
      b.charge(`Premium PU-hours (${units} PU)`, units * HOURS_PER_MONTH, P.premiumPuHour);
      const extraGb = load.retainedBytes / GIB - units * L.includedStoragePerPuGb.value;
      if (extraGb > 0) b.charge('retention storage beyond 1 TB per PU (GB-month)', extraGb, P.extendedRetentionGbMonth);
      b.warn(
        'Premium throughput per PU is not published; the 5 MB/s per PU planning figure is an assumption: benchmark before production',
      );
    } else {
      const cu = dedicatedUnits(load.peakBytesPerSec, partitions);
      unitName = 'capacityUnits';
      if (cu === undefined) {
        b.block('ingress.recordsPerSecond', 'needs more than 20 CUs (assumed 50 MB/s per CU)', L.maxCu);
        units = 20;
      } else units = cu;
      b.step(
        'CUs',
        `max(ceil(${fmt(load.peakBytesPerSec / 1e6)} MB/s / 50 MB/s assumed), ceil(${partitions} / 2,000))`,
        units,
        L.cuIngressAssumption,
      );
      b.charge(`Dedicated CU-hours (${units} CU)`, units * HOURS_PER_MONTH, P.dedicatedCuHour);
      const extraGb = load.retainedBytes / GIB - units * L.includedStoragePerCuGb.value;
      if (extraGb > 0) b.charge('retention storage beyond 10 TB per CU (GB-month)', extraGb, P.extendedRetentionGbMonth);
      b.warn(
        'Dedicated throughput per CU is not published; the 50 MB/s per CU planning figure is an assumption; billed in 1-hour increments with a 4-hour minimum',
      );
    }
  }
  if (partitions > t.partitionsPerHub.value) {
    b.block(
      tier === 'basic' || tier === 'standard' ? 'processing.msPerRecord' : 'ingress.recordsPerSecond',
      `needs ${partitions} partitions; Event Hubs ${cap} allows at most ${t.partitionsPerHub.value} per event hub`,
      t.partitionsPerHub,
    );
  }
  return { tier, b, partitions, units, unitName };
}

/** Plans a workload on Event Hubs + AKS. */
export function planEventHubsAks(input: PlanInput, opts: EventHubsOptions): TargetPlan {
  const { workload: w, load } = input;
  const tiers: Tier[] = opts.tier === 'auto' ? ['standard', 'premium', 'dedicated'] : [opts.tier];
  const candidates = tiers.map((t) => evaluate(t, input, opts));
  const feasible = candidates.filter((c) => c.b.blockers.length === 0).sort((a, b) => a.b.total() - b.b.total());
  const chosen = feasible[0] ?? candidates[candidates.length - 1]!;
  const b = chosen.b;
  if (opts.tier === 'auto') {
    b.because(`${chosen.tier}: the cheapest tier whose limits fit the workload.`);
    for (const c of candidates) {
      if (c === chosen) continue;
      b.because(
        c.b.blockers.length > 0
          ? `${c.tier} ruled out: ${c.b.blockers.map((x) => `${x.field}: ${x.message}`).join('; ')}.`
          : `${c.tier} would cost $${fmt(c.b.total())}/month.`,
      );
    }
    b.because(
      'basic is never chosen automatically: one consumer group, 1-day retention, no Kafka endpoint, no customer-managed key.',
    );
    if (feasible.length === 0) {
      // Report every tier's blockers when no tier fits.
      for (const c of candidates)
        for (const x of c.b.blockers) if (c !== chosen) b.block(x.field, `${c.tier}: ${x.message}`, x.limit);
    }
  } else {
    b.because(`${chosen.tier}, as set in targets.${TARGET_ID}.tier.`);
  }
  if (!opts.customerManagedKey)
    b.warn('customerManagedKey: false: data at rest uses Microsoft-managed keys, not a customer-managed key');
  const t = TIERS[chosen.tier];
  const replicas = partitionedReplicas(chosen.partitions, load);
  const pods = replicas.max * w.consumerGroups;
  b.charge('AKS Standard tier cluster-hours', HOURS_PER_MONTH, P.aksStandardClusterHour);
  b.charge(`pod vCPU-hours (${pods} pods x ${w.processing.cpu} vCPU)`, pods * w.processing.cpu * HOURS_PER_MONTH, P.podVcpuHour);
  b.charge(
    `pod GB-hours (${pods} pods x ${w.processing.memoryMiB / 1024} GB)`,
    (pods * w.processing.memoryMiB * HOURS_PER_MONTH) / 1024,
    P.podGbHour,
  );
  b.warn('not in the estimate: checkpoint storage account, Key Vault, private endpoints, Log Analytics');
  return b.build({
    tier: chosen.tier,
    partitions: chosen.partitions,
    replicas: { min: replicas.min, max: replicas.max },
    replicaRule: `${replicas.rule}; KEDA's Event Hubs scaler is bounded by maxReplicaCount = partitions (its own partition cap is unconfirmed)`,
    capacity: {
      tier: chosen.tier,
      [chosen.unitName]: chosen.units,
      partitions: chosen.partitions,
      consumerGroups: w.consumerGroups,
      retentionDays: Math.max(1, Math.ceil(w.retentionHours / 24)),
      kafkaEndpoint: t.kafkaEndpoint,
      customerManagedKey: opts.customerManagedKey && t.customerManagedKey,
      location: opts.location,
      vnetCidr: opts.vnetCidr,
      kubernetesVersion: opts.kubernetesVersion,
    },
    repartitioning: t.partitionsCanGrow
      ? {
          policy: 'grow',
          note: `${chosen.tier}: partitions can be added later (up to ${t.partitionsPerHub.value} per hub); new partitions change key -> partition mapping for new events.`,
          source: L.dynamicPartitions.source,
        }
      : {
          policy: 'fixed',
          note: `${chosen.tier}: the partition count is fixed at creation, so it is sized for peak now (${chosen.partitions}); more needs a new event hub.`,
          source: L.dynamicPartitions.source,
        },
  });
}

/** The `azure-eventhubs-aks` target. */
export const eventHubsAksTarget: PlannerTarget = {
  id: TARGET_ID,
  title: TITLE,
  limits: {
    ...L,
    ...Object.fromEntries(
      Object.entries(TIERS).flatMap(([tier, t]) => [
        [`${tier}.partitionsPerHub`, t.partitionsPerHub],
        [`${tier}.consumerGroupsPerHub`, t.consumerGroupsPerHub],
        [`${tier}.retentionHours`, t.retentionHours],
        [`${tier}.maxEventBytes`, t.maxEventBytes],
      ]),
    ),
  },
  prices: P,
  qualitative: {
    complexity: {
      value: 'medium',
      why: 'No brokers to run, but tiers, TU/PU capacity, a Blob checkpoint store and an AKS cluster with workload identity to set up.',
    },
    provisioning: {
      value: 'tier and partitions up front',
      why: 'Partitions are fixed at creation below Premium; capacity is bought in TUs (Standard), PUs (Premium) or CUs (Dedicated).',
    },
    migration: {
      value: 'medium',
      why: 'The Kafka endpoint (Standard and up) lets MirrorMaker 2 and Kafka clients move data in or out; AMQP clients and blob checkpoints are Azure-specific.',
    },
    scalability: {
      value: 'medium-high',
      why: '32 partitions on Basic/Standard, 100 per hub on Premium, 1,024 on Dedicated; TUs cap at 40 per namespace.',
    },
    vendorLockIn: {
      value: 'medium',
      why: 'AMQP SDK, blob checkpoint format and Azure RBAC are Azure-only; the Kafka endpoint keeps the wire protocol portable.',
    },
    kafkaCompatibility: {
      value: 'Kafka endpoint (Standard+)',
      why: 'Kafka clients work against the Kafka endpoint (not on Basic); some Kafka features (e.g. compaction on Standard, transactions) differ.',
    },
  },
  plan(input) {
    return planEventHubsAks(input, targetOptions(input, TARGET_ID, eventHubsOptionsSchema));
  },
  emit(plan, input, context) {
    return emitEventHubsAks(plan, input, context);
  },
};
