/**
 * Units and calendar constants used by every sizing rule and price table.
 *
 * @packageDocumentation
 */

/** Bytes in a KiB. */
export const KIB = 1024;
/** Bytes in a MiB. Kinesis shard limits ("1 MB/s") are applied as MiB/s, as in vendor-facts.md §7 (`KiB/1024`). */
export const MIB = 1024 * 1024;
/** Bytes in a GiB (cloud bills' "GB" for data volumes is applied as GiB). */
export const GIB = 1024 * 1024 * 1024;
/** Bytes in a TiB. */
export const TIB = 1024 * GIB;
/** Bytes in a decimal MB. Azure Event Hubs and Pub/Sub quotas in "MB" are applied as decimal MB (the conservative reading). */
export const MB = 1_000_000;
/**
 * Hours in a billing month: 730, the convention of the AWS, Azure and Google price calculators and of Infracost,
 * whose fixtures give monthly cost / 730 h as the unit price (vendor-facts.md, intro).
 */
export const HOURS_PER_MONTH = 730;
/** Seconds in a billing month (730 h). */
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;

/** Rounds a USD amount to cents. */
export function usd(amount: number): number {
  return Math.round(amount * 100) / 100;
}

/** `Math.ceil` that ignores floating-point noise just above an integer (e.g. 40.000000000001 -> 40). */
export function ceilSafe(x: number): number {
  const r = Math.round(x);
  if (Math.abs(x - r) < 1e-9) return r;
  return Math.ceil(x);
}
