/**
 * The `aws-msk-eks` planning profile: Kafka partitions on Amazon MSK (provisioned brokers or serverless), one worker
 * pod per partition on EKS, scaled by KEDA's Kafka scaler (which caps replicas at the partition count).
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
import { mskEksDescriptor } from '../target.js';
import { emitMskEks } from './emit.js';
import { BROKER_SIZES, MSK_LIMITS as L } from './limits.js';
import { ALL_PRICES, BROKER_PRICES, MSK_EKS_PRICES as P } from './prices.js';
import { type BrokerLayout, brokerLayout, mskPartitions } from './sizing.js';

/** Target id (the descriptor's). */
export const TARGET_ID = mskEksDescriptor.id;

/** Options under `targets.aws-msk-eks`. */
export const mskOptionsSchema = z.strictObject({
  /** `auto` picks the cheaper of provisioned and serverless that can serve the workload. @default auto */
  mode: z.enum(['auto', 'provisioned', 'serverless']).default('auto'),
  /** Broker type; `auto` picks the cheapest layout. @default auto */
  brokerType: z.enum(['auto', ...BROKER_SIZES.map((s) => s.type)] as [string, ...string[]]).default('auto'),
  /** Replication factor. @default 3 */
  replicationFactor: z.number().int().min(2).max(3).default(3),
  /** AWS region. @default us-east-1 */
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region like us-east-1')
    .default('us-east-1'),
  /** VPC CIDR (security groups, NetworkPolicy egress). @default 10.0.0.0/16 */
  vpcCidr: targetOptionFields.cidr(),
  /** Kubernetes version of the EKS cluster. @default 1.33 */
  kubernetesVersion: targetOptionFields.kubernetesVersion(),
});

/** Resolved options. */
export type MskOptions = z.output<typeof mskOptionsSchema>;

const AZS = L.brokerMultipleOfAzs.value;

function computeCost(b: PlanBuilder, input: PlanInput, replicas: number): void {
  const w = input.workload;
  const pods = replicas * w.consumerGroups;
  b.charge('EKS control plane cluster-hours', HOURS_PER_MONTH, P.eksClusterHour);
  b.charge(`pod vCPU-hours (${pods} pods x ${w.processing.cpu} vCPU)`, pods * w.processing.cpu * HOURS_PER_MONTH, P.podVcpuHour);
  b.charge(
    `pod GB-hours (${pods} pods x ${w.processing.memoryMiB / 1024} GB)`,
    (pods * w.processing.memoryMiB * HOURS_PER_MONTH) / 1024,
    P.podGbHour,
  );
}

/**
 * Plans a workload on MSK + EKS.
 */
