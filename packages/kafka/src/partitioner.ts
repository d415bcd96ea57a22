/**
 * Kafka's default key partitioning, identical to the Java client: `toPositive(murmur2(utf8(key))) % partitions`.
 * The implementation lives in `@speedlayer/core` (also used by the embedded log); re-exported here for Kafka users.
 *
 * @packageDocumentation
 */
export { murmur2, partitionForKey } from '@speedlayer/core';
