/**
 * The `aws-kinesis-ecs` planning profile: Kinesis Data Streams sized in shards (provisioned or on-demand), one ECS
 * Fargate task per shard per consumer group, KCL lease tables in DynamoDB.
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
  SECONDS_PER_MONTH,
  type TargetPlan,
  targetOptionFields,
  targetOptions,
} from '@speedlayer/planner';
import { emitKinesisEcs } from './emit.js';
import { fargateSize, KINESIS_LIMITS as L, LARGE_REGIONS } from './limits.js';
import { KINESIS_ECS_PRICES as P } from './prices.js';
import { onDemandShardEstimate, provisionedShards, putPayloadUnits, reshardCalls } from './sizing.js';

/** Target id. */
export const TARGET_ID = 'aws-kinesis-ecs';

/** Options under `targets.aws-kinesis-ecs` in a workload file. */
export const kinesisOptionsSchema = z.strictObject({
  /** Capacity mode. `auto` picks the cheaper mode that can serve the workload. @default auto */
  mode: z.enum(['auto', 'provisioned', 'on-demand']).default('auto'),
  /** Consumer read mode. `auto` uses enhanced fan-out when shared reads would need more shards or exceed 5 GetRecords/s. @default auto */
  fanOut: z.enum(['auto', 'shared', 'efo']).default('auto'),
  /** AWS region. @default us-east-1 */
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region like us-east-1')
    .default('us-east-1'),
  /** CIDR of the VPC the tasks run in (security-group egress to VPC endpoints). @default 10.0.0.0/16 */
  vpcCidr: targetOptionFields.cidr(),
});

/** Resolved options. */
export type KinesisOptions = z.output<typeof kinesisOptionsSchema>;

interface ModeCost {
  mode: 'provisioned' | 'on-demand';
  shards: number;
  efo: boolean;
  builder: PlanBuilder;
  feasible: boolean;
  reason?: string;
}

function costProvisioned(b: PlanBuilder, input: PlanInput, shards: number, efo: boolean): void {
  const { workload: w, load } = input;
  b.charge('shard-hours', shards * HOURS_PER_MONTH, P.shardHour);
  b.charge('PUT payload units', load.monthlyRecords * putPayloadUnits(w.ingress.avgRecordBytes), P.putPayloadUnit);
  if (w.retentionHours > L.minRetentionHours.value) {
    b.charge('extended retention shard-hours (24 h - 7 d)', shards * HOURS_PER_MONTH, P.extendedRetentionShardHour);
  }
  if (w.retentionHours > L.extendedRetentionHours.value) {
    const gb = (load.sustainedBytesPerSec * (w.retentionHours - L.extendedRetentionHours.value) * 3600) / GIB;
    b.charge('long-term retention GB-month (beyond 7 d)', gb, P.longTermRetentionGbMonth);
  }
  if (efo) {
    b.charge('EFO consumer-shard-hours', w.consumerGroups * shards * HOURS_PER_MONTH, P.efoConsumerShardHour);
    b.charge('EFO GB retrieved', (load.monthlyBytesIn * w.consumerGroups) / GIB, P.efoRetrievalGb);
  }
}

function costOnDemand(b: PlanBuilder, input: PlanInput, efo: boolean): void {
  const { workload: w, load } = input;
  const rounded = Math.ceil(w.ingress.avgRecordBytes / 1024) * 1024;
  const ingestGb = (load.sustainedRecordsPerSec * rounded * SECONDS_PER_MONTH) / GIB;
  b.charge('on-demand stream-hours', HOURS_PER_MONTH, P.onDemandStreamHour);
  b.charge('on-demand GB ingested (records rounded up to 1 KB)', ingestGb, P.onDemandIngestGb);
  b.charge(
    efo ? 'on-demand EFO GB retrieved' : 'on-demand GB retrieved',
    (load.monthlyBytesIn * w.consumerGroups) / GIB,
    efo ? P.onDemandEfoRetrievalGb : P.onDemandRetrievalGb,
  );
  if (w.retentionHours > L.minRetentionHours.value) {
    const hours = Math.min(w.retentionHours, L.extendedRetentionHours.value) - L.minRetentionHours.value;
    b.charge(
      'on-demand extended retention GB-month (24 h - 7 d)',
      (load.sustainedBytesPerSec * hours * 3600) / GIB,
      P.onDemandExtendedRetentionGbMonth,
    );
  }
  if (w.retentionHours > L.extendedRetentionHours.value) {
    const gb = (load.sustainedBytesPerSec * (w.retentionHours - L.extendedRetentionHours.value) * 3600) / GIB;
    b.charge('long-term retention GB-month (beyond 7 d)', gb, P.longTermRetentionGbMonth);
  }
}

