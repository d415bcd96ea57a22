/**
 * Shared CLI plumbing: option parsers, the default stream, error reporting with exit codes
 * (2 for a usage or input error, 1 for a failure).
 *
 * @packageDocumentation
 */

import { describeError, isSpeedlayerError } from '@speedlayer/core';
import { InvalidArgumentError } from 'commander';

/** The stream used when none is named: the embedded local target. */
export const DEFAULT_STREAM = process.env.SPEEDLAYER_STREAM ?? 'local://.speedlayer/data';

/** Parses a whole number within bounds (commander option parser). */
export function intOption(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}, got "${value}"`);
    }
    return n;
  };
}

/** Collects a repeatable `k=v` option into a record. */
export function headerOption(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const i = value.indexOf('=');
  if (i <= 0) throw new InvalidArgumentError(`expected name=value, got "${value}"`);
  return { ...previous, [value.slice(0, i)]: value.slice(i + 1) };
}

/** Parses `earliest | latest | <ISO time>`. */
export function startOption(value: string): 'earliest' | 'latest' | { timestamp: number } {
  if (value === 'earliest' || value === 'latest') return value;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidArgumentError(`expected earliest, latest or an ISO time, got "${value}"`);
  return { timestamp: t };
}

/** Exit code for an error: 2 for the caller's mistakes, 1 for everything else. */
export function exitCodeFor(e: unknown): number {
  if (isSpeedlayerError(e) && ['config', 'validation', 'message-too-large', 'not-found', 'unsupported'].includes(e.kind))
    return 2;
  return 1;
}

/** Prints one line for an error (no stack trace for a user mistake; secrets redacted). */
export function reportError(e: unknown): void {
  if (isSpeedlayerError(e)) {
    process.stderr.write(`speedlayer: ${e.message}\n`);
    if (process.env.SPEEDLAYER_DEBUG && e.cause) process.stderr.write(`  cause: ${describeError(e.cause)}\n`);
  } else {
    process.stderr.write(`speedlayer: ${describeError(e)}\n`);
    if (process.env.SPEEDLAYER_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  }
}

/** Runs a command action, turning errors into one line and an exit code. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void | number>) {
  return async (...args: A): Promise<void> => {
    try {
      const code = await fn(...args);
      if (typeof code === 'number') process.exitCode = code;
    } catch (e) {
      reportError(e);
      process.exitCode = exitCodeFor(e);
    }
  };
}

/** An AbortSignal that fires on SIGINT/SIGTERM. */
export function stopSignal(): AbortSignal {
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return ac.signal;
}
