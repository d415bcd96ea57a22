/**
 * `@speedlayer/azure-eventhubs-aks/target`: the descriptor of the Event Hubs + AKS target (`eventhubs://<namespace>`
 * over AMQP, `eventhubs+kafka://<namespace>` through the Kafka endpoint). Plain data: the stream factory, limits,
 * prices and planning profile it names load only when used.
 *
 * @packageDocumentation
 */
import { defineTarget, type StreamCapabilities, type TargetDescriptor } from '@speedlayer/core';
import { KAFKA_FLAGS, kafkaConformance } from '@speedlayer/kafka/target';

/**
 * Bytes of records (with their Kafka framing) put in one produce request to the Kafka endpoint: Microsoft's
 * recommended `max.request.size` of 1,000,000, which leaves room for the request's own header below the 1,046,528 bytes
 * at which Event Hubs closes the connection (`EVENTHUBS_KAFKA_REQUEST_LIMIT_BYTES`,
 * https://learn.microsoft.com/en-us/azure/event-hubs/apache-kafka-configurations). Larger batches are split into
 * several requests, in order.
 */
export const EVENTHUBS_KAFKA_REQUEST_BYTES = 1_000_000;

/**
 * The contract flags of `eventhubs://` (AMQP) on every tier; the driver adds the tier's (`partitionGrowth`,
 * `maxMessageBytes`).
 */
export const EVENTHUBS_AMQP_FLAGS = {
  nativeHeaders: true,
  partitions: true,
  // Consumer groups exist on the service, but members share partitions through blob ownership records that the
  // client library balances: the group's membership is emulated, like a lease table.
  nativeConsumerGroups: false,
  timestampSeek: true,
  // The service does not return offsets or sequence numbers of published events.
  producePositions: false,
  idempotentProduce: false,
  nativeDeadLetter: false,
  multiProcess: true,
  durable: true,
} as const satisfies Partial<StreamCapabilities>;

// partition growth depends on the tier (premium and dedicated only): the driver sets it
const { partitionGrowth: _byTier, ...kafkaFlags } = KAFKA_FLAGS;

/**
 * The flags of `eventhubs+kafka://`: Kafka's (headers are the events' application properties; groups and offsets are
 * kept by the service) and the produce request size; the driver adds the tier's (`partitionGrowth`, `maxPartitions`,
 * `maxMessageBytes`) and Kafka's config-dependent ones.
 */
export const EVENTHUBS_KAFKA_FLAGS = {
  ...kafkaFlags,
  maxBatchBytes: EVENTHUBS_KAFKA_REQUEST_BYTES,
} as const satisfies Partial<StreamCapabilities>;

/** `azure-eventhubs-aks`. */
export const eventHubsAksDescriptor: TargetDescriptor = defineTarget({
  id: 'azure-eventhubs-aks',
  title: 'Azure Event Hubs + AKS',
  package: '@speedlayer/azure-eventhubs-aks',
  streamSchemes: ['eventhubs', 'eventhubs+kafka'],
  schemeCapabilities: { eventhubs: EVENTHUBS_AMQP_FLAGS, 'eventhubs+kafka': EVENTHUBS_KAFKA_FLAGS },
  messagingSystem: 'eventhubs',
  terms: { headers: 'Event Hubs application properties', positions: 'Event Hubs offsets' },
  baselines: {
    eventhubs: { name: 'raw-azure-event-hubs', open: { module: '@speedlayer/bench', export: 'openEventHubsBaseline' } },
    'eventhubs+kafka': {
      name: 'raw-kafkajs-eventhubs',
      open: { module: '@speedlayer/bench', export: 'openEventHubsKafkaBaseline' },
    },
  },
  deploy: { compute: 'aks://', workload: 'kubernetes' },
  planExports: { limits: 'EH_LIMITS', prices: 'EH_AKS_PRICES' },
  conformance: {
    stream: [
      {
        // the project's AMQP stand-in (no Event Hubs server runs locally); ownership expires after 3 s
        name: 'eventhubs AMQP stand-in + Azurite checkpoints',
        scheme: 'eventhubs',
        peer: 'eventhubs-standin',
        nativeClient: false,
        subscribeDefaults: { sessionTimeoutMs: 3000 },
        slowness: 2,
      },
      { ...kafkaConformance, name: 'eventhubs+kafka (SASL_SSL, PLAIN $ConnectionString)', scheme: 'eventhubs+kafka' },
    ],
  },
});

/** The package's targets (read by core's registry). */
export const targets: readonly TargetDescriptor[] = [eventHubsAksDescriptor];