function costCompute(b: PlanBuilder, input: PlanInput, replicas: number): { cpu: number; memoryMiB: number } {
  const size = fargateSize(input.workload.processing.cpu, input.workload.processing.memoryMiB);
  const tasks = replicas * input.workload.consumerGroups;
  b.charge(`Fargate vCPU-hours (${tasks} tasks x ${size.cpu} vCPU)`, tasks * size.cpu * HOURS_PER_MONTH, P.fargateVcpuHour);
  b.charge(
    `Fargate GB-hours (${tasks} tasks x ${size.memoryMiB / 1024} GB)`,
    (tasks * size.memoryMiB * HOURS_PER_MONTH) / 1024,
    P.fargateGbHour,
  );
  return size;
}

/**
 * Plans a workload on Kinesis + ECS Fargate.
 * @throws `WorkloadValidationError` when `targets.aws-kinesis-ecs` is invalid.
 */
export function planKinesisEcs(input: PlanInput, opts: KinesisOptions): TargetPlan {
  const { workload: w, load } = input;
  const title = 'Amazon Kinesis Data Streams + ECS Fargate';
  const common = new PlanBuilder(TARGET_ID, title);

  // Record size and retention limits.
  if (w.maxRecordBytes > L.maxRecordBytesRaised.value) {
    common.block(
      'maxRecordBytes',
      `${fmt(w.maxRecordBytes)} bytes exceeds the Kinesis maximum record size of 10 MiB (${fmt(L.maxRecordBytesRaised.value)} bytes)`,
      L.maxRecordBytesRaised,
    );
  } else if (w.maxRecordBytes > L.maxRecordBytesDefault.value) {
    common.warn(
      `maxRecordBytes ${fmt(w.maxRecordBytes)} > 1 MiB: raise the stream's maximum record size with update-max-record-size (up to 10 MiB); per-shard 1 MB/s still applies and AWS suggests keeping large records under 2% of traffic (${L.maxRecordBytesRaised.source})`,
    );
  }
  if (w.retentionHours > L.maxRetentionHours.value) {
    common.block(
      'retentionHours',
      `${fmt(w.retentionHours)} h exceeds the Kinesis maximum retention of 8,760 h (365 days)`,
      L.maxRetentionHours,
    );
  }
  const retentionHours = Math.max(L.minRetentionHours.value, Math.ceil(w.retentionHours));
  if (w.retentionHours < L.minRetentionHours.value) {
    common.warn(
      `retentionHours ${w.retentionHours} is below the Kinesis minimum; the stream keeps 24 h (${L.minRetentionHours.source})`,
    );
  }

  // Fan-out.
  let efo: boolean;
  const groups = w.consumerGroups;
  if (opts.fanOut === 'efo' || (opts.fanOut === 'auto' && groups > L.getRecordsTpsPerShard.value)) {
    efo = true;
  } else if (opts.fanOut === 'shared') {
    efo = false;
  } else {
    efo = false; // decided below by cost
  }
  if (efo && groups > L.efoConsumersPerStream.value) {
    if (opts.fanOut === 'efo') {
      common.block(
        'consumerGroups',
        `${groups} groups exceed the 20 enhanced fan-out consumers per stream`,
        L.efoConsumersPerStream,
      );
    }
    efo = false;
  }
  if (!efo && groups > L.getRecordsTpsPerShard.value) {
    common.warn(
      `${groups} polling consumer groups share 5 GetRecords calls/s per shard: each group polls a shard less than once a second (${L.getRecordsTpsPerShard.source})`,
    );
  }

  const evaluate = (mode: 'provisioned' | 'on-demand', useEfo: boolean): ModeCost => {
    const b = new PlanBuilder(TARGET_ID, title);
    const sizing = provisionedShards({
      peakBytesPerSec: load.peakBytesPerSec,
      peakRecordsPerSec: load.peakRecordsPerSec,
      sharedConsumers: useEfo ? 0 : groups,
      processingReplicas: load.processingReplicasPeak,
    });
    if (mode === 'provisioned') {
      for (const s of sizing.steps) b.step(s.name, s.formula, s.value, s.source);
      costProvisioned(b, input, sizing.shards, useEfo);
      return { mode, shards: sizing.shards, efo: useEfo, builder: b, feasible: true };
    }
    const est = onDemandShardEstimate(load.peakBytesPerSec, load.peakRecordsPerSec);
    b.step(
      'on-demand shards (AWS-managed estimate)',
      `max(4 initial, ceil(${fmt(load.peakBytesPerSec / 1000)} KB/s / 500 KB/s split point), ceil(${fmt(load.peakRecordsPerSec)} records/s / 1,000))`,
      est,
      L.onDemandSplitBytesPerSec,
    );
    costOnDemand(b, input, useEfo);
    if (load.processingReplicasPeak > est) {
      return {
        mode,
        shards: est,
        efo: useEfo,
        builder: b,
        feasible: false,
        reason: `on-demand would keep about ${est} shards, fewer than the ${load.processingReplicasPeak} workers processing needs at peak (one KCL worker per shard)`,
      };
    }
    if (!useEfo && (load.peakBytesPerSec * groups) / est > L.shardSharedReadBytesPerSec.value) {
      return {
        mode,
        shards: est,
        efo: useEfo,
        builder: b,
        feasible: false,
        reason: 'shared reads would exceed 2 MiB/s per shard at the estimated on-demand shard count',
      };
    }
    return { mode, shards: est, efo: useEfo, builder: b, feasible: true };
  };

  const modes: ('provisioned' | 'on-demand')[] = opts.mode === 'auto' ? ['provisioned', 'on-demand'] : [opts.mode];
  const fanOuts: boolean[] =
    opts.fanOut === 'auto' && !efo && groups <= L.efoConsumersPerStream.value && groups > 1 ? [false, true] : [efo];
  const candidates = modes.flatMap((m) => fanOuts.map((f) => evaluate(m, f)));
  const viable = candidates.filter((c) => c.feasible);
  viable.sort((a, b) => a.builder.total() - b.builder.total());
  const chosen = viable[0] ?? candidates[0]!;
  const b = chosen.builder;
  for (const x of common.blockers) b.block(x.field, x.message, x.limit);
  for (const x of common.warnings) b.warn(x);
  if (!chosen.feasible && chosen.reason) b.block(`targets.${TARGET_ID}.mode`, chosen.reason);

  // Explain the choice.
  const others = candidates
    .filter((c) => c !== chosen)
    .map((c) => `${c.mode}${c.efo ? ' + EFO' : ''}: ${c.feasible ? `$${fmt(c.builder.total())}/month` : c.reason}`);
  b.because(
    opts.mode === 'auto'
      ? `${chosen.mode} capacity: the cheaper mode that serves the workload${others.length > 0 ? ` (alternatives: ${others.join('; ')})` : ''}.`
      : `${chosen.mode} capacity, as set in targets.${TARGET_ID}.mode.`,
  );
  b.because(
    chosen.efo
      ? `enhanced fan-out: each of the ${groups} consumer groups reads 2 MiB/s per shard on its own instead of sharing 2 MiB/s and 5 GetRecords/s.`
      : `shared (polling) reads: ${groups} group(s) share 2 MiB/s and 5 GetRecords/s per shard.`,
  );

  const shards = chosen.shards;
  if (shards > L.maxShardsPerStream.value) {
    b.block('ingress.recordsPerSecond', `needs ${fmt(shards)} shards; a stream holds at most 10,000`, L.maxShardsPerStream);
  }
  const large = (LARGE_REGIONS as readonly string[]).includes(opts.region);
  const quota = large ? L.defaultShardQuotaLargeRegions : L.defaultShardQuotaSmallRegions;
  if (chosen.mode === 'provisioned' && shards > quota.value) {
    b.warn(
      `${fmt(shards)} shards exceed the default account quota in ${opts.region} (${fmt(quota.value)}): request an increase (${quota.source})`,
    );
  }
  if (chosen.mode === 'on-demand') {
    if (w.ingress.peakFactor > L.onDemandBurst.value) {
      b.warn(
        `on-demand absorbs up to 2x the previous 30-day peak; a first burst of x${w.ingress.peakFactor} within 15 min can throttle (${L.onDemandBurst.source})`,
      );
    }
    if (!large && load.peakBytesPerSec > L.onDemandMaxWriteSmallRegions.value) {
      b.warn(
        `on-demand write is capped at 200 MB/s in ${opts.region} without a quota increase (${L.onDemandMaxWriteSmallRegions.source})`,
      );
    }
  }
  const replicas = partitionedReplicas(shards, load);
  if (replicas.max > (L.fargateTasksPerService.value as number)) {
    b.warn(
      `${replicas.max} tasks per service exceeds the ECS tasks-per-service quota (${L.fargateTasksPerService.source}, unconfirmed)`,
    );
  }
  const size = costCompute(b, input, replicas.max);
  b.warn(
    'not in the estimate: DynamoDB lease-table requests, KMS key and requests, CloudWatch, VPC endpoints (no sourced price in vendor-facts.md)',
  );

  const doubling = shards * 2 <= L.maxShardsPerStream.value ? reshardCalls(shards, shards * 2) : 0;
  return b.build({
    tier: chosen.efo ? `${chosen.mode} + enhanced fan-out` : chosen.mode,
    partitions: shards,
    replicas: { min: replicas.min, max: replicas.max },
    replicaRule: `${replicas.rule}; ECS desired count = shards, Application Auto Scaling max = shards`,
    capacity: {
      mode: chosen.mode,
      shards,
      fanOut: chosen.efo ? 'efo' : 'shared',
      retentionHours,
      region: opts.region,
      vpcCidr: opts.vpcCidr,
      taskCpu: size.cpu,
      taskMemoryMiB: size.memoryMiB,
      tasksAtMax: replicas.max * groups,
      largeRecords: w.maxRecordBytes > L.maxRecordBytesDefault.value,
    },
    repartitioning: {
      policy: 'reshard',
      note:
        chosen.mode === 'on-demand'
          ? 'on-demand: AWS splits and merges shards itself; workers must finish parent shards before children (KCL does), and the replica maximum follows the shard count.'
          : `UpdateShardCount splits or merges: each call between 1/2x and 2x the current count, at most 10 calls per 24 h, at most 10,000 shards; doubling ${shards} takes ${doubling} call(s). Parent shards are read to the end before children, so per-key order holds.`,
      source: 'https://docs.aws.amazon.com/kinesis/latest/APIReference/API_UpdateShardCount.html',
    },
  });
}

