/**
 * `@speedlayer/gcp-pubsub-gke/target`: the descriptor of the Pub/Sub + GKE target (`pubsub://<project>`). Plain data:
 * the stream factory, limits, prices and planning profile it names load only when used.
 *
 * @packageDocumentation
 */
import { defineTarget, type TargetDescriptor } from '@speedlayer/core';

/** `gcp-pubsub-gke`. */
export const pubsubGkeDescriptor: TargetDescriptor = defineTarget({
  id: 'gcp-pubsub-gke',
  title: 'Google Cloud Pub/Sub + GKE',
  package: '@speedlayer/gcp-pubsub-gke',
  streamSchemes: ['pubsub'],
  deploy: { compute: 'gke://', workload: 'kubernetes' },
  planExports: { limits: 'PUBSUB_LIMITS', prices: 'PUBSUB_GKE_PRICES' },
  conformance: {
    stream: [{ name: 'pubsub (pstest)', scheme: 'pubsub', peer: 'pubsub', nativeClient: 'PubSub', lag: false }],
  },
});

/** The package's targets (read by core's registry). */
export const targets: readonly TargetDescriptor[] = [pubsubGkeDescriptor];
