/**
 * Config of the `eventhubs://<namespace>` (AMQP) transport: one zod schema (also printed as JSON Schema), fed
 * from the URI query (flat, dotted keys such as `checkpointStore.container=x`) and from `connect(uri, { config })`
 * (the config object wins). Secrets are references only (`env:VAR`, `file:/path`): a literal connection string
 * is refused naming the field, and its value is never echoed.
 *
 * @packageDocumentation
 */
import {
  ConfigError,
  configJsonSchema,
  configFromQuery as coreConfigFromQuery,
  type ParsedUri,
  resolveConfig,
  z,
} from '@speedlayer/core';

/** Target id of this adapter. */
export const TARGET = 'azure-eventhubs-aks';

/** Event Hubs tiers (namespace SKUs). */
export const EVENTHUBS_TIERS = ['basic', 'standard', 'premium', 'dedicated'] as const;

/** An Event Hubs tier. */
export type EventHubsTier = (typeof EVENTHUBS_TIERS)[number];

/** What a tier allows, from Microsoft's quota page (see vendor-facts.md §2a). */
export interface HubTierLimits {
  /** Largest publication (one event, or one batch) in bytes. */
  maxPublicationBytes: number;
  /** Most partitions per event hub. */
  maxPartitions: number;
  /** Whether partitions can be added after creation. */
  partitionGrowth: boolean;
  /** Most consumer groups per event hub. */
  maxConsumerGroups: number;
}

/**
 * Tier limits. Source: https://learn.microsoft.com/en-us/azure/event-hubs/event-hubs-quotas (2023-11-27) and
 * https://learn.microsoft.com/en-us/azure/event-hubs/dynamically-add-partitions.
 */
export const HUB_TIER_LIMITS: Readonly<Record<EventHubsTier, HubTierLimits>> = {
  basic: { maxPublicationBytes: 256 * 1024, maxPartitions: 32, partitionGrowth: false, maxConsumerGroups: 1 },
  standard: { maxPublicationBytes: 1024 * 1024, maxPartitions: 32, partitionGrowth: false, maxConsumerGroups: 20 },
  premium: { maxPublicationBytes: 1024 * 1024, maxPartitions: 100, partitionGrowth: true, maxConsumerGroups: 100 },
  dedicated: { maxPublicationBytes: 1024 * 1024, maxPartitions: 1024, partitionGrowth: true, maxConsumerGroups: 1000 },
};

const REF_RE = /^(env:.+|file:.+)$/;
const REF_MESSAGE = 'must be a secret reference "env:VAR" or "file:/path", never a literal';

/** A secret reference; the refusal message never contains the value. */
const secretRef = z.string({ error: REF_MESSAGE }).regex(REF_RE, REF_MESSAGE);

const checkpointStoreSchema = z
  .object({
    /** Storage connection string by reference (`env:VAR` / `file:/path`). */
    connectionString: secretRef.optional(),
    /** Blob service URL (`https://<account>.blob.core.windows.net`), used with DefaultAzureCredential. */
    accountUrl: z.string().url().optional(),
    /** Container that holds checkpoints and ownership blobs. */
    container: z
      .string()
      .regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, 'must be a blob container name (3-63 of a-z, 0-9, "-")'),
    /** Create the container when it is missing (otherwise a missing container is a `NotFoundError`). @default false */
    createContainer: z.boolean().default(false),
  })
  .strict();

const managementSchema = z
  .object({
    /** ARM endpoint. @default "https://management.azure.com" */
    endpoint: z.string().url().default('https://management.azure.com'),
    /** Azure subscription id (ARM path piece). */
    subscriptionId: z.string().min(1),
    /** Resource group (ARM path piece). */
    resourceGroup: z.string().min(1),
    /** Namespace resource name. @default the namespace of the URI (its first DNS label) */
    namespace: z.string().min(1).optional(),
    /** ARM api-version. @default "2024-01-01" */
    apiVersion: z.string().min(1).default('2024-01-01'),
    /**
     * How to authenticate: `azure` sends a bearer token for `https://management.azure.com/.default` from
     * DefaultAzureCredential (real ARM); `sas` sends a SharedAccessSignature for the namespace signed with the key of
     * `connectionString` (the Event Hubs stand-in's management plane; real ARM does not take it); `none` sends
     * nothing. @default "azure"
     */
    auth: z.enum(['azure', 'sas', 'none']).default('azure'),
    /** Create a missing consumer group on `subscribe` (a PUT of `…/consumergroups/<group>`). @default true */
    createConsumerGroups: z.boolean().default(true),
    /** Timeout of one management request in ms. @default 30000 */
    requestTimeoutMs: z.number().int().positive().default(30_000),
  })
  .strict();

