/**
 * The compute conformance suite for ECS against moto, from the descriptor's matrix entry. moto stores task definitions
 * and services but never starts a task, so the entry declares `runsReplicas: false` and the suite checks that nothing
 * claims to be ready. `alignReplicas` reads the shard count of a Kinesis stream on the same moto.
 */
import { targetDescriptors } from '@speedlayer/core';
import { computeConformance, computeMatrixOf } from '@speedlayer/testing/conformance';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { motoUri } from './env.js';

const descriptors = await targetDescriptors();

describePeer('moto', 'aws-kinesis-ecs compute on moto', (moto) => {
  for (const target of computeMatrixOf(descriptors, {
    targets: ['aws-kinesis-ecs'],
    computes: { ecs: `ecs://${moto.region}/speedlayer-conformance?endpoint=${encodeURIComponent(moto.endpoint)}` },
    streams: { kinesis: motoUri(moto) },
    workload: () => ({
      image: 'public.ecr.aws/docker/library/node:20-alpine',
      command: ['speedlayer', 'worker', '--stream', 'kinesis://us-east-1', '--topic', 'orders', '--group', 'billing'],
      resources: { cpu: 0.25, memoryMiB: 512 },
    }),
  })) {
    computeConformance(target);
  }
});
