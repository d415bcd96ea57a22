/**
 * Config of the `eventhubs+kafka://<namespace>` transport (Event Hubs' Kafka endpoint through the Kafka driver):
 * one zod schema (also printed as JSON Schema), fed from the URI query and from `connect(uri, { config })` (the
 * config object wins). The connection string is a reference only (`env:VAR`, `file:/path`); a literal is refused
 * naming `connectionString`, and its value is never echoed.
 *
 * Event Hubs' Kafka endpoint rules kept here, each with the page it was read from:
 * - endpoint `<namespace>.servicebus.windows.net:9093`, SASL_SSL with PLAIN, username `$ConnectionString`, password
 *   the namespace (or event hub) connection string; generated SAS tokens are not accepted
 *   (https://learn.microsoft.com/en-us/azure/event-hubs/azure-event-hubs-kafka-overview, 2023-11-16);
 * - no Kafka endpoint on the Basic tier (same page: "supported only in the standard, premium and dedicated tiers");
 * - `max.request.size` must stay below 1,046,528 bytes (1,000,000 recommended), `request.timeout.ms` above 20,000
 *   (60,000 recommended), `metadata.max.age.ms` below 240,000, `session.timeout.ms` 6,000-300,000
 *   (https://learn.microsoft.com/en-us/azure/event-hubs/apache-kafka-configurations, 2025-12-17);
 * - `group.id` at most 256 characters; offset commits throttled to 4 per second per partition
 *   (https://learn.microsoft.com/en-us/azure/event-hubs/apache-kafka-troubleshooting-guide, 2020-06-23).
 * Partition and retention limits per tier come from the planning profile's `TIERS` (Event Hubs quotas page).
 *
 * @packageDocumentation
 */

import {
  ConfigError,
  configFromQuery,
  configJsonSchema,
  type ParsedUri,
  parseHostList,
  readSecretRef,
  resolveConfig,
  z,
} from '@speedlayer/core';
import { type KafkaConfigInput, kafkaConfigSchema } from '@speedlayer/kafka';
import { TIERS, type Tier, type TierLimits } from '../plan/limits.js';
import { EVENTHUBS_KAFKA_REQUEST_BYTES } from '../target.js';

const TARGET = 'azure-eventhubs-aks';

/** Port of Event Hubs' Kafka endpoint. */
export const EVENTHUBS_KAFKA_PORT = 9093;

/**
 * Event Hubs closes the connection of a Kafka produce request of 1,046,528 bytes or more
 * (https://learn.microsoft.com/en-us/azure/event-hubs/apache-kafka-configurations).
 */
export const EVENTHUBS_KAFKA_REQUEST_LIMIT_BYTES = 1_046_528;

/** Bytes of records put in one produce request (declared with the descriptor, `../target.ts`). */
export { EVENTHUBS_KAFKA_REQUEST_BYTES };

/** `session.timeout.ms` range Event Hubs accepts (client configurations page). */
export const EVENTHUBS_KAFKA_SESSION_TIMEOUT_MS = { min: 6000, max: 300_000 } as const;

const REF_RE = /^(env:.+|file:.+)$/;
const REF_MESSAGE =
  'must be a secret reference "env:VAR" or "file:/path" to the namespace connection string, never the string itself';

