/**
 * The `eventhubs+kafka://<namespace>` transport: an event hub namespace through its Kafka endpoint
 * (`<namespace>.servicebus.windows.net:9093`, SASL_SSL, PLAIN with the user `$ConnectionString` and the connection
 * string, given by reference, as password): the shared Kafka driver of `@speedlayer/kafka` with Event Hubs' dialect.
 * The topic is the event hub name. Event Hubs' limits (tier partitions and retention, no partition growth on Standard, request
 * size, group ids, session timeouts) are enforced before anything reaches the endpoint.
 *
 * @example
 * ```ts
 * import { connect } from '@speedlayer/core';
 * const client = await connect('eventhubs+kafka://my-namespace?connectionString=env:EVENTHUBS_CONNECTION_STRING');
 * await client.producer().send('orders', [{ key: 'customer-1', value: '{"total":3}' }]);
 * await client.close();
 * ```
 *
 * @packageDocumentation
 */
export {
  createEventHubsKafkaClient,
  eventHubsKafkaCapabilities,
  eventHubsKafkaDialect,
  mapEventHubsKafkaError,
} from './client.js';
export {
  EVENTHUBS_KAFKA_PORT,
  EVENTHUBS_KAFKA_REQUEST_BYTES,
  EVENTHUBS_KAFKA_REQUEST_LIMIT_BYTES,
  EVENTHUBS_KAFKA_SESSION_TIMEOUT_MS,
  type EventHubsConnectionStringShape,
  type EventHubsKafkaConfig,
  type EventHubsKafkaConfigInput,
  type EventHubsKafkaConnection,
  type EventHubsKafkaEndpoint,
  eventHubsKafkaConfigFromQuery,
  eventHubsKafkaConfigJsonSchema,
  eventHubsKafkaConfigSchema,
  eventHubsKafkaEndpoint,
  eventHubsKafkaTier,
  parseEventHubsConnectionString,
  resolveEventHubsKafkaConfig,
  resolveEventHubsKafkaConnection,
} from './config.js';
