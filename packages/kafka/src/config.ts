/**
 * Config of the Kafka / MSK stream adapter: one zod schema (also printed as JSON Schema), fed from the URI
 * query and from `connect(uri, { config })` (the config object wins). Secrets are references only
 * (`env:VAR`, `file:/path`): a literal password is refused.
 *
 * @packageDocumentation
 */
import {
  ConfigError,
  configJsonSchema,
  fieldType,
  type ParsedUri,
  parseHostList,
  queryValue,
  resolveConfig,
  z,
} from '@speedlayer/core';

/** Target id of this adapter. */
export const TARGET = 'aws-msk-eks';

/** The broker's default `message.max.bytes` (1 MiB + 12 bytes of batch framing). */
export const BROKER_MESSAGE_MAX_BYTES = 1_048_588;

/**
 * Bytes kept back from `messageMaxBytes` for Kafka's framing of a one-record batch (61-byte batch header plus the
 * record's varints); key + value + header bytes above `messageMaxBytes - RECORD_OVERHEAD_BYTES` are refused.
 */
export const RECORD_OVERHEAD_BYTES = 512;

const secretRef = z.string().regex(/^(env:.+|file:.+)$/, 'must be a secret reference "env:VAR" or "file:/path", never a literal');

const saslPassword = z.object({
  /** SASL mechanism. */
  mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
  /** SASL username. */
  username: z.string().min(1),
  /** Password reference: `env:VAR` or `file:/path`. */
  password: secretRef,
});

const saslOauth = z.object({
  mechanism: z.literal('oauthbearer'),
  /**
   * Bearer token by reference (`env:VAR` or `file:/path`), read again at every authentication so a rotated
   * token file is picked up.
   */
  token: secretRef.optional(),
  /**
   * Development only: mint an unsecured (alg `none`) JWT for this subject, as Kafka's default OAUTHBEARER
   * validator accepts. Never use against a production cluster.
   */
  unsecuredJwtSubject: z.string().min(1).optional(),
  /** Lifetime of an unsecured JWT in seconds. @default 3600 */
  unsecuredJwtLifetimeSeconds: z.number().int().positive().default(3600),
});

const saslIam = z.object({
  /** MSK IAM: SASL/OAUTHBEARER with a token signed by `aws-msk-iam-sasl-signer-js` from the AWS credential chain. */
  mechanism: z.literal('aws-msk-iam'),
  /** AWS region of the cluster. @default the region of the msk:// ARN, else AWS_REGION */
  region: z.string().min(1).optional(),
});

/** Config of the Kafka / MSK target (`connect('kafka://…', { config })`). */
export const kafkaConfigSchema = z
  .object({
    /** Client id sent to the brokers. @default "speedlayer" */
    clientId: z.string().min(1).default('speedlayer'),
    /** Use TLS. @default false for kafka://, true for msk:// and whenever `caFile` is set */
    tls: z.boolean().optional(),
    /** PEM file with the CA certificates to trust (instead of the system store). */
    caFile: z.string().min(1).optional(),
    /** TLS server name to verify, when it differs from the broker host. */
    tlsServerName: z.string().min(1).optional(),
    /** SASL authentication. */
    sasl: z.discriminatedUnion('mechanism', [saslPassword, saslOauth, saslIam]).optional(),
    /** Connect timeout per broker in ms. @default 3000 */
    connectionTimeoutMs: z.number().int().positive().default(3000),
    /** Request timeout in ms. @default 30000 */
    requestTimeoutMs: z.number().int().positive().default(30_000),
    /**
     * Longest time one send waits for the brokers' acknowledgement, retries included (as Java's
     * `delivery.timeout.ms`): past it the send fails with a retriable `TimeoutError` (the batch may or may not have
     * been written) and the producer is replaced. Bounds how long a send blocks while the cluster is down.
     * @default 30000
     */
    sendTimeoutMs: z.number().int().min(100).max(3_600_000).default(30_000),
    /** Retries of retriable errors inside the Kafka client (kafkajs `retry.retries`). @default 5 */
    retries: z.number().int().nonnegative().max(100).default(5),
    /** First retry delay in ms. @default 300 */
    initialRetryMs: z.number().int().positive().default(300),
    /**
     * The brokers' (or topic's) `message.max.bytes`; records may carry up to this minus 512 bytes of framing.
     * @default 1048588 (Kafka's default)
     */
    messageMaxBytes: z.number().int().min(4096).default(BROKER_MESSAGE_MAX_BYTES),
    /** Idempotent producer (acks=all, one request in flight, de-duplicated retries). @default true */
    idempotent: z.boolean().default(true),
    /** Replication factor of topics created by `ensureTopic`. @default -1 (the broker's default.replication.factor) */
    replicationFactor: z.number().int().min(-1).max(32).default(-1),
    /** How long a cached partition count is trusted by producers, in ms. @default 30000 */
    metadataMaxAgeMs: z.number().int().nonnegative().default(30_000),
    /** Most bytes fetched per partition and request. @default 1048576 */
    maxBytesPerPartition: z.number().int().positive().default(1_048_576),
    /** Longest time a fetch waits for data, in ms. @default 100 */
    maxWaitTimeMs: z.number().int().nonnegative().default(100),
    /** Partitions one member handles at once. @default 64 */
    partitionsConsumedConcurrently: z.number().int().positive().max(1024).default(64),
    /** Rebalance timeout in ms (how long the group waits for members to rejoin). @default 30000 */
    rebalanceTimeoutMs: z.number().int().positive().default(30_000),
    /** Shortest time between two checkpoint writes per partition, in ms. @default 200 */
    commitIntervalMs: z.number().int().nonnegative().default(200),
    /** msk:// only: AWS region. @default the region in the cluster ARN */
    region: z.string().min(1).optional(),
    /** msk:// only: MSK control-plane endpoint. @default AWS_ENDPOINT_URL_KAFKA / AWS_ENDPOINT_URL / the AWS endpoint */
    endpoint: z.string().url().optional(),
    /** msk:// only: bootstrap brokers to use instead of calling GetBootstrapBrokers, `host:port[,host:port]`. */
    bootstrapBrokers: z.string().min(1).optional(),
  })
  .strict();

