/**
 * The speedlayer error hierarchy.
 *
 * One base class carries `kind`, `retriable` and `cause`. Misuse (bad config, bad input, use after close)
 * is never retriable. Every check uses the `Symbol.for` brand, so it works across duplicate installs of
 * this package. Vendor errors are classified into these at each adapter's boundary.
 *
 * @packageDocumentation
 */

const BRAND = Symbol.for('speedlayer.error');

/** What went wrong, as data a caller can switch on. */
export type ErrorKind =
  | 'config'
  | 'validation'
  | 'message-too-large'
  | 'not-found'
  | 'already-exists'
  | 'unsupported'
  | 'closed'
  | 'connection'
  | 'auth'
  | 'timeout'
  | 'throttled'
  | 'conflict'
  | 'cancelled'
  | 'storage'
  | 'handler'
  | 'internal';

/** Options every speedlayer error accepts. */
export interface SpeedlayerErrorOptions {
  /** The error that caused this one. */
  cause?: unknown;
  /** Whether repeating the same call may succeed. */
  retriable?: boolean;
  /** The config field, argument or workload path at fault, e.g. `ingress.recordsPerSecond`. */
  field?: string;
  /** The adapter or target that raised it, e.g. `local`, `aws-msk-eks`. */
  target?: string;
}

/**
 * Base class of every error speedlayer throws on purpose.
 *
 * @example
 * ```ts
 * import { isSpeedlayerError, type Producer, type ProducerRecord } from '@speedlayer/core';
 * declare const producer: Producer;
 * declare const records: ProducerRecord[];
 * try {
 *   await producer.send('orders', records);
 * } catch (e) {
 *   if (isSpeedlayerError(e) && e.retriable) {
 *     // try again later
 *   }
 * }
 * ```
 */
export class SpeedlayerError extends Error {
  /** What went wrong. */
  readonly kind: ErrorKind;
  /** Whether repeating the same call may succeed. Misuse is never retriable. */
  readonly retriable: boolean;
  /** The field, argument or path at fault, when there is one. */
  readonly field: string | undefined;
  /** The target that raised the error, when known. */
  readonly target: string | undefined;

