/**
 * `@speedlayer/gcp-pubsub-gke`: the Google Cloud Pub/Sub + GKE target. The stream adapter (`pubsub://<project>`,
 * `streamFactory`) is on the main entry; the planning profile (limits, sizing, prices, IaC emitter) is on
 * `./plan`, which needs the optional peer dependencies `@speedlayer/planner` and `@speedlayer/iac`.
 *
 * @packageDocumentation
 */

export * from './stream/index.js';