/** Input config (what callers pass). */
export type KafkaConfigInput = z.input<typeof kafkaConfigSchema>;
/** Resolved config (defaults applied). */
export type KafkaConfig = z.output<typeof kafkaConfigSchema>;

/** JSON Schema of {@link kafkaConfigSchema}, for docs and editors. */
export function kafkaConfigJsonSchema(): Record<string, unknown> {
  return configJsonSchema(kafkaConfigSchema);
}

/**
 * Turns URI query parameters into config input: `?tls=true&caFile=/ca.pem&sasl=scram-sha-512&username=u&password=env:PW`.
 * `sasl.*` fields may also be spelled `sasl.username` etc. Values are strings; numbers and booleans are converted.
 */
export function configFromQuery(params: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const sasl: Record<string, unknown> = {};
  for (const [rawKey, value] of params) {
    const key = rawKey.startsWith('sasl.') ? rawKey.slice(5) : rawKey;
    if (rawKey === 'sasl' || rawKey === 'sasl.mechanism' || rawKey === 'mechanism') sasl.mechanism = value;
    else if (['username', 'password', 'token', 'unsecuredJwtSubject'].includes(key)) sasl[key] = value;
    else if (key === 'unsecuredJwtLifetimeSeconds') sasl[key] = Number(value);
    else out[rawKey] = queryValue(fieldType(kafkaConfigSchema, [rawKey]), value);
  }
  if (Object.keys(sasl).length > 0) out.sasl = sasl;
  return out;
}

/** Resolves config from URI query + explicit config. @throws `ConfigError` naming the field. */
export function resolveKafkaConfig(uri: ParsedUri, config: Record<string, unknown> = {}): KafkaConfig {
  const fromQuery = configFromQuery(uri.params);
  const merged: Record<string, unknown> = { ...fromQuery, ...config };
  if (fromQuery.sasl && config.sasl && typeof config.sasl === 'object') {
    merged.sasl = { ...(fromQuery.sasl as object), ...(config.sasl as object) };
  }
  return resolveConfig(kafkaConfigSchema, merged, { target: TARGET });
}

/** The parts of an MSK cluster ARN. */
export interface MskClusterArn {
  /** The ARN as given. */
  arn: string;
  /** Region in the ARN. */
  region: string;
  /** Account id. */
  account: string;
  /** Cluster name. */
  name: string;
}

const ARN_RE = /^arn:aws[a-z-]*:kafka:([a-z0-9-]+):(\d{12}):(?:serverless-)?cluster\/([^/]+)(?:\/[A-Za-z0-9-]+)?$/;

/**
 * Parses the location of an `msk://<cluster-arn>` URI.
 * @throws `ConfigError` (field `uri`) when it is not an MSK cluster ARN.
 */
export function parseMskArn(location: string): MskClusterArn {
  const arn = decodeURIComponent(location.replace(/\/+$/, ''));
  const m = ARN_RE.exec(arn);
  if (!m) {
    throw new ConfigError(
      `uri: msk:// needs an MSK cluster ARN such as msk://arn:aws:kafka:us-east-1:123456789012:cluster/name/uuid, got "${arn}"`,
      { field: 'uri', target: TARGET },
    );
  }
  return { arn, region: m[1] ?? '', account: m[2] ?? '', name: m[3] ?? '' };
}

/** Brokers named by a `kafka://host:port[,host:port]` URI. @throws `ConfigError` (field `uri`). */
export function brokersFromKafkaUri(uri: ParsedUri): string[] {
  return parseHostList(uri.location, 'uri');
}
