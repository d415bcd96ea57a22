/**
 * The Pub/Sub stream adapter: `pubsub://<project>[?emulatorHost=host:port]`.
 *
 * @packageDocumentation
 */
import type { StreamFactory } from '@speedlayer/core';
import { createPubsubStreamClient } from './client.js';

export { createPubsubStreamClient, type PubsubClientOptions, PubsubStreamClient } from './client.js';
export {
  ACK_DEADLINE_MAX_SECONDS,
  ACK_DEADLINE_MIN_SECONDS,
  PUBSUB_TARGET,
  type PubsubConfig,
  type PubsubEndpoint,
  parsePubsubUri,
  pubsubConfigSchema,
  resolvePubsubConfig,
} from './config.js';
export { type BacklogCount, LAG_RESOURCE_LABEL, LAG_RESOURCE_PREFIX, type PubsubLagOptions } from './lag.js';
export {
  checkPubsubRecord,
  classifyPubsubError,
  PUBSUB_RECORD_LIMITS,
  pubsubCapabilities,
  pubsubMessageBytes,
  recordAttributes,
  subscriptionName,
  TIMESTAMP_ATTRIBUTE,
  validatePubsubTopic,
} from './mapping.js';

/**
 * What `connect('pubsub://...')` calls (through the registry).
 *
 * @example
 * ```ts
 * import { connect } from '@speedlayer/core';
 * const client = await connect('pubsub://my-project'); // Application Default Credentials
 * await client.admin.ensureTopic('orders');
 * ```
 */
export const streamFactory: StreamFactory = (uri, options) =>
  createPubsubStreamClient(uri, {
    ...(options.config !== undefined ? { config: options.config } : {}),
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
