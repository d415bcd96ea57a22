/**
 * `@speedlayer/testing`: test helpers (unique names, waits, collectors) and the planner fixtures, with no test
 * runner. The launcher of real local test peers (used by `speedlayer peers`) is on `./peers`, the Event Hubs
 * stand-in on `./eventhubs-standin`; the conformance suites and vitest helpers, which import vitest (an optional
 * peer dependency), are on `./conformance` and `./peers/vitest`.
 *
 * @packageDocumentation
 */

export * from './helpers.js';
export * from './planner-fixtures.js';
