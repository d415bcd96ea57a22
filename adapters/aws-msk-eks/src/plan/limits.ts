/**
 * Amazon MSK (provisioned and serverless) and EKS limits, each with the URL it was read from (vendor-facts.md §4, §6).
 *
 * @packageDocumentation
 */
import { fact, MB, MIB } from '@speedlayer/planner';

const BEST = 'https://docs.aws.amazon.com/msk/latest/developerguide/bestpractices.html';
const SIZE =
  'https://github.com/aws/agent-toolkit-for-aws/blob/main/skills/specialized-skills/analytics-skills/managing-amazon-msk/references/size-and-choose-cluster.md';
const QUOTA = 'https://docs.aws.amazon.com/msk/latest/developerguide/limits.html';
const SERVERLESS = 'https://docs.aws.amazon.com/msk/latest/developerguide/limits.html#serverless-quota';

/** A Standard broker size with its recommended partition replicas per broker. */
export interface BrokerSize {
  readonly type: string;
  /** Recommended partition replicas (leaders + followers) per broker. */
  readonly recommendedPartitions: number;
  /** Partitions that still allow update operations. */
  readonly maxPartitions: number;
  /** Source of the partition numbers. */
  readonly source: string;
}

/** Standard broker sizes the planner chooses from (t3.small only when named: burstable CPU). */
export const BROKER_SIZES: readonly BrokerSize[] = [
  { type: 'kafka.m5.large', recommendedPartitions: 1000, maxPartitions: 1500, source: BEST },
  { type: 'kafka.m5.xlarge', recommendedPartitions: 1000, maxPartitions: 1500, source: BEST },
  { type: 'kafka.m5.2xlarge', recommendedPartitions: 2000, maxPartitions: 3000, source: BEST },
  { type: 'kafka.m5.4xlarge', recommendedPartitions: 4000, maxPartitions: 6000, source: BEST },
  { type: 'kafka.m5.8xlarge', recommendedPartitions: 4000, maxPartitions: 6000, source: BEST },
  { type: 'kafka.m5.12xlarge', recommendedPartitions: 4000, maxPartitions: 6000, source: BEST },
  { type: 'kafka.m5.16xlarge', recommendedPartitions: 4000, maxPartitions: 6000, source: BEST },
  { type: 'kafka.m5.24xlarge', recommendedPartitions: 4000, maxPartitions: 6000, source: BEST },
  { type: 'kafka.t3.small', recommendedPartitions: 300, maxPartitions: 300, source: BEST },
];

/** MSK limits used by the sizing rule. */
export const MSK_LIMITS = {
  volumeThroughput: fact(250 * MIB, 'bytes/s per broker volume (default gp2/gp3 cap, 250 MiB/s)', SIZE, 'official'),
  brokerMultipleOfAzs: fact(3, 'AZs (broker count is a multiple of the AZ count)', SIZE, 'official'),
  brokersPerClusterKraft: fact(60, 'brokers per cluster (KRaft; 30 with ZooKeeper; adjustable)', QUOTA),
  storagePerBrokerGiB: fact(16_384, 'GiB per broker (1 - 16,384)', QUOTA),
  maxDiskUtilisation: fact(0.85, 'fraction of a broker volume used before alarms (planning headroom)', SIZE, 'assumption'),
  defaultMaxMessageBytes: fact(
    MIB,
    'bytes (topic max.message.bytes default 1 MiB)',
    'https://docs.aws.amazon.com/msk/latest/developerguide/serverless-config.html',
    'official (copy)',
  ),
  brokerRequestMaxBytes: fact(
    100 * MIB,
    'bytes per request (Kafka socket.request.max.bytes default 104,857,600): no record can be larger',
    'https://kafka.apache.org/documentation/#brokerconfigs_socket.request.max.bytes',
    'official',
  ),
  perPartitionIngress: fact(
    5 * MB,
    'bytes/s ingress per partition (MSK Serverless quota; used as the planning figure for provisioned too)',
    SERVERLESS,
    'official (copy)',
  ),
  perPartitionEgress: fact(10 * MB, 'bytes/s egress per partition (MSK Serverless quota)', SERVERLESS, 'official (copy)'),
  serverlessIngress: fact(200 * MB, 'bytes/s ingress per serverless cluster', SERVERLESS, 'official (copy)'),
  serverlessEgress: fact(400 * MB, 'bytes/s egress per serverless cluster', SERVERLESS, 'official (copy)'),
  serverlessPartitions: fact(2400, 'partitions (leaders, non-compacted) per serverless cluster', SERVERLESS, 'official (copy)'),
  serverlessMaxMessageBytes: fact(8 * MIB, 'bytes per message on MSK Serverless', SERVERLESS, 'official (copy)'),
  serverlessConsumerGroups: fact(500, 'consumer groups per serverless cluster', SERVERLESS, 'official (copy)'),
  partitionsGrowOnly: fact(
    true,
    'partition count can only grow',
    'https://kafka.apache.org/documentation/#basic_ops_modify_topic',
    'official (copy)',
  ),
  kedaKafkaCap: fact(
    true,
    'KEDA Kafka scaler caps replicas at the partition count',
    'https://keda.sh/docs/latest/scalers/apache-kafka/',
  ),
} as const;