/** Config of the `eventhubs+kafka://` transport (`connect('eventhubs+kafka://…', { config })`). */
export const eventHubsKafkaConfigSchema = kafkaConfigSchema
  .pick({
    clientId: true,
    caFile: true,
    tlsServerName: true,
    connectionTimeoutMs: true,
    retries: true,
    initialRetryMs: true,
    idempotent: true,
    maxBytesPerPartition: true,
    maxWaitTimeMs: true,
    partitionsConsumedConcurrently: true,
    rebalanceTimeoutMs: true,
  })
  .extend({
    /**
     * The connection string by reference (`env:VAR` or `file:/path`): `Endpoint=sb://<namespace>.servicebus.windows.net/;
     * SharedAccessKeyName=<rule>;SharedAccessKey=<key>[;EntityPath=<hub>]`. It is the SASL PLAIN password of the user
     * `$ConnectionString`, read when connecting and never logged.
     */
    connectionString: z.string({ error: `required: ${REF_MESSAGE}` }).regex(REF_RE, REF_MESSAGE),
    /**
     * Namespace tier: partition and retention limits, partition growth. Basic has no Kafka endpoint and is refused.
     * @default "standard"
     */
    tier: z.enum(['basic', 'standard', 'premium', 'dedicated']).default('standard'),
    /** Request timeout in ms; Event Hubs needs more than 20000. @default 60000 (Microsoft's recommendation) */
    requestTimeoutMs: z.number().int().min(20_001).default(60_000),
    /** How long a cached partition count is trusted, in ms; Event Hubs needs less than 240000. @default 30000 */
    metadataMaxAgeMs: z.number().int().nonnegative().max(239_999).default(30_000),
    /** Shortest time between two checkpoint writes per partition, in ms (Event Hubs allows 4 commits/s). @default 250 */
    commitIntervalMs: z.number().int().min(250).default(250),
  })
  .strict();

/** Input config (what callers pass). */
export type EventHubsKafkaConfigInput = z.input<typeof eventHubsKafkaConfigSchema>;
/** Resolved config (defaults applied). */
export type EventHubsKafkaConfig = z.output<typeof eventHubsKafkaConfigSchema>;

/** JSON Schema of {@link eventHubsKafkaConfigSchema}, for docs and editors. */
export function eventHubsKafkaConfigJsonSchema(): Record<string, unknown> {
  return configJsonSchema(eventHubsKafkaConfigSchema);
}

/**
 * Turns URI query parameters into config input: `?connectionString=file:/run/eh&tier=premium&caFile=/ca.pem`.
 * Numbers and booleans are converted; unknown keys are kept so that the schema names them.
 */
export function eventHubsKafkaConfigFromQuery(params: URLSearchParams): Record<string, unknown> {
  return configFromQuery(eventHubsKafkaConfigSchema, params);
}

/** Resolves config from URI query + explicit config. @throws `ConfigError` naming the field. */
export function resolveEventHubsKafkaConfig(uri: ParsedUri, config: Record<string, unknown> = {}): EventHubsKafkaConfig {
  const merged = { ...eventHubsKafkaConfigFromQuery(uri.params), ...config };
  return resolveConfig(eventHubsKafkaConfigSchema, merged, { target: TARGET, what: 'eventhubs+kafka config' });
}

/** Where the Kafka endpoint is, from the URI. */
export interface EventHubsKafkaEndpoint {
  /** Bootstrap servers, `host:port`. */
  brokers: string[];
  /** Namespace host (`<name>.servicebus.windows.net`), or undefined for an explicit `host:port`. */
  host: string | undefined;
  /** Namespace name (first DNS label), or undefined for an explicit `host:port`. */
  namespace: string | undefined;
  /** True when the URI gave `host:port` itself (a local peer, a private endpoint): no namespace check then. */
  explicit: boolean;
}

