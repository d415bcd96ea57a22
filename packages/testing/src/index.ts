/**
 * `@speedlayer/testing`: the stream and compute conformance suites, test helpers, and (on the `./peers`
 * subpath) the launcher of real local test peers.
 *
 * @packageDocumentation
 */

export * from './compute-conformance.js';
export * from './helpers.js';
export * from './planner-fixtures.js';
export * from './stream-conformance.js';
