/**
 * The Event Hubs stream adapter, two transports of the same hubs:
 * - `eventhubs://<namespace>` over AMQP 1.0 with `@azure/event-hubs` (see the `amqp` module);
 * - `eventhubs+kafka://<namespace>` over Event Hubs' Kafka endpoint, reusing the Kafka adapter with SASL_SSL PLAIN
 *   and the `$ConnectionString` user (see the `kafka` module).
 *
 * @packageDocumentation
 */
import type { StreamFactory } from '@speedlayer/core';

export * from '../amqp/index.js';
export * from '../kafka/index.js';

/**
 * The stream factory the registry loads for `eventhubs://` and `eventhubs+kafka://` URIs.
 *
 * @example
 * ```ts
 * import { connect } from '@speedlayer/core';
 * const client = await connect('eventhubs+kafka://my-namespace?connectionString=env:EVENTHUBS_CONNECTION_STRING');
 * ```
 */
export const streamFactory: StreamFactory = async (uri, options) => {
  if (uri.scheme === 'eventhubs+kafka') {
    const { createEventHubsKafkaClient } = await import('../kafka/index.js');
    return createEventHubsKafkaClient(uri, options);
  }
  const { createEventHubsAmqpClient } = await import('../amqp/index.js');
  return createEventHubsAmqpClient(uri, options);
};
