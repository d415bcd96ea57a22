/**
 * `@speedlayer/aws-kinesis-ecs/target`: the descriptor of the Kinesis + ECS target (`kinesis://<region>`,
 * `ecs://<region>/<cluster>`). Plain data: the factories, limits, prices and planning profile it names load only when
 * used.
 *
 * @packageDocumentation
 */
import { defineTarget, type StreamCapabilities, type TargetDescriptor } from '@speedlayer/core';

/** The contract flags of `kinesis://`; the driver adds `maxMessageBytes` from its config (`maxRecordBytes`). */
export const KINESIS_FLAGS = {
  // headers travel in the adapter's envelope
  nativeHeaders: false,
  partitions: true,
  partitionGrowth: true,
  // groups are shard leases in a DynamoDB table (KCL layout)
  nativeConsumerGroups: false,
  timestampSeek: true,
  idempotentProduce: false,
  nativeDeadLetter: false,
  multiProcess: true,
  durable: true,
} as const satisfies Partial<StreamCapabilities>;

/** `aws-kinesis-ecs`. */
export const kinesisEcsDescriptor: TargetDescriptor = defineTarget({
  id: 'aws-kinesis-ecs',
  title: 'Amazon Kinesis Data Streams + ECS Fargate',
  package: '@speedlayer/aws-kinesis-ecs',
  streamSchemes: ['kinesis'],
  computeSchemes: ['ecs'],
  capabilities: KINESIS_FLAGS,
  messagingSystem: 'aws_kinesis',
  terms: { positions: 'Kinesis sequence numbers' },
  baselines: { kinesis: { name: 'raw-aws-sdk-kinesis', open: { module: '@speedlayer/bench', export: 'openKinesisBaseline' } } },
  deploy: { compute: 'ecs://', workload: 'ecs' },
  planExports: { limits: 'KINESIS_LIMITS', prices: 'KINESIS_ECS_PRICES' },
  conformance: {
    // short lease failover so that a killed member's shards are taken over quickly
    stream: [
      {
        name: 'kinesis (moto)',
        scheme: 'kinesis',
        peer: 'moto',
        nativeClient: 'KinesisClient',
        subscribeDefaults: { sessionTimeoutMs: 1500 },
        slowness: 2,
      },
    ],
    // moto stores task definitions and services but never starts a task
    compute: [{ name: 'ecs (moto)', scheme: 'ecs', peer: 'moto', config: { runsReplicas: false }, streamScheme: 'kinesis' }],
  },
});

/** The package's targets (read by core's registry). */
export const targets: readonly TargetDescriptor[] = [kinesisEcsDescriptor];
