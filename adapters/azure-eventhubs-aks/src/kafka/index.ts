/**
 * PLACEHOLDER (being written): the `eventhubs+kafka://` transport.
 *
 * @packageDocumentation
 */
import { type ConnectOptions, type ParsedUri, type StreamClient, UnsupportedError } from '@speedlayer/core';

/** Connects to an event hub namespace through its Kafka endpoint. */
export async function createEventHubsKafkaClient(_uri: ParsedUri, _options: ConnectOptions): Promise<StreamClient> {
  throw new UnsupportedError('eventhubs+kafka:// is not implemented yet');
}
