/**
 * The Confluent Cloud planning profiles: `azure-confluent-aks` and `gcp-confluent-gke`. The topic lives in a Confluent
 * Cloud Kafka cluster whose type (Standard, Enterprise or Dedicated; Basic only when named) is the cheapest one whose
 * limits fit; the workers run on AKS or GKE, one pod per partition, scaled by KEDA's Kafka scaler.
 *
 * @packageDocumentation
 */
import { z } from '@speedlayer/core';
import {
  fmt,
  GIB,
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
import { azureConfluentAksDescriptor, gcpConfluentGkeDescriptor } from '../target.js';
import { emitConfluent } from './emit.js';
import { CLUSTER_TYPES, type ClusterType, CONFLUENT_LIMITS as L } from './limits.js';
import { COMPUTE_PRICES as C, CLUSTER_PRICES } from './prices.js';
import { capacityUnits } from './sizing.js';

/** Where the workers run. */
export type ConfluentCompute = 'aks' | 'gke';

/** Options under `targets.azure-confluent-aks` / `targets.gcp-confluent-gke`. */
export const confluentOptionsSchema = z.strictObject({
  /** Cluster type; `auto` picks the cheapest of Standard, Enterprise and Dedicated whose limits fit. @default auto */
  clusterType: z.enum(['auto', 'basic', 'standard', 'enterprise', 'dedicated']).default('auto'),
  /** Confluent Cloud region (the cloud's region name, e.g. eastus or us-east1). */
  region: z
    .string()
    .regex(/^[a-z0-9-]+$/, 'must be a region name like eastus or us-east1')
    .optional(),
  /** Address space of the VNet / VPC. @default 10.0.0.0/16 */
  vnetCidr: targetOptionFields.cidr(),
  /** Kubernetes version of the AKS cluster (GKE follows its release channel). @default 1.33 */
  kubernetesVersion: targetOptionFields.kubernetesVersion(),
});

/** Resolved options. */
export type ConfluentOptions = z.output<typeof confluentOptionsSchema>;

const DESCRIPTORS = { aks: azureConfluentAksDescriptor, gke: gcpConfluentGkeDescriptor } as const;
const TITLES: Record<ConfluentCompute, string> = { aks: DESCRIPTORS.aks.title, gke: DESCRIPTORS.gke.title };
const IDS: Record<ConfluentCompute, string> = { aks: DESCRIPTORS.aks.id, gke: DESCRIPTORS.gke.id };
const DEFAULT_REGION: Record<ConfluentCompute, string> = { aks: 'eastus', gke: 'us-east1' };

function evaluate(
  type: ClusterType,
  compute: ConfluentCompute,
  input: PlanInput,
): { b: PlanBuilder; units: number; partitions: number } {
  const { workload: w, load } = input;
  const t = CLUSTER_TYPES[type];
  const p = CLUSTER_PRICES[type];
  const b = new PlanBuilder(IDS[compute], TITLES[compute]);
  const cap = type[0]!.toUpperCase() + type.slice(1);
  const partitions = kafkaPartitionSizing(b, input, { ingress: L.perPartitionIngress, egress: L.perPartitionEgress });
  const u = capacityUnits(type, {
    peakBytesPerSec: load.peakBytesPerSec,
    peakEgressBytesPerSec: load.peakEgressBytesPerSec,
    partitions,
  });
  const unit = t.elastic ? 'eCKUs' : 'CKUs';
  b.step(
    `${unit} for ingress (${type})`,
    `ceil(${fmt(load.peakBytesPerSec / 1e6)} MB/s / ${fmt(t.ingressPerUnit.value / 1e6)} MB/s)`,
    u.byIngress,
    t.ingressPerUnit,
  );
  b.step(
    `${unit} for egress (${type})`,
    `ceil(${fmt(load.peakEgressBytesPerSec / 1e6)} MB/s / ${fmt(t.egressPerUnit.value / 1e6)} MB/s)`,
    u.byEgress,
    t.egressPerUnit,
  );
  b.step(
    `${unit} for partitions (${type})`,
    `ceil(${partitions} / ${fmt(t.partitionsPerUnit.value)})`,
    u.byPartitions,
    t.partitionsPerUnit,
  );
  b.step(`${unit} (${type})`, `max(${type === 'dedicated' ? '2 (multi-zone), ' : '1, '}bounds above)`, u.units, t.maxUnits);
  if (u.units > t.maxUnits.value) {
    b.block('ingress.recordsPerSecond', `needs ${u.units} ${unit}; ${cap} allows at most ${t.maxUnits.value}`, t.maxUnits);
  }
  if (w.maxRecordBytes > t.maxMessageBytes.value) {
    b.block(
      'maxRecordBytes',
      `${fmt(w.maxRecordBytes)} bytes exceeds the Confluent Cloud ${cap} maximum message size of ${fmt(t.maxMessageBytes.value)} bytes`,
      t.maxMessageBytes,
    );
  }
  b.charge(`${cap} ${unit.slice(0, -1)}-hours (${u.units})`, u.units * HOURS_PER_MONTH, p.unitHour);
  b.charge('GB in', load.monthlyBytesIn / GIB, p.ingressGb);
  b.charge(`GB out (${w.consumerGroups} groups)`, (load.monthlyBytesIn * w.consumerGroups) / GIB, p.egressGb);
  b.charge('GB-month stored (pre-replication)', load.retainedBytes / GIB, p.storageGbMonth);
  return { b, units: u.units, partitions };
}

/** Plans a workload on Confluent Cloud with workers on AKS or GKE. */
export function planConfluent(compute: ConfluentCompute, input: PlanInput, opts: ConfluentOptions): TargetPlan {
  const { workload: w, load } = input;
  const types: ClusterType[] = opts.clusterType === 'auto' ? ['standard', 'enterprise', 'dedicated'] : [opts.clusterType];
  const candidates = types.map((t) => ({ type: t, ...evaluate(t, compute, input) }));
  const feasible = candidates.filter((c) => c.b.blockers.length === 0).sort((a, b) => a.b.total() - b.b.total());
  const chosen = feasible[0] ?? candidates[candidates.length - 1]!;
  const b = chosen.b;
  const t = CLUSTER_TYPES[chosen.type];
  if (opts.clusterType === 'auto') {
    b.because(`${chosen.type}: the cheapest cluster type whose limits fit the workload.`);
    for (const c of candidates) {
      if (c === chosen) continue;
      b.because(
        c.b.blockers.length > 0
          ? `${c.type} ruled out: ${c.b.blockers.map((x) => `${x.field}: ${x.message}`).join('; ')}.`
          : `${c.type} would cost $${fmt(c.b.total())}/month.`,
      );
    }
    b.because('basic is never chosen automatically: single zone, 99.5% SLA, meant for development.');
  } else {
    b.because(`${chosen.type}, as set in targets.${IDS[compute]}.clusterType.`);
  }
  if (!t.privateNetworking) {
    b.warn(
      `${chosen.type} clusters have public endpoints only (TLS 1.2 and API keys); Enterprise or Dedicated add Private Link / Private Service Connect, which this plan does not emit`,
    );
  } else {
    b.warn(
      'private networking (Private Link / Private Service Connect) is available on this cluster type but not emitted: the plan uses the public endpoint with TLS and API keys',
    );
  }
  const replicas = partitionedReplicas(chosen.partitions, load);
  const pods = replicas.max * w.consumerGroups;
  b.charge(
    compute === 'aks' ? 'AKS Standard tier cluster-hours' : 'GKE cluster management hours',
    HOURS_PER_MONTH,
    compute === 'aks' ? C.aksStandardClusterHour : C.gkeClusterHour,
  );
  b.charge(`pod vCPU-hours (${pods} pods x ${w.processing.cpu} vCPU)`, pods * w.processing.cpu * HOURS_PER_MONTH, C.podVcpuHour);
  b.charge(
    `pod GB-hours (${pods} pods x ${w.processing.memoryMiB / 1024} GB)`,
    (pods * w.processing.memoryMiB * HOURS_PER_MONTH) / 1024,
    C.podGbHour,
  );
  b.warn('not in the estimate: partitions beyond the included ones, Schema Registry, cluster linking, networking between clouds');
  return b.build({
    tier: `${chosen.type} (${chosen.units} ${t.elastic ? 'eCKU' : 'CKU'})`,
    partitions: chosen.partitions,
    replicas: { min: replicas.min, max: replicas.max },
    replicaRule: `${replicas.rule}; KEDA's Kafka scaler never exceeds the partition count (${L.kedaKafkaCap.source})`,
    capacity: {
      clusterType: chosen.type,
      [t.elastic ? 'eckus' : 'ckus']: chosen.units,
      partitions: chosen.partitions,
      retentionHours: w.retentionHours,
      maxMessageBytes: Math.max(1024 * 1024, w.maxRecordBytes + 1024),
      cloud: compute === 'aks' ? 'AZURE' : 'GCP',
      region: opts.region ?? DEFAULT_REGION[compute],
      vnetCidr: opts.vnetCidr,
      kubernetesVersion: opts.kubernetesVersion,
    },
    repartitioning: {
      policy: 'grow-only',
      note: `Kafka partitions only grow (raise partitions_count); adding partitions changes key -> partition mapping for new records. Size for peak now (${chosen.partitions}).`,
      source: L.partitionsGrowOnly.source,
    },
  });
}

function confluentTarget(compute: ConfluentCompute): PlannerTarget {
  const id = IDS[compute];
  return {
    id,
    title: TITLES[compute],
    limits: {
      ...L,
      ...Object.fromEntries(
        Object.entries(CLUSTER_TYPES).flatMap(([type, t]) => [
          [`${type}.maxUnits`, t.maxUnits],
          [`${type}.ingressPerUnit`, t.ingressPerUnit],
          [`${type}.egressPerUnit`, t.egressPerUnit],
          [`${type}.partitionsPerUnit`, t.partitionsPerUnit],
          [`${type}.maxMessageBytes`, t.maxMessageBytes],
        ]),
      ),
    },
    prices: {
      ...Object.fromEntries(
        Object.entries(CLUSTER_PRICES).flatMap(([type, p]) => Object.entries(p).map(([k, v]) => [`${type}.${k}`, v])),
      ),
      ...C,
    },
    qualitative: {
      complexity: {
        value: 'low',
        why: 'No brokers to run: Confluent operates Kafka; you manage service accounts, API keys, ACLs and the worker cluster.',
      },
      provisioning: {
        value: 'elastic (eCKU) or CKUs',
        why: 'Standard and Enterprise scale eCKUs with load; Dedicated is provisioned in CKUs; topics, keys and ACLs are Terraform resources.',
      },
      migration: {
        value: 'easy between Kafka-compatible targets',
        why: 'Cluster Linking and MirrorMaker 2 copy topics and consumer offsets to and from any Kafka cluster.',
      },
      scalability: {
        value: 'high',
        why: 'Elastic types grow with load up to their eCKU limit; Dedicated scales by adding CKUs.',
      },
      vendorLockIn: {
        value: 'low-medium',
        why: 'Apache Kafka protocol and clients; service accounts, API keys and RBAC are Confluent-specific, on any of the three clouds.',
      },
      kafkaCompatibility: {
        value: 'native',
        why: 'Kafka protocol (Confluent’s Kora engine); some broker configs are not settable.',
      },
    },
    plan(input) {
      return planConfluent(compute, input, targetOptions(input, id, confluentOptionsSchema));
    },
    emit(plan, input, context) {
      return emitConfluent(compute, plan, input, context);
    },
  };
}

/** The `azure-confluent-aks` target. */
export const azureConfluentAksTarget: PlannerTarget = confluentTarget('aks');

/** The `gcp-confluent-gke` target. */
export const gcpConfluentGkeTarget: PlannerTarget = confluentTarget('gke');