/** The `aws-kinesis-ecs` target. */
export const kinesisEcsTarget: PlannerTarget = {
  id: TARGET_ID,
  title: 'Amazon Kinesis Data Streams + ECS Fargate',
  limits: L,
  prices: P,
  qualitative: {
    complexity: {
      value: 'low',
      why: 'Serverless stream and Fargate tasks: no brokers or nodes; the KCL lease table in DynamoDB is the one extra moving part.',
    },
    provisioning: {
      value: 'shards up front (provisioned) or none (on-demand)',
      why: 'Provisioned streams are sized in shards and resharded with UpdateShardCount (1/2x-2x per call, 10 calls/24 h); on-demand sizes itself up to 2x the previous peak.',
    },
    migration: {
      value: 'medium',
      why: 'No offsets to translate: consumers resume by timestamp or sequence number, and Kafka tooling (MirrorMaker 2) does not speak Kinesis.',
    },
    scalability: {
      value: 'high',
      why: 'Up to 10,000 shards per stream and 10 GB/s on-demand in large regions; replicas follow the shard count.',
    },
    vendorLockIn: { value: 'high', why: 'Kinesis API, KCL lease tables and ECS task definitions are AWS-only.' },
    kafkaCompatibility: {
      value: 'none',
      why: 'Kinesis has no Kafka protocol endpoint; Kafka clients need a connector or a rewrite.',
    },
  },
  plan(input) {
    const opts = targetOptionsOf(input);
    return planKinesisEcs(input, opts);
  },
  emit(plan, input, context) {
    return emitKinesisEcs(plan, input, context);
  },
};

function targetOptionsOf(input: PlanInput): KinesisOptions {
  return targetOptions(input, TARGET_ID, kinesisOptionsSchema);
}
