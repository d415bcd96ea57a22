/**
 * PLACEHOLDER (being written): the `eventhubs://` AMQP transport.
 *
 * @packageDocumentation
 */
import { type ConnectOptions, type ParsedUri, type StreamClient, UnsupportedError } from '@speedlayer/core';

/** Connects to an event hub namespace over AMQP. */
export async function createEventHubsAmqpClient(_uri: ParsedUri, _options: ConnectOptions): Promise<StreamClient> {
  throw new UnsupportedError('eventhubs:// is not implemented yet');
}
