/**
 * `@speedlayer/gcp-pubsub-gke`: the Google Cloud Pub/Sub + GKE target. The stream adapter (`pubsub://<project>`,
 * `streamFactory`) is on the main entry; the planning profile (limits, sizing, prices, IaC emitter) is on
 * `./plan`.
 *
 * @packageDocumentation
 */

export * from './plan/index.js';
export * from './stream/index.js';