/** Config of the `eventhubs://` transport (`connect('eventhubs://…', { config })`). */
export const eventHubsAmqpConfigSchema = z
  .object({
    /**
     * Namespace connection string by reference (`env:VAR` or `file:/path`): `Endpoint=sb://…;SharedAccessKeyName=…;
     * SharedAccessKey=…`. Without it, DefaultAzureCredential is used with the namespace of the URI.
     */
    connectionString: secretRef.optional(),
    /** Namespace tier: sets the largest event and partition limits. @default "standard" */
    tier: z.enum(EVENTHUBS_TIERS).default('standard'),
    /**
     * How a key picks its partition:
     * - `service` (default): events are published with their partition key and the service hashes it, so every
     *   Event Hubs client sees the key as the event's partition key. The partition reported back is predicted with
     *   the hash Microsoft's SDKs use client-side for the same purpose (the buffered producer's).
     * - `client`: the partition is computed with that same hash and events go to the partition directly; the key
     *   travels in the `speedlayer-key` application property (a partition sender cannot carry a partition key).
     * @default "service"
     */
    keyRouting: z.enum(['service', 'client']).default('service'),
    /** Blob checkpoint store (needed by `subscribe`). */
    checkpointStore: checkpointStoreSchema.optional(),
    /** ARM-shaped management endpoint for topic (event hub) and consumer-group administration. */
    management: managementSchema.optional(),
    /**
     * Partition claiming of the SDK's load balancer: `greedy` claims every partition it needs in one cycle (a fresh
     * group reads all its partitions at once; a joining member takes its share in one cycle), `balanced` claims one
     * partition per `updateIntervalMs` (a fresh group reads its second partition only a cycle later). Taking a
     * partition from a live member is settled either way (`handoverMs`). @default "greedy"
     */
    loadBalancing: z.enum(['balanced', 'greedy']).default('greedy'),
    /**
     * Hand-over of a partition taken from a live member, in ms: the old owner sees the claim (it polls ownership
     * every quarter of this), stops starting handlers, lets running ones finish and checkpoints within the first
     * half; the new owner reads only after the whole of it, skipping what that checkpoint covers. So a member
     * joining a busy group causes no duplicate deliveries (unless a handler outlives the first half). The SDK
     * claims one partition after another, so the value in effect is at most ownership expiration / (2 x
     * partitions) (60 s and 32 partitions: 937 ms). 0 disables the settling (the new owner reads at once from the
     * checkpoint it found). @default 3000
     */
    handoverMs: z.number().int().min(0).max(600_000).default(3000),
    /**
     * Read-ahead bound in bytes per partition: receiving pauses while the events received but not yet handled
     * hold about this many bytes (from the average event size seen). The link's credit adds at most one receive
     * batch (`maxBatchSize` events) on top. @default 16777216 (16 MiB)
     */
    maxBufferedBytesPerPartition: z
      .number()
      .int()
      .min(1024)
      .default(16 * 1024 * 1024),
    /** How often a member claims, renews and balances partition ownership, in ms. @default 10000 */
    updateIntervalMs: z.number().int().min(50).default(10_000),
    /**
     * How long an ownership lives without renewal before other members may claim it, in ms.
     * `subscribe({ sessionTimeoutMs })` overrides it per subscription. @default 60000
     */
    ownershipExpirationMs: z.number().int().min(100).default(60_000),
    /** Events per receive call. @default 100 */
    maxBatchSize: z.number().int().positive().max(10_000).default(100),
    /** Longest wait of one receive call, in ms. @default 1000 */
    maxWaitTimeMs: z.number().int().min(10).default(1000),
    /** Shortest time between two checkpoint writes per partition, in ms. @default 500 */
    commitIntervalMs: z.number().int().nonnegative().default(500),
    /** Retries of retriable AMQP failures inside the client. @default 3 */
    retries: z.number().int().nonnegative().max(50).default(3),
    /**
     * How long one `send` may take in all (partition lookup, batch creation, sending with the client's retries)
     * before it fails with a retriable `TimeoutError` naming this field; the batch may or may not have been
     * written. Bounds a send during an outage, whatever the AMQP client's own retries do. @default 60000
     */
    sendTimeoutMs: z.number().int().min(100).max(3_600_000).default(60_000),
    /** Timeout of one AMQP operation (and first retry delay base) in ms. @default 60000 */
    operationTimeoutMs: z.number().int().positive().default(60_000),
  })
  .strict();