export function planMskEks(input: PlanInput, opts: MskOptions): TargetPlan {
  const { workload: w, load } = input;
  const title = mskEksDescriptor.title;
  const rf = opts.replicationFactor;
  const parts = mskPartitions({
    peakBytesPerSec: load.peakBytesPerSec,
    peakEgressBytesPerSec: load.peakEgressBytesPerSec,
    processingReplicas: load.processingReplicasPeak,
  });
  const partitions = parts.partitions;

  const sizeSteps = (b: PlanBuilder) => {
    b.step(
      'partitions for ingress',
      `ceil(${fmt(load.peakBytesPerSec / 1e6)} MB/s / 5 MB/s per partition)`,
      parts.ingress,
      L.perPartitionIngress,
    );
    b.step(
      'partitions for egress',
      `ceil(${fmt(load.peakEgressBytesPerSec / 1e6)} MB/s (${w.consumerGroups} groups) / 10 MB/s per partition)`,
      parts.egress,
      L.perPartitionEgress,
    );
    b.step(
      'partitions for processing',
      `ceil(${fmt(load.peakRecordsPerSec)} records/s x ${w.processing.msPerRecord} ms / 1000)`,
      parts.processing,
    );
  };

  // Provisioned candidates.
  const sizes =
    opts.brokerType === 'auto'
      ? BROKER_SIZES.filter((s) => s.type !== 'kafka.t3.small')
      : BROKER_SIZES.filter((s) => s.type === opts.brokerType);
  const layouts: BrokerLayout[] = sizes
    .map((s) =>
      brokerLayout(s, { peakBytesPerSec: load.peakBytesPerSec, partitions, retainedBytes: load.retainedBytes, rf, azs: AZS }),
    )
    .filter((l) => l.brokers <= L.brokersPerClusterKraft.value);
  layouts.sort((a, c) => a.monthlyUsd - c.monthlyUsd);
  const best = layouts[0];

  const serverlessBlockers: string[] = [];
  if (load.peakBytesPerSec > L.serverlessIngress.value)
    serverlessBlockers.push(`peak ingress ${fmt(load.peakBytesPerSec / 1e6)} MB/s > 200 MB/s`);
  if (load.peakEgressBytesPerSec > L.serverlessEgress.value)
    serverlessBlockers.push(`peak egress ${fmt(load.peakEgressBytesPerSec / 1e6)} MB/s > 400 MB/s`);
  if (partitions > L.serverlessPartitions.value) serverlessBlockers.push(`${partitions} partitions > 2,400`);
  if (w.maxRecordBytes > L.serverlessMaxMessageBytes.value)
    serverlessBlockers.push(`maxRecordBytes ${fmt(w.maxRecordBytes)} > 8 MiB`);
  if (w.consumerGroups > L.serverlessConsumerGroups.value) serverlessBlockers.push(`${w.consumerGroups} consumer groups > 500`);

  const serverless = new PlanBuilder(TARGET_ID, title);
  sizeSteps(serverless);
  serverless.charge('MSK Serverless cluster-hours', HOURS_PER_MONTH, P.serverlessClusterHour);
  serverless.charge('MSK Serverless partition-hours', partitions * HOURS_PER_MONTH, P.serverlessPartitionHour);
  serverless.charge('MSK Serverless GiB in', load.monthlyBytesIn / GIB, P.serverlessInGb);
  serverless.charge('MSK Serverless GiB out', (load.monthlyBytesIn * w.consumerGroups) / GIB, P.serverlessOutGb);
  serverless.charge('MSK Serverless storage GiB-month', load.retainedBytes / GIB, P.serverlessStorageGbMonth);

  const provisioned = new PlanBuilder(TARGET_ID, title);
  sizeSteps(provisioned);
  if (best) {
    provisioned.step(
      'brokers for write IO',
      `ceil(${fmt(load.peakBytesPerSec / 2 ** 20)} MiB/s x RF ${rf} / 250 MiB/s per volume)`,
      best.byIo,
      L.volumeThroughput,
    );
    provisioned.step(
      `brokers for partition replicas (${best.size.type})`,
      `ceil(${partitions} partitions x RF ${rf} / ${fmt(best.size.recommendedPartitions)} recommended per broker)`,
      best.byPartitions,
      best.size.source,
    );
    provisioned.step(
      'brokers for storage',
      `ceil(retained x RF / 85% / 16,384 GiB per broker)`,
      best.byStorage,
      L.storagePerBrokerGiB,
    );
    provisioned.step(
      `brokers (multiple of ${AZS} AZs)`,
      `ceil(max(${AZS}, bounds above) / ${AZS}) x ${AZS}`,
      best.brokers,
      L.brokerMultipleOfAzs,
    );
    provisioned.charge(
      `${best.size.type} broker-hours (${best.brokers} brokers)`,
      best.brokers * HOURS_PER_MONTH,
      BROKER_PRICES[best.size.type]!,
    );
    provisioned.charge('broker storage GB-month', best.brokers * best.storageGiBPerBroker, P.brokerStorageGbMonth);
  }

  let mode: 'provisioned' | 'serverless';
  if (opts.mode === 'serverless') mode = 'serverless';
  else if (opts.mode === 'provisioned') mode = 'provisioned';
  else if (!best) mode = 'serverless';
  else if (serverlessBlockers.length > 0) mode = 'provisioned';
  else mode = serverless.total() < provisioned.total() ? 'serverless' : 'provisioned';

  const b = mode === 'serverless' ? serverless : provisioned;
  if (w.maxRecordBytes > L.brokerRequestMaxBytes.value) {
    b.block(
      'maxRecordBytes',
      `${fmt(w.maxRecordBytes)} bytes exceeds the largest Kafka request a broker accepts (socket.request.max.bytes, ${fmt(L.brokerRequestMaxBytes.value)} bytes)`,
      L.brokerRequestMaxBytes,
    );
  }
  if (mode === 'serverless') {
    for (const reason of serverlessBlockers) {
      const field = reason.startsWith('maxRecordBytes')
        ? 'maxRecordBytes'
        : reason.includes('groups')
          ? 'consumerGroups'
          : 'ingress.recordsPerSecond';
      b.block(field, `MSK Serverless cannot serve it: ${reason}`, L.serverlessIngress);
    }
    b.because(
      opts.mode === 'auto'
        ? `serverless: cheaper than the cheapest provisioned layout${best ? ` (${best.brokers} x ${best.size.type}: $${fmt(provisioned.total())}/month)` : ''}.`
        : `serverless, as set in targets.${TARGET_ID}.mode.`,
    );
    b.because('MSK Serverless requires IAM access control, which the emitted IaC uses anyway.');
  } else {
    if (!best) {
      b.block(
        'ingress.recordsPerSecond',
        `no ${opts.brokerType === 'auto' ? '' : `${opts.brokerType} `}layout fits in ${L.brokersPerClusterKraft.value} brokers per cluster`,
        L.brokersPerClusterKraft,
      );
    } else {
      b.because(
        `provisioned ${best.brokers} x ${best.size.type}: the cheapest broker layout that keeps partition replicas per broker, write IO per volume and storage within limits.`,
      );
      if (opts.mode === 'auto') {
        b.because(
          serverlessBlockers.length > 0
            ? `serverless cannot serve it: ${serverlessBlockers.join('; ')}.`
            : `serverless would cost $${fmt(serverless.total())}/month.`,
        );
      }
      if (opts.brokerType === 'auto')
        b.because(
          'kafka.t3.small is never chosen automatically (burstable CPU); name it in targets.aws-msk-eks.brokerType to use it.',
        );
    }
    if (w.maxRecordBytes > L.defaultMaxMessageBytes.value) {
      b.warn(
        `maxRecordBytes ${fmt(w.maxRecordBytes)} > 1 MiB: the topic sets max.message.bytes and brokers replica.fetch.max.bytes accordingly; producers and consumers must raise their fetch/request limits too`,
      );
    }
  }
  const replicas = partitionedReplicas(partitions, load);
  computeCost(b, input, replicas.max);
  b.warn(
    'pod capacity is priced at the Fargate rate (EC2 node prices are not in vendor-facts.md); KMS, CloudWatch and data transfer are not in the estimate',
  );
  return b.build({
    tier: mode === 'serverless' ? 'serverless' : `provisioned (${best?.brokers ?? 0} x ${best?.size.type ?? 'n/a'})`,
    partitions,
    replicas: { min: replicas.min, max: replicas.max },
    replicaRule: `${replicas.rule}; KEDA's Kafka scaler never exceeds the partition count (${L.kedaKafkaCap.source})`,
    capacity: {
      mode,
      ...(mode === 'provisioned' && best
        ? {
            brokerType: best.size.type,
            brokers: best.brokers,
            storageGiBPerBroker: best.storageGiBPerBroker,
            replicationFactor: rf,
          }
        : { replicationFactor: 3 }),
      partitions,
      retentionHours: w.retentionHours,
      maxMessageBytes: Math.max(L.defaultMaxMessageBytes.value, w.maxRecordBytes + 1024),
      region: opts.region,
      vpcCidr: opts.vpcCidr,
      kubernetesVersion: opts.kubernetesVersion,
    },
    repartitioning: {
      policy: 'grow-only',
      note: `Kafka partitions only grow, never shrink; adding partitions changes key -> partition mapping for new records, so per-key order breaks across the change. Size for peak now (${partitions}).`,
      source: L.partitionsGrowOnly.source,
    },
  });
}

