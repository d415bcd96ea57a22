/**
 * The `eventhubs://<namespace>` transport: Event Hubs over AMQP 1.0 with `@azure/event-hubs`, checkpoints and
 * partition ownership in Azure Blob Storage (`@azure/eventhubs-checkpointstore-blob`, the layout KEDA's
 * `azure-eventhub` scaler reads with `checkpointStrategy: blobMetadata`), credentials from a connection-string
 * reference or DefaultAzureCredential, and hub administration through an ARM-shaped management endpoint.
 *
 * @packageDocumentation
 */
export { createEventHubsAmqpClient, eventHubsAmqpCapabilities } from './client.js';
export {
  configFromQuery as eventHubsAmqpConfigFromQuery,
  EVENTHUBS_TIERS,
  type EventHubsAmqpConfig,
  type EventHubsAmqpConfigInput,
  type EventHubsTier,
  eventHubsAmqpConfigJsonSchema,
  eventHubsAmqpConfigSchema,
  HUB_TIER_LIMITS,
  type HubTierLimits,
  type NamespaceAddress,
  parseNamespace,
  resolveEventHubsAmqpConfig,
} from './config.js';
export { type AmqpErrorContext, mapAmqpError, mapStorageError } from './errors.js';
export { partitionForKey, partitionKeyHash } from './hash.js';
export { KEY_PROPERTY, TIMESTAMP_PROPERTY } from './producer.js';
