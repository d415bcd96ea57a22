/**
 * Numbers with their source: every vendor limit and price the planner uses carries the URL it was read from,
 * its status (as in vendor-facts.md) and, for prices, a "price as of" stamp and region.
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

/** A unit price with its "price as of" stamp. */
export interface Price extends Sourced<number> {
  /** Date of the price source, `YYYY-MM-DD` (or `YYYY-MM`). */
  readonly asOf: string;
  /** Region the price applies to. */
  readonly region: string;
}

/**
 * Declares a sourced fact.
 * @example
 * ```ts
 * const PER_SHARD_WRITE = fact(1, 'MiB/s', 'https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html');
 * ```
 */
export function fact<T>(value: T, unit: string, source: string, status: SourceStatus = 'official', note?: string): Sourced<T> {
  return note === undefined ? { value, unit, source, status } : { value, unit, source, status, note };
}

/** Declares a sourced unit price. */
export function price(
  value: number,
  unit: string,
  source: string,
  asOf: string,
  region: string,
  status: SourceStatus = 'secondary',
  note?: string,
): Price {
  const p = { value, unit, source, status, asOf, region };
  return note === undefined ? p : { ...p, note };
}

/** Formats a sourced fact for a message: `32 partitions (https://...)`. */
export function cite(f: Sourced<unknown>): string {
  return `${String(f.value)} ${f.unit} (${f.source})`;
}
