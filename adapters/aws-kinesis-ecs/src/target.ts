/**
 * `@speedlayer/aws-kinesis-ecs/target`: the descriptor of the Kinesis + ECS target (`kinesis://<region>`,
 * `ecs://<region>/<cluster>`). Plain data: the factories, limits, prices and planning profile it names load only when
 * used.
 *
 * @packageDocumentation
 */
import { defineTarget, type TargetDescriptor } from '@speedlayer/core';

/** `aws-kinesis-ecs`. */
export const kinesisEcsDescriptor: TargetDescriptor = defineTarget({
  id: 'aws-kinesis-ecs',
  title: 'Amazon Kinesis Data Streams + ECS Fargate',
  package: '@speedlayer/aws-kinesis-ecs',
  streamSchemes: ['kinesis'],
  computeSchemes: ['ecs'],
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
