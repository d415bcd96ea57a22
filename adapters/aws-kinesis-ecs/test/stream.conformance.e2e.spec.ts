/**
 * The stream conformance suite against real Kinesis and DynamoDB, when `SPEEDLAYER_CLOUD=aws`. Credentials come from
 * the standard AWS chain; the region from `AWS_REGION` (default us-east-1). Creates and deletes `conf-*` streams and
 * `speedlayer-conf-*` lease tables (PAY_PER_REQUEST; the tables are left behind: delete them after a run).
 */
import { streamConformance } from '@speedlayer/testing/conformance';
import { describe } from 'vitest';

const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';

describe.runIf(process.env.SPEEDLAYER_CLOUD === 'aws')('aws-kinesis-ecs on AWS', () => {
  streamConformance({
    name: 'kinesis (aws)',
    nativeClient: 'KinesisClient',
    uri: `kinesis://${region}`,
    // default polls (200 ms) respect 5 GetRecords/s per shard; shard syncs every 2 s to see resharding sooner
    connectOptions: { config: { shardSyncIntervalMs: 2000 } },
    subscribeDefaults: { sessionTimeoutMs: 10_000 },
    slowness: 4,
  });
});
