/**
 * Numbers with their source: every vendor limit and price the planner uses carries the URL it was read from,
 * its status (as in vendor-facts.md) and, for prices, a "price as of" stamp and region.
 *
 * @packageDocumentation
 */

import type { Sourced, SourceStatus } from '@speedlayer/core';

// The sourced-fact type and `fact` live in core so adapters' runtime code reads limits without the planner.
export { fact, type Sourced, type SourceStatus } from '@speedlayer/core';

/** A unit price with its "price as of" stamp. */
export interface Price extends Sourced<number> {
  /** Date of the price source, `YYYY-MM-DD` (or `YYYY-MM`). */
  readonly asOf: string;
  /** Region the price applies to. */
  readonly region: string;
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
