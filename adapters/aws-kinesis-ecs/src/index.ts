/**
 * `@speedlayer/aws-kinesis-ecs`: the Kinesis Data Streams stream adapter (`kinesis://<region>`, exported as
 * `streamFactory` for core's registry), the ECS compute adapter (`ecs://<region>/<cluster>`, `computeFactory`).
 * This entry is the runtime only (core and the AWS SDKs). The planning profile (limits, sizing, prices, IaC emitter)
 * is on the `./plan` subpath, which needs the optional peer dependencies `@speedlayer/planner` and `@speedlayer/iac`.
 *
 * @packageDocumentation
 */
export * from './compute/index.js';
export * from './stream/index.js';
