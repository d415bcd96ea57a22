/**
 * Config of the shared Kafka driver: one zod schema (also printed as JSON Schema), fed from the URI query and from
 * `connect(uri, { config })` (the config object wins). Secrets are references only (`env:VAR`, `file:/path`): a
 * literal password is refused. A Kafka-protocol target extends the schema with its own fields (MSK: `region`,
 * `bootstrapBrokers`, the `aws-msk-iam` mechanism) and passes it in its {@link KafkaDialect}.
 *
 * @packageDocumentation
 */
import { configJsonSchema, fieldType, type ParsedUri, parseHostList, queryValue, resolveConfig, z } from '@speedlayer/core';

/**
 * Target id of a plain `kafka://` client (core's registry routes `kafka://` to this package). Targets built on the
 * driver pass their own in their {@link KafkaDialect}.
 */
export const TARGET = 'kafka';

/** The broker's default `message.max.bytes` (1 MiB + 12 bytes of batch framing). */
export const BROKER_MESSAGE_MAX_BYTES = 1_048_588;

/**
 * Bytes kept back from `messageMaxBytes` for Kafka's framing of a one-record batch (61-byte batch header plus the
 * record's varints); key + value + header bytes above `messageMaxBytes - RECORD_OVERHEAD_BYTES` are refused.
 */
export const RECORD_OVERHEAD_BYTES = 512;

/** A secret reference: `env:VAR` or `file:/path`, never a literal. */
export const secretRef = z
  .string()
  .regex(/^(env:.+|file:.+)$/, 'must be a secret reference "env:VAR" or "file:/path", never a literal');

/** SASL PLAIN / SCRAM with a password by reference. */
export const saslPassword = z.object({
  /** SASL mechanism. */
  mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
  /** SASL username. */
  username: z.string().min(1),
  /** Password reference: `env:VAR` or `file:/path`. */
  password: secretRef,
});

/** SASL OAUTHBEARER with a token by reference (or an unsecured development JWT). */
export const saslOauth = z.object({
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

/** Config of the Kafka driver (`connect('kafka://…', { config })`). */
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
    sasl: z.discriminatedUnion('mechanism', [saslPassword, saslOauth]).optional(),
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
    /**
     * Largest produce request in bytes (all partitions of a send together), where the service limits it below
     * Kafka's `socket.request.max.bytes` (Event Hubs: 1,046,528). A larger send goes out in several requests, in
     * order. @default no limit beyond `messageMaxBytes` per partition
     */
    maxRequestBytes: z.number().int().min(4096).optional(),
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
  })
  .strict();

/** Input config (what callers pass). */
export type KafkaConfigInput = z.input<typeof kafkaConfigSchema>;
/** A SASL mechanism the driver itself knows. */
export type KafkaSasl = NonNullable<z.output<typeof kafkaConfigSchema>['sasl']>;
/**
 * Resolved config (defaults applied). `sasl` may name a mechanism a dialect adds (MSK's `aws-msk-iam`), which its
 * {@link KafkaDialect.sasl} hook turns into kafkajs options.
 */
export type KafkaConfig = Omit<z.output<typeof kafkaConfigSchema>, 'sasl'> & {
  sasl?: KafkaSasl | { mechanism: string } | undefined;
};

/** JSON Schema of {@link kafkaConfigSchema}, for docs and editors. */
export function kafkaConfigJsonSchema(): Record<string, unknown> {
  return configJsonSchema(kafkaConfigSchema);
}

/**
 * Turns URI query parameters into config input: `?tls=true&caFile=/ca.pem&sasl=scram-sha-512&username=u&password=env:PW`.
 * `sasl.*` fields may also be spelled `sasl.username` etc. Values are strings; numbers and booleans are converted.
 */
export function configFromQuery(params: URLSearchParams, schema: z.ZodType = kafkaConfigSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const sasl: Record<string, unknown> = {};
  for (const [rawKey, value] of params) {
    const key = rawKey.startsWith('sasl.') ? rawKey.slice(5) : rawKey;
    if (rawKey === 'sasl' || rawKey === 'sasl.mechanism' || rawKey === 'mechanism') sasl.mechanism = value;
    else if (['username', 'password', 'token', 'unsecuredJwtSubject'].includes(key)) sasl[key] = value;
    else if (key === 'unsecuredJwtLifetimeSeconds') sasl[key] = Number(value);
    else out[rawKey] = queryValue(fieldType(schema, [rawKey]), value);
  }
  if (Object.keys(sasl).length > 0) out.sasl = sasl;
  return out;
}

/**
 * Resolves config from URI query + explicit config, with the driver's schema or a dialect's extension of it.
 * @throws `ConfigError` naming the field.
 */
export function resolveKafkaConfig<S extends z.ZodType = typeof kafkaConfigSchema>(
  uri: ParsedUri,
  config: Record<string, unknown> = {},
  options: { schema?: S; target?: string } = {},
): z.output<S> {
  const schema = (options.schema ?? kafkaConfigSchema) as S;
  const fromQuery = configFromQuery(uri.params, schema);
  const merged: Record<string, unknown> = { ...fromQuery, ...config };
  if (fromQuery.sasl && config.sasl && typeof config.sasl === 'object') {
    merged.sasl = { ...(fromQuery.sasl as object), ...(config.sasl as object) };
  }
  return resolveConfig(schema, merged, { target: options.target ?? TARGET });
}

/** Brokers named by a `kafka://host:port[,host:port]` URI. @throws `ConfigError` (field `uri`). */
export function brokersFromKafkaUri(uri: ParsedUri): string[] {
  return parseHostList(uri.location, 'uri');
}