/** The `aws-msk-eks` target. */
export const mskEksTarget: PlannerTarget = {
  id: TARGET_ID,
  title: mskEksDescriptor.title,
  limits: {
    ...L,
    ...Object.fromEntries(
      BROKER_SIZES.map((s) => [
        `partitions:${s.type}`,
        {
          value: s.recommendedPartitions,
          unit: 'recommended partition replicas per broker',
          source: s.source,
          status: 'official' as const,
        },
      ]),
    ),
  },
  prices: ALL_PRICES,
  qualitative: {
    complexity: {
      value: 'high',
      why: 'Brokers, storage, Kafka configuration and an EKS cluster with node groups, KEDA and IRSA to run.',
    },
    provisioning: {
      value: 'brokers and partitions up front',
      why: 'Broker count and size, storage and partitions are chosen at creation; brokers can be added, partitions only grow.',
    },
    migration: {
      value: 'easy between Kafka-compatible targets',
      why: 'MirrorMaker 2 copies topics and translates consumer offsets between Kafka clusters, including Event Hubs’ Kafka endpoint.',
    },
    scalability: {
      value: 'high, in broker steps',
      why: 'Up to 60 brokers per cluster (KRaft) with ~1,000-4,000 partition replicas each; serverless up to 200 MB/s in.',
    },
    vendorLockIn: { value: 'low', why: 'Apache Kafka protocol and tools; only IAM auth and the control plane are AWS-specific.' },
    kafkaCompatibility: { value: 'native', why: 'It is Apache Kafka.' },
  },
  plan(input) {
    return planMskEks(input, targetOptions(input, TARGET_ID, mskOptionsSchema));
  },
  emit(plan, input, context) {
    return emitMskEks(plan, input, context);
  },
};
