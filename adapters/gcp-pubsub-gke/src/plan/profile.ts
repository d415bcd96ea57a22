/**
 * The `gcp-pubsub-gke` planning profile. Pub/Sub has no partitions: the topic and subscriptions scale by themselves,
 * replicas come from processing (see {@link pubsubReplicas}) and KEDA scales them on subscription backlog.
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
  type TargetPlan,
  targetOptionFields,
  targetOptions,
} from '@speedlayer/planner';
import { emitPubSubGke } from './emit.js';
import { PUBSUB_LIMITS as L, LARGE_REGIONS } from './limits.js';
import { PUBSUB_GKE_PRICES as P } from './prices.js';
import { ackDeadlineSeconds, backlogPerReplica, pubsubReplicas } from './sizing.js';

/** Target id. */
export const TARGET_ID = 'gcp-pubsub-gke';

/** Options under `targets.gcp-pubsub-gke`. */
export const pubsubOptionsSchema = z.strictObject({
  /** Google Cloud region (topic storage policy, GKE). @default us-central1 */
  region: z
    .string()
    .regex(/^[a-z]+-[a-z]+\d+$/, 'must be a region like us-central1')
    .default('us-central1'),
  /** Dead-letter after this many delivery attempts (5-100). @default 5 */
  maxDeliveryAttempts: z.number().int().min(5).max(100).default(5),
  /** Subnet range of the GKE nodes (NetworkPolicy and master authorized networks). @default 10.0.0.0/16 */
  vpcCidr: targetOptionFields.cidr(),
  /**
   * Grant the worker and every consuming principal what consumer lag needs on Pub/Sub (`lag()`, the worker's lag
   * metrics and the plan's lag alerts read a snapshot copy of each group's subscription): a custom role on the project
   * with snapshot and subscription create/seek/consume/delete, and `pubsub.topics.attachSubscription` on the
   * workload's topic only. `false` leaves them out: lag then fails with `AuthError`. @default true
   */
  consumerLag: z.boolean().default(true),
});

/** Resolved options. */
export type PubSubOptions = z.output<typeof pubsubOptionsSchema>;

