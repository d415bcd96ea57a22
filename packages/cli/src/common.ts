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

/** Environment variable naming the directory where a local worker reports `<worker id>.ready` or `.failed` to `deploy`. */
export const READY_DIR_ENV = 'SPEEDLAYER_READY_DIR';

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
  if (
    isSpeedlayerError(e) &&
    ['config', 'validation', 'message-too-large', 'not-found', 'unsupported', 'conflict'].includes(e.kind)
  )
    return 2;
  return 1;
}

/** True when the command line asks for JSON output: errors are then one JSON object on stderr too. */
export function jsonRequested(argv: readonly string[] = process.argv): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

/** The JSON object `--json` prints on stderr for an error: `{ "error": { kind, message, field?, target?, exitCode } }`. */
export function errorJson(e: unknown, exitCode: number): { error: Record<string, unknown> } {
  const base = isSpeedlayerError(e)
    ? {
        kind: e.kind,
        message: describeError(e),
        ...(e.field !== undefined ? { field: e.field } : {}),
        ...(e.target !== undefined ? { target: e.target } : {}),
        retriable: e.retriable,
      }
    : { kind: 'internal', message: describeError(e) };
  return { error: { ...base, exitCode } };
}

/** Prints one line for an error (no stack trace for a user mistake; secrets redacted); one JSON object with `--json`. */
export function reportError(e: unknown, exitCode = exitCodeFor(e)): void {
  if (jsonRequested()) {
    process.stderr.write(`${JSON.stringify(errorJson(e, exitCode))}\n`);
    return;
  }
  if (isSpeedlayerError(e)) {
    process.stderr.write(`speedlayer: ${e.message}\n`);
    if (process.env.SPEEDLAYER_DEBUG && e.cause) process.stderr.write(`  cause: ${describeError(e.cause)}\n`);
  } else {
    process.stderr.write(`speedlayer: ${describeError(e)}\n`);
    if (process.env.SPEEDLAYER_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  }
}

/** Runs a command action, turning errors into one line and an exit code; `fn` resolves with an exit code, or with nothing for 0. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<unknown>) {
  return async (...args: A): Promise<void> => {
    try {
      const code = await fn(...args);
      if (typeof code === 'number') process.exitCode = code;
    } catch (e) {
      const code = exitCodeFor(e);
      reportError(e, code);
      process.exitCode = code;
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

/** Whether the reader of stdout went away (EPIPE): set by {@link guardStdout}. */
export const stdoutState = { closed: false };

/**
 * Makes a closed stdout (`speedlayer ... | head -3`) a quiet end instead of an unhandled `EPIPE` with a stack
 * trace: the error is recorded in {@link stdoutState} (verbs that stream, like `consume`, stop on it) and
 * nothing more is written. Other stdout errors are reported as one line (exit 1).
 */
export function guardStdout(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') {
      stdoutState.closed = true;
      return;
    }
    reportError(e, 1);
    process.exitCode = 1;
  });
}

/** The help text of an example, for `addHelpText('after', ...)`. */
export function examples(...lines: string[]): string {
  return `\nExample${lines.length > 1 ? 's' : ''}:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}
