/**
 * The `eventhubs+kafka://` stream driver: the shared Kafka driver (`@speedlayer/kafka`) with Event Hubs' dialect —
 * only what differs from Apache Kafka:
 * - the endpoint and SASL_SSL PLAIN with the user `$ConnectionString` (see `config.ts`);
 * - topics are event hubs: names start and end with a letter or digit; partitions (declared `maxPartitions`, checked
 *   by the portable client) and retention within the tier's limits; no partition growth on Standard (declared, so
 *   `growPartitions` is an `UnsupportedError`); `ensureTopic` on an event hub that exists only describes it;
 * - produce requests below Event Hubs' 1,046,528-byte request limit (`maxRequestBytes`), records below it too;
 * - session timeouts within 6-300 s (group ids: the portable client's 255 characters are within Event Hubs' 256);
 * - a produce answered with `POLICY_VIOLATION` is throttling, not a refused topic policy.
 *
 * @packageDocumentation
 */
import {
  ConfigError,
  type ConnectOptions,
  type ParsedUri,
  type SpeedlayerError,
  type StreamCapabilities,
  ThrottledError,
  UnsupportedError,
  ValidationError,
} from '@speedlayer/core';
import { createKafkaStreamClient, type KafkaDialect, type KafkaStreamClient, RECORD_OVERHEAD_BYTES } from '@speedlayer/kafka';
import type { TierLimits } from '../plan/limits.js';
import { EVENTHUBS_KAFKA_FLAGS } from '../target.js';
import {
  EVENTHUBS_KAFKA_REQUEST_BYTES,
  EVENTHUBS_KAFKA_SESSION_TIMEOUT_MS,
  type EventHubsKafkaConfig,
  type EventHubsKafkaConnection,
  resolveEventHubsKafkaConfig,
  resolveEventHubsKafkaConnection,
} from './config.js';

const TARGET = 'azure-eventhubs-aks';
/** Event hub names: letters, digits, `.`, `_`, `-`, starting and ending with a letter or digit. */
const HUB_EDGES = /^[A-Za-z0-9](?:.*[A-Za-z0-9])?$/;

/**
 * What Event Hubs' Kafka endpoint can do on a tier: what the Kafka driver declares, the descriptor's flags of
 * `eventhubs+kafka://` (`EVENTHUBS_KAFKA_FLAGS`) and the tier's limits.
 */
export function eventHubsKafkaCapabilities(base: StreamCapabilities, limits: TierLimits): StreamCapabilities {
  return {
    ...base,
    ...EVENTHUBS_KAFKA_FLAGS,
    partitionGrowth: limits.partitionsCanGrow, // premium and dedicated only
    maxPartitions: limits.partitionsPerHub.value,
    maxMessageBytes: Math.min(limits.maxEventBytes.value, EVENTHUBS_KAFKA_REQUEST_BYTES) - RECORD_OVERHEAD_BYTES,
  };
}

/**
 * Reads an error as Event Hubs means it: a produce answered with `POLICY_VIOLATION` is throttling (the request waited
 * past its timeout for throughput units, https://learn.microsoft.com/en-us/azure/event-hubs/apache-kafka-troubleshooting-guide),
 * so a retriable `ThrottledError`.
 */
export function mapEventHubsKafkaError(e: SpeedlayerError): SpeedlayerError {
  if (e.kind !== 'validation' || !/\bPOLICY_VIOLATION\b/.test(e.message) || !/^send to /.test(e.message)) return e;
  const text = `${e.message} (Event Hubs: throttled, the namespace's throughput units are exhausted; retry later)`;
  return new ThrottledError(text, { target: TARGET, cause: e });
}

/** Event Hubs' dialect of the Kafka driver for one connection (tier, endpoint, connection string shape). */
export function eventHubsKafkaDialect(config: EventHubsKafkaConfig, connection: EventHubsKafkaConnection): KafkaDialect {
  const { tier } = config;
  const { limits, endpoint } = connection;
  const facts = {
    tier,
    maxPartitions: limits.partitionsPerHub.value,
    partitionGrowth: limits.partitionsCanGrow,
    maxRetentionHours: limits.retentionHours.value,
  };
  return {
    target: TARGET,
    schemes: ['eventhubs+kafka'],
    brokers: async () => ({ brokers: endpoint.brokers, tls: true }),
    capabilities: (base) => eventHubsKafkaCapabilities(base, limits),
    checks: {
      topic: (topic) => {
        if (HUB_EDGES.test(topic)) return;
        const text = `topic "${topic}" is not an event hub name: it must start and end with a letter or digit`;
        throw new ValidationError(text, { field: 'topic', target: TARGET });
      },
      ensureTopic: (_topic, { retentionHours }) => {
        if (retentionHours !== undefined && retentionHours > limits.retentionHours.value) {
          throw new ValidationError(
            `retentionHours: the ${tier} tier keeps events at most ${limits.retentionHours.value} hours, got ${retentionHours} (${limits.retentionHours.source})`,
            { field: 'retentionHours', target: TARGET },
          );
        }
      },
      growPartitions: () => {
        if (!limits.partitionsCanGrow) {
          throw new UnsupportedError(
            `partitions: the partition count of an event hub on the ${tier} tier is fixed at creation; only premium and dedicated can add partitions (https://learn.microsoft.com/en-us/azure/event-hubs/dynamically-add-partitions)`,
            { field: 'partitions', target: TARGET },
          );
        }
      },
      subscribe: ({ sessionTimeoutMs: session }) => {
        const { min, max: most } = EVENTHUBS_KAFKA_SESSION_TIMEOUT_MS;
        if (session !== undefined && (session < min || session > most)) {
          const text = `sessionTimeoutMs: Event Hubs accepts ${min}-${most} ms, got ${session}`;
          throw new ConfigError(text, { field: 'sessionTimeoutMs', target: TARGET });
        }
      },
    },
    describeBeforeCreate: true,
    topicDetails: (info) => ({ ...info, details: { ...info.details, eventHubs: facts } }),
    mapError: mapEventHubsKafkaError,
    describe: () => ({
      transport: 'kafka',
      namespace: endpoint.namespace,
      ...facts,
      maxEventBytes: limits.maxEventBytes.value,
      sharedAccessKeyName: connection.connectionString.sharedAccessKeyName,
      entityPath: connection.connectionString.entityPath,
    }),
  };
}

/**
 * Connects to an event hub namespace through its Kafka endpoint: `eventhubs+kafka://<namespace>` (or its host name,
 * or `host:port`) with `connectionString=env:VAR|file:/path` in the query or config.
 * @throws `ConfigError` (bad URI, tier, connection string), `AuthError` (the endpoint refused the connection
 * string), `ConnectionError` (unreachable, TLS).
 */
export async function createEventHubsKafkaClient(uri: ParsedUri, options: ConnectOptions): Promise<KafkaStreamClient> {
  const config = resolveEventHubsKafkaConfig(uri, options.config ?? {});
  const connection = await resolveEventHubsKafkaConnection(uri, config);
  // the query was read into `config`; the driver gets the Kafka config built from it
  const bare: ParsedUri = { ...uri, params: new URLSearchParams() };
  const logger = options.logger !== undefined ? { logger: options.logger } : {};
  return createKafkaStreamClient(bare, { config: connection.kafka, ...logger }, eventHubsKafkaDialect(config, connection));
}
