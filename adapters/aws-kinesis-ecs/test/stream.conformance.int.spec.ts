/**
 * The stream conformance suite against moto's Kinesis and DynamoDB: the descriptor's matrix entry, with the fast
 * polling config of these tests. With `SPEEDLAYER_CLOUD=aws` the same entry runs from
 * `stream.conformance.e2e.spec.ts` against real AWS.
 */
import { targetDescriptors } from '@speedlayer/core';
import { streamConformance, streamMatrixOf } from '@speedlayer/testing/conformance';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { fastConfig, motoUri } from './env.js';

const descriptors = await targetDescriptors();

describePeer('moto', 'aws-kinesis-ecs on moto', (moto) => {
  for (const target of streamMatrixOf(descriptors, { targets: ['aws-kinesis-ecs'], streams: { kinesis: motoUri(moto) } })) {
    streamConformance({ ...target, connectOptions: { config: { ...fastConfig } } });
  }
});
