/**
 * Partition key -> shard, exactly as Kinesis does it: the MD5 digest of the UTF-8 partition key read as a
 * 128-bit big-endian unsigned integer, and the shard whose `[StartingHashKey, EndingHashKey]` (both inclusive)
 * contains it. An explicit hash key replaces the digest.
 * Source: https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecord.html ("uses MD5 to map
 * partition keys to 128-bit integer values") and API_HashKeyRange.html.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';

/** Largest hash key, 2^128 - 1. */
export const MAX_HASH_KEY = (1n << 128n) - 1n;

/** The 128-bit hash key Kinesis computes for a partition key. */
export function partitionKeyHash(partitionKey: string): bigint {
  const digest = createHash('md5').update(partitionKey, 'utf8').digest('hex');
  return BigInt(`0x${digest}`);
}

/** A shard's place in the hash-key space and in the contract's partition numbering. */
export interface ShardRange {
  /** Kinesis shard id, e.g. `shardId-000000000003`. */
  shardId: string;
  /** First hash key of the shard (inclusive). */
  startingHashKey: bigint;
  /** Last hash key of the shard (inclusive). */
  endingHashKey: bigint;
}

/**
 * The shard that holds `hashKey` among `shards` (open shards: their ranges do not overlap).
 * @returns undefined when no range contains it.
 */
export function shardForHashKey<T extends ShardRange>(shards: readonly T[], hashKey: bigint): T | undefined {
  return shards.find((s) => s.startingHashKey <= hashKey && hashKey <= s.endingHashKey);
}

/** The shard a partition key (or an explicit hash key, when given) maps to. */
export function shardForKey<T extends ShardRange>(
  shards: readonly T[],
  partitionKey: string,
  explicitHashKey?: string,
): T | undefined {
  return shardForHashKey(shards, explicitHashKey !== undefined ? BigInt(explicitHashKey) : partitionKeyHash(partitionKey));
}

const SHARD_ID_RE = /^shardId-(\d{1,20})$/;

/**
 * The contract's partition index of a shard: the number in its id (`shardId-000000000005` -> 5). Kinesis numbers
 * shards in creation order and never reuses a number, so the index of a shard never changes, even after
 * resharding or after old shards age out of retention. On a fresh stream of N shards the indices are 0..N-1;
 * after a split or merge the children get the next numbers.
 * @returns -1 for an id that is not of that form (never seen on AWS).
 */
export function shardIndex(shardId: string): number {
  const m = SHARD_ID_RE.exec(shardId);
  return m ? Number(m[1]) : -1;
}

/** Compares two sequence numbers (decimal strings of up to 128 bits). */
export function compareSequence(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
