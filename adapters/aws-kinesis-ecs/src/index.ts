/**
 * `@speedlayer/aws-kinesis-ecs`: the Kinesis Data Streams stream adapter (`kinesis://<region>`, exported as
 * `streamFactory` for core's registry), the ECS compute adapter (`ecs://<region>/<cluster>`, `computeFactory`) and the planning profile (also on the `./plan` subpath).
 *
 * @packageDocumentation
 */
export * from './compute/index.js';
export * from './plan/index.js';
export * from './stream/index.js';
