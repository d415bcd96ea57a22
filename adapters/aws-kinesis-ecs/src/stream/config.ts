/**
 * Config of the `kinesis://` target: defaults -> URI parameters -> `connect(uri, { config })` -> validated,
 * resolved values. Print the JSON Schema with `configJsonSchema(kinesisConfigSchema)`.
 *
 * @packageDocumentation
 */
import { ConfigError, type ParsedUri, resolveConfig, z } from '@speedlayer/core';
import { TARGET } from './errors.js';

const MiB = 1024 * 1024;

/** Config fields of the Kinesis stream adapter. */
export const kinesisConfigSchema = z
  .object({
    /** Kinesis endpoint, e.g. `http://127.0.0.1:5000` (moto). @default the SDK's (honours AWS_ENDPOINT_URL_KINESIS / AWS_ENDPOINT_URL) */
    endpoint: z.url().optional(),
    /** DynamoDB endpoint for lease tables. @default `endpoint` when set, else the SDK's (AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL) */
    dynamodbEndpoint: z.url().optional(),
    /** `envelope`: headers travel in the documented frame; `raw`: values are written as is and headers are refused. @default 'envelope' */
    headers: z.enum(['envelope', 'raw']).default('envelope'),
    /** Largest record (data blob + partition key) in bytes; raise only with the stream's UpdateMaxRecordSize. @default 1048576 */
    maxRecordBytes: z
      .number()
      .int()
      .positive()
      .max(10 * MiB)
      .default(MiB),
    /** Records per PutRecords request. @default 500 */
    maxRequestRecords: z.number().int().min(1).max(500).default(500),
    /** Bytes per PutRecords request (data + partition keys). @default 5242880 */
    maxRequestBytes: z
      .number()
      .int()
      .positive()
      .max(10 * MiB)
      .default(5 * MiB),
    /** How long one `send` keeps retrying throttled or failed records before it gives up with a ThrottledError. @default 120000 */
    produceTimeoutMs: z.number().int().positive().default(120_000),
    /** First backoff delay after a throttled or partially failed request, in ms. @default 100 */
    produceBackoffMs: z.number().int().positive().default(100),
    /** Shortest time between two GetRecords calls on one shard when it has nothing new (AWS: 5 calls/s/shard). @default 200 */
    pollIntervalMs: z.number().int().positive().max(60_000).default(200),
    /**
     * Read-ahead bound in bytes per shard: fetching pauses while the records fetched but not yet handled hold
     * about this many bytes (estimated from the average record size seen so far; the first call of a shard
     * fetches at most 10 records to learn it). Bounds memory with a slow handler whatever the record size.
     * @default 16777216 (16 MiB)
     */
    maxBufferedBytesPerShard: z
      .number()
      .int()
      .min(1024)
      .default(16 * MiB),
    /** Records per GetRecords call. @default 1000 */
    getRecordsLimit: z.number().int().min(1).max(10_000).default(1000),
    /** Lease failover time when `subscribe` gives no `sessionTimeoutMs`, in ms (KCL `failoverTimeMillis`). @default 10000 */
    failoverTimeMs: z.number().int().min(300).default(10_000),
    /** How often a member lists shards to find new ones (after a split or merge), in ms. @default 10000 */
    shardSyncIntervalMs: z.number().int().min(100).default(10_000),
    /** Shortest time between two checkpoint writes per shard, in ms. @default 500 */
    commitIntervalMs: z.number().int().nonnegative().default(500),
    /** Lease table name prefix; the table of a group is `<prefix><stream>.<group>`. @default 'speedlayer-' */
    leaseTablePrefix: z
      .string()
      .regex(/^[A-Za-z0-9_.-]*$/)
      .max(64)
      .default('speedlayer-'),
    /**
     * Fixed lease table name for every subscription of this client (e.g. an existing KCL application's table).
     * @default env SPEEDLAYER_LEASE_TABLE (set by the emitted ECS task definition), else `<prefix><stream>.<group>`
     */
    leaseTableName: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{3,255}$/)
      .optional(),
    /** Create a missing lease table (PAY_PER_REQUEST). false: a missing table is a NotFoundError. @default true */
    createLeaseTable: z.boolean().default(true),
    /** Time limit of one HTTP request to Kinesis or DynamoDB, in ms (the SDK retries after it). @default 30000 */
    requestTimeoutMs: z.number().int().positive().default(30_000),
    /** How long admin calls and producers wait for a stream in CREATING/UPDATING to become ACTIVE, in ms. @default 120000 */
    streamWaitMs: z.number().int().positive().default(120_000),
  })
  .strict();

/** Resolved config. */
export type KinesisConfig = z.output<typeof kinesisConfigSchema>;

const URI_PARAMS = ['endpoint', 'dynamodbEndpoint', 'headers'] as const;

/**
 * Region and config of a `kinesis://<region>[?endpoint=...&dynamodbEndpoint=...&headers=raw]` URI.
 * @throws `ConfigError` naming the field at fault.
 */
export function resolveKinesisConfig(
  uri: ParsedUri,
  config: Record<string, unknown> = {},
): { region: string; config: KinesisConfig } {
  if (uri.scheme !== 'kinesis')
    throw new ConfigError(`uri: ${TARGET} serves kinesis://, not ${uri.scheme}://`, { field: 'uri', target: TARGET });
  const region = uri.location.replace(/\/+$/, '');
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
    throw new ConfigError(`uri: "${region}" is not an AWS region; expected kinesis://<region>, e.g. kinesis://us-east-1`, {
      field: 'uri',
      target: TARGET,
    });
  }
  const fromUri: Record<string, unknown> = {};
  for (const [k, v] of uri.params) {
    if (!(URI_PARAMS as readonly string[]).includes(k)) {
      throw new ConfigError(`uri: unknown parameter "${k}"; known: ${URI_PARAMS.join(', ')}`, { field: 'uri', target: TARGET });
    }
    fromUri[k] = v;
  }
  const envTable = process.env.SPEEDLAYER_LEASE_TABLE;
  const defaults = envTable ? { leaseTableName: envTable } : {};
  return { region, config: resolveConfig(kinesisConfigSchema, { ...defaults, ...fromUri, ...config }, { target: TARGET }) };
}
