/**
 * `@speedlayer/aws-msk-eks`: the Amazon MSK + EKS target. The Kafka / MSK stream adapter (`kafka://`, `msk://`,
 * also on the `./stream` subpath, exporting `streamFactory` for the registry) and the EKS access helpers on
 * `./eks`. This entry is the runtime only; the planning profile (limits, sizing, prices, IaC emitter) is on the
 * `./plan` subpath, which needs the optional peer dependencies `@speedlayer/planner` and `@speedlayer/iac`.
 *
 * @packageDocumentation
 */
export * from './stream/index.js';
