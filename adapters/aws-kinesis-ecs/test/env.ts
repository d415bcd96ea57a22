/**
 * Test setup shared by the Kinesis int tests: static fake credentials for moto (the SDK's default chain reads
 * them from the environment, and worker processes spawned by the suite inherit them) and fast timings.
 */
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_REGION ??= 'us-east-1';
// the SDK prints a Node-version notice once per process; keep test output readable
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE ??= '1';

/** Adapter config for tests against moto: short polls and shard syncs, frequent checkpoints. */
export const fastConfig = { pollIntervalMs: 20, shardSyncIntervalMs: 500, commitIntervalMs: 100 } as const;

/** The stream URI of a moto endpoint. */
export function motoUri(moto: { endpoint: string; region: string }): string {
  return `kinesis://${moto.region}?endpoint=${encodeURIComponent(moto.endpoint)}`;
}