/** Input config (what callers pass). */
export type EventHubsAmqpConfigInput = z.input<typeof eventHubsAmqpConfigSchema>;
/** Resolved config (defaults applied). */
export type EventHubsAmqpConfig = z.output<typeof eventHubsAmqpConfigSchema>;

/** JSON Schema of {@link eventHubsAmqpConfigSchema}, for docs and editors. */
export function eventHubsAmqpConfigJsonSchema(): Record<string, unknown> {
  return configJsonSchema(eventHubsAmqpConfigSchema);
}

/**
 * Turns URI query parameters into config input: `?connectionString=env:EH&checkpointStore.container=ckpt&tier=premium`.
 * Dotted keys fill nested objects; numbers and booleans are converted.
 */
export function configFromQuery(params: URLSearchParams): Record<string, unknown> {
  return coreConfigFromQuery(eventHubsAmqpConfigSchema, params);
}

function mergeNested(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    if (
      v !== null &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      prev !== null &&
      typeof prev === 'object' &&
      !Array.isArray(prev)
    ) {
      out[k] = mergeNested(prev as Record<string, unknown>, v as Record<string, unknown>);
    } else out[k] = v;
  }
  return out;
}

/**
 * Resolves config from URI query + explicit config.
 * @throws `ConfigError` naming the field (a literal secret is refused without echoing it).
 */
export function resolveEventHubsAmqpConfig(uri: ParsedUri, config: Record<string, unknown> = {}): EventHubsAmqpConfig {
  const merged = mergeNested(configFromQuery(uri.params), config);
  return resolveConfig(eventHubsAmqpConfigSchema, merged, { target: TARGET });
}

/** Where the namespace is, from the URI. */
export interface NamespaceAddress {
  /** Fully-qualified namespace host, e.g. `my-ns.servicebus.windows.net` (or `127.0.0.1` for a loopback stand-in). */
  fullyQualifiedNamespace: string;
  /** Port when the URI names one. */
  port?: number;
  /** The namespace resource name (first DNS label), for ARM paths. */
  name: string;
}

/**
 * Parses the location of `eventhubs://<namespace>`: a bare name becomes `<name>.servicebus.windows.net`; a host
 * name (with dots) is kept; `host:port` keeps its port.
 * @throws `ConfigError` (field `uri`) for anything else.
 */
export function parseNamespace(location: string): NamespaceAddress {
  const loc = decodeURIComponent(location.replace(/\/+$/, ''));
  const m = /^([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::(\d{1,5}))?$/.exec(loc);
  if (!m || Number(m[2] ?? 1) < 1 || Number(m[2] ?? 1) > 65_535) {
    throw new ConfigError(
      `uri: eventhubs:// needs a namespace, e.g. eventhubs://my-namespace or eventhubs://my-namespace.servicebus.windows.net (a port 1-65535), got "${loc}"`,
      { field: 'uri', target: TARGET },
    );
  }
  const host = (m[1] ?? '').toLowerCase();
  const fullyQualifiedNamespace = host.includes('.') ? host : `${host}.servicebus.windows.net`;
  return {
    fullyQualifiedNamespace,
    ...(m[2] ? { port: Number(m[2]) } : {}),
    name: host.split('.')[0] ?? host,
  };
}
