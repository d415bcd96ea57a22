/**
 * The stream conformance suite against moto's Kinesis and DynamoDB (one matrix entry). With
 * `SPEEDLAYER_CLOUD=aws` the same entry runs from `stream.conformance.e2e.spec.ts` against real AWS.
 */
import { streamConformance } from '@speedlayer/testing/conformance';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { fastConfig, motoUri } from './env.js';

describePeer('moto', 'aws-kinesis-ecs on moto', (moto) => {
  streamConformance({
    name: 'kinesis (moto)',
    nativeClient: 'KinesisClient',
    uri: motoUri(moto),
    connectOptions: { config: { ...fastConfig } },
    // short lease failover so that a killed member's shards are taken over quickly
    subscribeDefaults: { sessionTimeoutMs: 1500 },
    slowness: 2,
  });
});
