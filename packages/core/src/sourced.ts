/**
 * Numbers with their source: a vendor limit carries the URL it was read from and how it was established, so the
 * runtime (batch limits, option checks) and the planner (sizing, prices) read the same sourced value.
 *
 * @packageDocumentation
 */

/** How a number was established (legend of vendor-facts.md). */
export type SourceStatus = 'official' | 'official (copy)' | 'derived' | 'secondary' | 'assumption' | 'unconfirmed';

/** A vendor limit or fact with the URL it comes from. */
export interface Sourced<T = number> {
  /** The value. */
  readonly value: T;
  /** Unit of the value, e.g. `MiB/s`, `partitions`, `hours`. */
  readonly unit: string;
  /** URL of the vendor page (or fixture) the value was read from. */
  readonly source: string;
  /** How the value was established. */
  readonly status: SourceStatus;
  /** Extra context: the derivation, a caveat. */
  readonly note?: string;
}

/**
 * Declares a sourced fact.
 * @example
 * ```ts
 * import { fact } from '@speedlayer/core';
 * const PER_SHARD_WRITE = fact(1, 'MiB/s', 'https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html');
 * ```
 */
export function fact<T>(value: T, unit: string, source: string, status: SourceStatus = 'official', note?: string): Sourced<T> {
  return note === undefined ? { value, unit, source, status } : { value, unit, source, status, note };
}
