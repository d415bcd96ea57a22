/**
 * `@speedlayer/gcp-pubsub-gke/target`: the descriptor of the Pub/Sub + GKE target (`pubsub://<project>`). Plain data:
 * the stream factory, limits, prices and planning profile it names load only when used.
 *
 * @packageDocumentation
 */
import { defineTarget, type StreamCapabilities, type TargetDescriptor } from '@speedlayer/core';

/**
 * The contract flags and record limits of `pubsub://` (https://cloud.google.com/pubsub/quotas#resource_limits); the
 * driver adds those that depend on Seek (`timestampSeek`, `historyForNewGroups`).
 */
export const PUBSUB_FLAGS = {
  nativeHeaders: true,
  partitions: false,
  partitionGrowth: false,
  nativeConsumerGroups: true,
  idempotentProduce: false,
  // The engine's retries + dead-letter publish carry `maxAttempts` and the error headers; Pub/Sub's own
  // dead-letter policy is only an optional backstop (config `nativeDeadLetterAttempts`).
  nativeDeadLetter: false,
  /** Largest message (data + attributes + ordering key), bytes. */
  maxMessageBytes: 10_000_000,
  /** Attributes per message. */
  maxHeaders: 100,
  multiProcess: true,
  durable: true,
} as const satisfies Partial<StreamCapabilities>;

/** `gcp-pubsub-gke`. */
export const pubsubGkeDescriptor: TargetDescriptor = defineTarget({
  id: 'gcp-pubsub-gke',
  title: 'Google Cloud Pub/Sub + GKE',
  package: '@speedlayer/gcp-pubsub-gke',
  streamSchemes: ['pubsub'],
  capabilities: PUBSUB_FLAGS,
  messagingSystem: 'gcp_pubsub',
  terms: { headers: 'Pub/Sub attributes', positions: 'Pub/Sub message ids' },
  baselines: { pubsub: { name: 'raw-google-cloud-pubsub', open: { module: '@speedlayer/bench', export: 'openPubSubBaseline' } } },
  deploy: { compute: 'gke://', workload: 'kubernetes' },
  planExports: { limits: 'PUBSUB_LIMITS', prices: 'PUBSUB_GKE_PRICES' },
  conformance: {
    stream: [{ name: 'pubsub (pstest)', scheme: 'pubsub', peer: 'pubsub', nativeClient: 'PubSub', lag: false }],
  },
});

/** The package's targets (read by core's registry). */
export const targets: readonly TargetDescriptor[] = [pubsubGkeDescriptor];