  constructor(kind: ErrorKind, message: string, options: SpeedlayerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SpeedlayerError';
    this.kind = kind;
    this.retriable = options.retriable ?? false;
    this.field = options.field;
    this.target = options.target;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** True for any error thrown by speedlayer, whichever copy of this package created it. */
export function isSpeedlayerError(e: unknown): e is SpeedlayerError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}

/** Configuration or URI is invalid. Never retriable. */
export class ConfigError extends SpeedlayerError {
  constructor(message: string, options: SpeedlayerErrorOptions = {}) {
    super('config', message, { ...options, retriable: false });
    this.name = 'ConfigError';
  }
}

/** An argument or a message is invalid. Never retriable; nothing of the call was carried out. */
export class ValidationError extends SpeedlayerError {
  constructor(message: string, options: SpeedlayerErrorOptions = {}) {
    super('validation', message, { ...options, retriable: false });
    this.name = 'ValidationError';
  }
}

/** A message is larger than the target accepts. Nothing of its batch was sent. */
export class MessageTooLargeError extends SpeedlayerError {
  /** Size of the offending message in bytes, as the target counts it. */
  readonly bytes: number;
  /** The target's limit in bytes. */
  readonly limit: number;
  /** Index of the message in its batch. */
  readonly index: number;
  constructor(index: number, bytes: number, limit: number, options: SpeedlayerErrorOptions = {}) {
    super(
      'message-too-large',
      `message ${index} of the batch is ${bytes} bytes; ${options.target ?? 'the target'} accepts at most ${limit} bytes; nothing of the batch was sent`,
      { ...options, retriable: false, field: options.field ?? `records[${index}]` },
    );
    this.name = 'MessageTooLargeError';
    this.bytes = bytes;
    this.limit = limit;
    this.index = index;
  }
}

/** A topic, group, workload or other named thing does not exist. */
export class NotFoundError extends SpeedlayerError {
  constructor(message: string, options: SpeedlayerErrorOptions = {}) {
    super('not-found', message, { ...options, retriable: options.retriable ?? false });
    this.name = 'NotFoundError';
  }
}

/** The target cannot do what was asked (an undeclared capability). */
export class UnsupportedError extends SpeedlayerError {
  constructor(message: string, options: SpeedlayerErrorOptions = {}) {
    super('unsupported', message, { ...options, retriable: false });
    this.name = 'UnsupportedError';
  }
}

/** The client, producer or subscription was closed; it cannot be used again. */
export class ClosedError extends SpeedlayerError {
  constructor(what: string, options: SpeedlayerErrorOptions = {}) {
    super('closed', `${what} is closed and cannot be used again; create a new one`, {
      ...options,
      retriable: false,
    });
    this.name = 'ClosedError';
  }
}

/** The target could not be reached. Usually retriable. */
export class ConnectionError extends SpeedlayerError {
  constructor(message: string, options: SpeedlayerErrorOptions = {}) {
    super('connection', message, { ...options, retriable: options.retriable ?? true });
    this.name = 'ConnectionError';
  }
}

/** Credentials were missing or refused. Not retriable. */
export class AuthError extends SpeedlayerError {
  constructor(message: string, options: SpeedlayerErrorOptions = {}) {
    super('auth', message, { ...options, retriable: false });
    this.name = 'AuthError';
  }
}

/** An operation did not finish in time. Retriable. */
export class TimeoutError extends SpeedlayerError {
  constructor(message: string, options: SpeedlayerErrorOptions = {}) {
    super('timeout', message, { ...options, retriable: options.retriable ?? true });
    this.name = 'TimeoutError';
  }
}

/** The target throttled the call. Retriable with backoff. */
export class ThrottledError extends SpeedlayerError {
  constructor(message: string, options: SpeedlayerErrorOptions = {}) {
    super('throttled', message, { ...options, retriable: true });
    this.name = 'ThrottledError';
  }
}

/** The state on the target conflicts with the request (e.g. a topic exists with other settings). */
export class ConflictError extends SpeedlayerError {
  constructor(message: string, options: SpeedlayerErrorOptions = {}) {
    super('conflict', message, { ...options, retriable: options.retriable ?? false });
    this.name = 'ConflictError';
  }
}

/** The caller aborted the call (its `AbortSignal`) before anything of it was carried out. Not retriable. */
export class CancelledError extends SpeedlayerError {
  constructor(message: string, options: SpeedlayerErrorOptions = {}) {
    super('cancelled', message, { ...options, retriable: false });
    this.name = 'CancelledError';
  }
}

/** Options of {@link StorageError}. */
export interface StorageErrorOptions extends SpeedlayerErrorOptions {
  /** The file or directory at fault. */
  path?: string;
}

/**
 * A local file or disk failed: a data file that is missing its header, truncated, of an unknown version or
 * corrupt (a checksum mismatch), a full disk, an I/O error. Names the path; retriable only when the cause may
 * pass (a full disk, a lock held by another process).
 */
export class StorageError extends SpeedlayerError {
  /** The file or directory at fault, when known. */
  readonly path: string | undefined;
  constructor(message: string, options: StorageErrorOptions = {}) {
    super('storage', message, { ...options, retriable: options.retriable ?? false });
    this.name = 'StorageError';
    this.path = options.path;
  }
}

/** Where a {@link DeadLetterError} happened and what the consumer did next. */
export interface DeadLetterErrorOptions extends SpeedlayerErrorOptions {
  topic: string;
  partition: number;
  position: string;
  /** `stop`: the partition stopped; `park`: the message was kept aside and the partition moved on (local). */
  policy: 'stop' | 'park';
}

/**
 * A message failed its handler and its dead letter could not be published either (after bounded attempts, or at
 * once when the failure is not retriable). Reported to `onError` and the log; what happened next is `policy`.
 * Not retriable.
 */
export class DeadLetterError extends SpeedlayerError {
  readonly topic: string;
  readonly partition: number;
  readonly position: string;
  readonly policy: 'stop' | 'park';
  constructor(message: string, options: DeadLetterErrorOptions) {
    const { cause } = options;
    super(isSpeedlayerError(cause) ? cause.kind : 'internal', message, {
      ...options,
      retriable: false,
      field: options.field ?? 'deadLetterTopic',
    });
    this.name = 'DeadLetterError';
    this.topic = options.topic;
    this.partition = options.partition;
    this.position = options.position;
    this.policy = options.policy;
  }
}

/** Removes anything that looks like a secret from a string before it goes into a message or log. */
export function redact(text: string): string {
  return text
    .replace(/(SharedAccessKey|AccountKey|password|secret|token|sig)=([^;&\s"]+)/gi, '$1=***')
    .replace(/("(?:password|secret|token|accessKey|secretAccessKey|sessionToken)"\s*:\s*)"[^"]*"/gi, '$1"***"')
    .replace(/\/\/([^:/@\s]+):([^@/\s]+)@/g, '//$1:***@');
}

/** Short description of any thrown value, safe to print (secrets redacted). */
export function describeError(e: unknown): string {
  if (e instanceof Error) return redact(e.message || e.name);
  return redact(String(e));
}
