/**
 * `@speedlayer/aws-msk-eks`: the Amazon MSK + EKS target. The Kafka / MSK stream adapter (`kafka://`, `msk://`,
 * also on the `./stream` subpath, exporting `streamFactory` for the registry) and the planning profile (also on
 * the `./plan` subpath).
 *
 * @packageDocumentation
 */
export * from './plan/index.js';
export * from './stream/index.js';
