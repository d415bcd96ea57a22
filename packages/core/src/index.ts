/**
 * `@speedlayer/core`: the contracts every target implements, plus the plain entry points
 * {@link connect} and {@link createCompute}. Dependency-injection bindings live on `@speedlayer/core/di`.
 *
 * @packageDocumentation
 */

export * from './align.js';
export * from './batcher.js';
export * from './capabilities.js';
export * from './compute.js';
export * from './config.js';
export * from './consumer-engine.js';
export * from './descriptor.js';
export * from './driver.js';
export * from './errors.js';
export * from './message.js';
export * from './middleware.js';
export * from './murmur2.js';
export * from './portable.js';
export * from './registry.js';
export * from './retry.js';
export * from './sourced.js';
export * from './stream.js';
export * from './telemetry.js';
export * from './uri.js';
export * from './validate.js';
export * from './worker.js';