/** Namespace name rule: 6-50 letters, digits and hyphens, starting with a letter, ending with a letter or digit. */
const NAMESPACE_RE = /^[A-Za-z][A-Za-z0-9-]{4,48}[A-Za-z0-9]$/;
const FQDN_RE = /^([A-Za-z][A-Za-z0-9-]{4,48}[A-Za-z0-9])(\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

/**
 * Maps the location of `eventhubs+kafka://<location>` to the Kafka endpoint: a bare namespace name becomes
 * `<name>.servicebus.windows.net:9093`, a namespace FQDN `<fqdn>:9093` (sovereign clouds keep their domain), and
 * `host:port` is taken as is.
 * @throws `ConfigError` (field `uri`) for anything else.
 */
export function eventHubsKafkaEndpoint(location: string): EventHubsKafkaEndpoint {
  const loc = decodeURIComponent(location).trim().replace(/\/+$/, '');
  if (/:\d{1,5}$/.test(loc)) {
    return { brokers: parseHostList(loc, 'uri'), host: undefined, namespace: undefined, explicit: true };
  }
  if (NAMESPACE_RE.test(loc)) {
    const namespace = loc.toLowerCase();
    const host = `${namespace}.servicebus.windows.net`;
    return { brokers: [`${host}:${EVENTHUBS_KAFKA_PORT}`], host, namespace, explicit: false };
  }
  const m = FQDN_RE.exec(loc);
  if (m) {
    const host = loc.toLowerCase();
    return { brokers: [`${host}:${EVENTHUBS_KAFKA_PORT}`], host, namespace: (m[1] ?? '').toLowerCase(), explicit: false };
  }
  throw new ConfigError(
    `uri: eventhubs+kafka:// needs a namespace name (6-50 letters, digits and hyphens, starting with a letter), its host name (my-namespace.servicebus.windows.net) or host:port, got "${loc}"`,
    { field: 'uri', target: TARGET },
  );
}

/** What a connection string says, without its secret. */
export interface EventHubsConnectionStringShape {
  /** Host of `Endpoint=sb://<host>/`, lower case. */
  endpointHost: string;
  /** `SharedAccessKeyName`, when present. */
  sharedAccessKeyName: string | undefined;
  /** `key`: SharedAccessKeyName + SharedAccessKey; `signature`: a generated SharedAccessSignature token. */
  credential: 'key' | 'signature';
  /** `EntityPath`: the one event hub the string is scoped to, if any. */
  entityPath: string | undefined;
}

const SHAPE = 'Endpoint=sb://<namespace>.servicebus.windows.net/;SharedAccessKeyName=<rule>;SharedAccessKey=<key>';
const KNOWN_PARTS = new Set([
  'endpoint',
  'sharedaccesskeyname',
  'sharedaccesskey',
  'sharedaccesssignature',
  'entitypath',
  'usedevelopmentemulator',
]);

function shapeError(what: string): ConfigError {
  return new ConfigError(`connectionString: ${what}; expected ${SHAPE} (the value is not shown)`, {
    field: 'connectionString',
    target: TARGET,
  });
}

/**
 * Checks the shape of an Event Hubs connection string: `Endpoint=sb://…/` and either `SharedAccessKeyName` +
 * `SharedAccessKey` or `SharedAccessSignature`, optional `EntityPath`. Part names are case-insensitive, as in
 * Microsoft's SDKs. Errors name the part at fault, never a value.
 * @throws `ConfigError` (field `connectionString`).
 */
export function parseEventHubsConnectionString(text: string): EventHubsConnectionStringShape {
  const parts = new Map<string, string>();
  const segments = text
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
  if (segments.length === 0) throw shapeError('it is empty');
  segments.forEach((segment, i) => {
    const eq = segment.indexOf('=');
    if (eq <= 0) throw shapeError(`part ${i + 1} is not name=value`);
    const name = segment.slice(0, eq).trim().toLowerCase();
    // never print an unknown name: a pasted key ("abc…=") would show up as one
    if (!KNOWN_PARTS.has(name))
      throw shapeError(
        `part ${i + 1} is not one of Endpoint, SharedAccessKeyName, SharedAccessKey, SharedAccessSignature, EntityPath`,
      );
    if (parts.has(name)) throw shapeError(`it has ${segment.slice(0, eq).trim()} twice`);
    parts.set(name, segment.slice(eq + 1).trim());
  });
  const endpoint = parts.get('endpoint');
  if (!endpoint) throw shapeError('Endpoint is missing');
  const m = /^sb:\/\/([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::\d{1,5})?\/?$/i.exec(endpoint);
  if (!m) throw shapeError('Endpoint is not sb://<host>/');
  const keyName = parts.get('sharedaccesskeyname');
  const key = parts.get('sharedaccesskey');
  const signature = parts.get('sharedaccesssignature');
  if (signature !== undefined && (key !== undefined || keyName !== undefined)) {
    throw shapeError('it has both SharedAccessSignature and SharedAccessKeyName/SharedAccessKey');
  }
  let credential: 'key' | 'signature';
  if (signature !== undefined) {
    if (signature === '') throw shapeError('SharedAccessSignature is empty');
    credential = 'signature';
  } else {
    if (!keyName) throw shapeError('SharedAccessKeyName is missing or empty');
    if (!key) throw shapeError('SharedAccessKey is missing or empty');
    credential = 'key';
  }
  const entityPath = parts.get('entitypath');
  if (entityPath === '') throw shapeError('EntityPath is empty');
  return { endpointHost: (m[1] ?? '').toLowerCase(), sharedAccessKeyName: keyName, credential, entityPath };
}

/** The limits of a tier that has a Kafka endpoint. @throws `ConfigError` (field `tier`) for Basic. */
export function eventHubsKafkaTier(tier: Tier): TierLimits {
  const limits = TIERS[tier];
  if (!limits.kafkaEndpoint) {
    throw new ConfigError(
      `tier: the ${tier} tier of Event Hubs has no Kafka endpoint (only standard, premium and dedicated do: https://learn.microsoft.com/en-us/azure/event-hubs/azure-event-hubs-kafka-overview); use eventhubs:// (AMQP) or another tier`,
      { field: 'tier', target: TARGET },
    );
  }
  return limits;
}

/** Everything needed to open the Kafka client, with the secret still a reference. */
export interface EventHubsKafkaConnection {
  /** Where the endpoint is. */
  endpoint: EventHubsKafkaEndpoint;
  /** The tier's limits. */
  limits: TierLimits;
  /** What the connection string says (no secret). */
  connectionString: EventHubsConnectionStringShape;
  /** Config for the Kafka driver: SASL_SSL, PLAIN, `$ConnectionString`, the password by reference. */
  kafka: KafkaConfigInput;
}

/**
 * Checks the URI, the tier and the connection string (read through its reference, checked, then dropped), and
 * builds the Kafka driver's config. The namespace of the connection string's Endpoint must be the URI's, unless
 * the URI gives `host:port`.
 * @throws `ConfigError` naming `uri`, `tier` or `connectionString` (never with the secret).
 */
export async function resolveEventHubsKafkaConnection(
  uri: ParsedUri,
  config: EventHubsKafkaConfig,
): Promise<EventHubsKafkaConnection> {
  const endpoint = eventHubsKafkaEndpoint(uri.location);
  const limits = eventHubsKafkaTier(config.tier);
  let text: string;
  try {
    text = await readSecretRef(config.connectionString, 'connectionString');
  } catch (e) {
    throw new ConfigError((e as Error).message, { field: 'connectionString', target: TARGET, cause: e });
  }
  const shape = parseEventHubsConnectionString(text);
  if (shape.credential === 'signature') {
    throw new ConfigError(
      'connectionString: Event Hubs’ Kafka endpoint does not accept generated shared access signature tokens (SharedAccessSignature=…); use a SharedAccessKeyName/SharedAccessKey connection string (https://learn.microsoft.com/en-us/azure/event-hubs/azure-event-hubs-kafka-overview)',
      { field: 'connectionString', target: TARGET },
    );
  }
  if (!endpoint.explicit && shape.endpointHost !== endpoint.host) {
    throw new ConfigError(
      `connectionString: its Endpoint is sb://${shape.endpointHost}/ but the URI names the namespace ${endpoint.host}; use the connection string of that namespace (or eventhubs+kafka://${shape.endpointHost})`,
      { field: 'connectionString', target: TARGET },
    );
  }
  // everything but the Event Hubs fields passes through to the Kafka driver; its SASL and limits are Event Hubs'
  const { connectionString, tier: _tier, ...passThrough } = config;
  const kafka: KafkaConfigInput = {
    ...passThrough,
    tls: true,
    sasl: { mechanism: 'plain', username: '$ConnectionString', password: connectionString },
    messageMaxBytes: EVENTHUBS_KAFKA_REQUEST_BYTES,
    maxRequestBytes: EVENTHUBS_KAFKA_REQUEST_BYTES,
    replicationFactor: -1,
  };
  return { endpoint, limits, connectionString: shape, kafka };
}