/** Plans a workload on Pub/Sub + GKE. */
export function planPubSubGke(input: PlanInput, opts: PubSubOptions): TargetPlan {
  const { workload: w, load } = input;
  const b = new PlanBuilder(TARGET_ID, 'Google Cloud Pub/Sub + GKE');
  if (w.maxRecordBytes > L.maxMessageBytes.value) {
    b.block(
      'maxRecordBytes',
      `${fmt(w.maxRecordBytes)} bytes exceeds the Pub/Sub maximum message size of 10 MB (${fmt(L.maxMessageBytes.value)} bytes)`,
      L.maxMessageBytes,
    );
  }
  if (w.retentionHours > L.topicRetentionMaxHours.value) {
    b.block(
      'retentionHours',
      `${fmt(w.retentionHours)} h exceeds the Pub/Sub maximum retention of 744 h (31 days)`,
      L.topicRetentionMaxHours,
    );
  }
  const large = (LARGE_REGIONS as readonly string[]).includes(opts.region);
  const quota = large ? L.publishQuotaLargeRegions : L.publishQuotaOtherRegions;
  if (load.peakBytesPerSec > quota.value) {
    b.warn(
      `peak publish ${fmt(load.peakBytesPerSec / 1e6)} MB/s exceeds the default regional publish quota in ${opts.region} (${fmt(quota.value / 1e6)} MB/s): request a quota increase (${quota.source})`,
    );
  }
  if (w.ordering === 'per-key') {
    b.warn(
      `per-key ordering: each ordering key is limited to 1 MB/s of publish and its messages are delivered one at a time, so a hot key bounds throughput (${L.orderingKeyThroughput.source})`,
    );
  }
  const r = pubsubReplicas(load.peakRecordsPerSec, load.sustainedRecordsPerSec, w.processing.msPerRecord);
  b.step(
    'replicas max (processing at peak)',
    `ceil(${fmt(load.peakRecordsPerSec)} records/s x ${w.processing.msPerRecord} ms / 1000)`,
    r.max,
  );
  b.step(
    'replicas min (processing at sustained rate)',
    `ceil(${fmt(load.sustainedRecordsPerSec)} records/s x ${w.processing.msPerRecord} ms / 1000)`,
    r.min,
  );
  const ack = ackDeadlineSeconds(w.processing.msPerRecord);
  b.step('ack deadline (s)', `clamp(2 x 1,000 outstanding x ${w.processing.msPerRecord} ms, 10, 600)`, ack, L.ackDeadlineMax);
  const backlog = backlogPerReplica(w.processing.msPerRecord);
  b.step('KEDA backlog target per replica (messages)', `30 s / ${w.processing.msPerRecord} ms`, backlog);
  b.because('no tier to choose: Pub/Sub has one service level; capacity follows the topic and subscriptions.');
  b.because(
    `one subscription per consumer group (${w.consumerGroups}), each with a dead-letter policy after ${opts.maxDeliveryAttempts} attempts.`,
  );

  const inGib = load.monthlyBytesIn / GIB;
  const outGib = inGib * w.consumerGroups;
  const billable = Math.max(0, inGib + outGib - L.freeGibPerMonth.value);
  b.charge('publish + delivery GiB (first 10 GiB free)', billable, P.throughputGib);
  b.charge('topic retention storage GiB-month', load.retainedBytes / GIB, P.storageGibMonth);
  b.charge('GKE cluster-hours', HOURS_PER_MONTH, P.gkeClusterHour);
  const pods = r.max * w.consumerGroups;
  b.charge(`pod vCPU-hours (${pods} pods x ${w.processing.cpu} vCPU)`, pods * w.processing.cpu * HOURS_PER_MONTH, P.podVcpuHour);
  b.charge(
    `pod GB-hours (${pods} pods x ${w.processing.memoryMiB / 1024} GB)`,
    (pods * w.processing.memoryMiB * HOURS_PER_MONTH) / 1024,
    P.podGbHour,
  );
  if (w.ingress.avgRecordBytes < L.minBilledBytesPerRequest.value) {
    b.warn(
      'each publish/pull request is billed at least 1,000 bytes: batch small records (the estimate assumes batched requests)',
    );
  }
  if (opts.consumerLag) {
    // lag() defaults of the pubsub:// client: lagScanMaxMessages 100,000, lagCacheMs 30 s (one reading per process)
    const worstGibMonth = (100_000 * w.ingress.avgRecordBytes * ((30 * 86_400) / 30)) / GIB;
    b.warn(
      `consumer lag re-delivers each group's backlog to a temporary subscription at every reading (at most one per lagCacheMs, 30 s, per worker process; up to lagScanMaxMessages, 100,000), billed as subscribe throughput: a backlog at that bound costs up to ${fmt(worstGibMonth)} GiB/month per process; not in the estimate (targets.${TARGET_ID}.consumerLag: false turns the grants off)`,
    );
  } else {
    b.warn(
      'consumerLag: false: the worker identities get no snapshot rights, so lag() and the worker lag metrics fail with AuthError; the alert rules leave the lag alerts out',
    );
  }
  b.warn('not in the estimate: Cloud KMS, Cloud Logging, GKE free-tier credit ($74.40/month per billing account)');
  return b.build({
    tier: 'standard',
    partitions: null,
    replicas: r,
    replicaRule:
      'no partitions: max = ceil(peak records/s x msPerRecord / 1000) replicas keep up at peak, min = the same at the sustained rate; KEDA scales on subscription backlog (num_undelivered_messages) between them',
    capacity: {
      subscriptions: w.consumerGroups,
      ackDeadlineSeconds: ack,
      maxDeliveryAttempts: opts.maxDeliveryAttempts,
      messageOrdering: w.ordering === 'per-key',
      retentionSeconds: Math.round(Math.max(600, Math.min(w.retentionHours, L.topicRetentionMaxHours.value) * 3600)),
      kedaBacklogPerReplica: backlog,
      region: opts.region,
      vpcCidr: opts.vpcCidr,
      consumerLagGrants: opts.consumerLag,
    },
    lagMetrics: opts.consumerLag,
    repartitioning: {
      policy: 'none',
      note: 'no partitions: throughput scales automatically; parallelism is bounded by replicas and, with ordering, by distinct ordering keys.',
      source: L.noPartitions.source,
    },
  });
}

/** The `gcp-pubsub-gke` target. */
export const pubsubGkeTarget: PlannerTarget = {
  id: TARGET_ID,
  title: 'Google Cloud Pub/Sub + GKE',
  limits: L,
  prices: P,
  qualitative: {
    complexity: {
      value: 'low-medium',
      why: 'No partitions or capacity units to manage; a GKE cluster with Workload Identity and KEDA is the main moving part.',
    },
    provisioning: {
      value: 'none for the stream',
      why: 'Topics and subscriptions scale automatically; only quotas (regional publish MB/s) may need raising.',
    },
    migration: {
      value: 'hard from/to Kafka',
      why: 'No offsets or partitions: consumers move by timestamp (seek) or snapshot; Kafka tools do not speak Pub/Sub (Pub/Sub Lite, the Kafka-like option, is retired).',
    },
    scalability: {
      value: 'very high',
      why: 'Scales per topic without resharding; per ordering key 1 MB/s; regional publish quota can be raised.',
    },
    vendorLockIn: { value: 'high', why: 'Pub/Sub API, ack semantics, subscriptions and IAM are Google-only.' },
    kafkaCompatibility: {
      value: 'none',
      why: 'No Kafka endpoint; Google points Kafka users to Managed Service for Apache Kafka instead.',
    },
  },
  plan(input) {
    return planPubSubGke(input, targetOptions(input, TARGET_ID, pubsubOptionsSchema));
  },
  emit(plan, input, context) {
    return emitPubSubGke(plan, input, context);
  },
};
