/**
 * `@speedlayer/migrate`: move a topic and its data between any two stream targets through the speedlayer
 * stream contract, resumably, and prove the result.
 *
 * - {@link planMigration} / {@link translateTopic}: partitions, keys, headers, size and retention across models.
 * - {@link copyTopic}: resumable copy through a dedicated source consumer group, with a position map.
 * - {@link moveGroup}: a consumer group's position translated through the map and seeded on the target.
 * - {@link verifyTopic}: per partition and per key counts and order-sensitive digests, source vs target.
 * - {@link migrate}: all of it in one call.
 *
 * @packageDocumentation
 */
export * from './copy.js';
export * from './digest.js';
export * from './groups.js';
export * from './migrate.js';
export * from './plan.js';
export * from './read.js';
export * from './store.js';
export * from './verify.js';
