/**
 * Classifies `@azure/event-hubs` / `@azure/core-amqp` errors (`MessagingError` with a `code`), storage
 * `RestError`s and ARM answers into speedlayer's typed errors at the adapter boundary. Messages are redacted:
 * no key, signature or token ever reaches an error or a log line.
 *
 * @packageDocumentation
 */
import {
  AuthError,
  ConflictError,
  ConnectionError,
  isSpeedlayerError,
  MessageTooLargeError,
  NotFoundError,
  redact,
  SpeedlayerError,
  ThrottledError,
  TimeoutError,
  ValidationError,
} from '@speedlayer/core';
import { TARGET } from './config.js';

interface ErrorLike {
  name?: string;
  code?: string | number;
  message?: string;
  retryable?: boolean;
  statusCode?: number;
  details?: { errorCode?: string };
  cause?: unknown;
}

/** Context of a failed call, for the message. */
export interface AmqpErrorContext {
  /** What was being done, e.g. `describe event hub orders`. */
  op: string;
  /** The fully-qualified namespace. */
  namespace: string;
  /** Event hub involved, if any. */
  topic?: string;
  /** Consumer group involved, if any. */
  group?: string;
}

/** One row of the error table: AMQP error code (from `MessagingError.code`) → how speedlayer reports it. */
type Row = (ctx: AmqpErrorContext, msg: string, cause: unknown) => SpeedlayerError;

/** The error mapping table, by `MessagingError.code`. */
const TABLE: Record<string, Row> = {
  MessagingEntityNotFoundError: (ctx, msg, cause) =>
    new NotFoundError(`${ctx.op}: ${entity(ctx)} does not exist in ${ctx.namespace}: ${msg}`, {
      cause,
      target: TARGET,
      field: ctx.group && /consumer ?group/i.test(msg) ? 'group' : 'topic',
    }),
  UnauthorizedError: (ctx, msg, cause) =>
    new AuthError(`${ctx.op}: ${ctx.namespace} refused the credentials: ${msg}`, { cause, target: TARGET }),
  MessageTooLargeError: (ctx, msg, cause) =>
    new ValidationError(`${ctx.op}: ${ctx.namespace} refused the batch as too large (check config tier): ${msg}`, {
      cause,
      target: TARGET,
      field: 'tier',
    }),
  ArgumentOutOfRangeError: (ctx, msg, cause) => new ValidationError(`${ctx.op}: ${msg}`, { cause, target: TARGET }),
  ArgumentError: (ctx, msg, cause) => new ValidationError(`${ctx.op}: ${msg}`, { cause, target: TARGET }),
  InvalidOperationError: (ctx, msg, cause) => new ValidationError(`${ctx.op}: ${msg}`, { cause, target: TARGET }),
  QuotaExceededError: (ctx, msg, cause) =>
    new ConflictError(
      `${ctx.op}: a quota of ${ctx.namespace} is exhausted (consumer groups, receivers per partition, …): ${msg}`,
      {
        cause,
        target: TARGET,
        retriable: true,
      },
    ),
  ServerBusyError: (ctx, msg, cause) =>
    new ThrottledError(`${ctx.op}: ${ctx.namespace} is throttling (throughput units exhausted): ${msg}`, {
      cause,
      target: TARGET,
    }),
  ServiceUnavailableError: (ctx, msg, cause) =>
    new TimeoutError(`${ctx.op}: ${ctx.namespace} did not answer in time: ${msg}`, { cause, target: TARGET }),
  OperationTimeoutError: (ctx, msg, cause) =>
    new TimeoutError(`${ctx.op}: ${ctx.namespace} did not answer in time: ${msg}`, { cause, target: TARGET }),
  MessagingEntityDisabledError: (ctx, msg, cause) =>
    new ConflictError(`${ctx.op}: ${entity(ctx)} is disabled: ${msg}`, { cause, target: TARGET }),
  ReceiverDisconnectedError: (ctx, msg, cause) =>
    new ConflictError(`${ctx.op}: another member took over the partition (ownership lost): ${msg}`, {
      cause,
      target: TARGET,
      retriable: true,
    }),
};

function entity(ctx: AmqpErrorContext): string {
  if (ctx.group && ctx.topic) return `event hub ${ctx.topic} or its consumer group ${ctx.group}`;
  return ctx.topic ? `event hub ${ctx.topic}` : 'the entity';
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ETIMEDOUT',
  'ECONNRESET',
  'EAI_AGAIN',
  'ServiceCommunicationError',
  'ConnectionForcedError',
  'SystemError',
]);

function root(e: unknown): ErrorLike {
  let cur = e as ErrorLike;
  for (let i = 0; i < 4 && cur && typeof cur === 'object'; i++) {
    if (cur.code !== undefined || cur.statusCode !== undefined) break;
    // Node's connect to a host with several addresses fails with an AggregateError (empty message, no code)
    // holding one ECONNREFUSED (or similar) per address: the first of them says what happened
    const inner = (cur as { errors?: unknown }).errors;
    if (Array.isArray(inner) && inner[0] && typeof inner[0] === 'object') cur = inner[0] as ErrorLike;
    else if (cur.cause && typeof cur.cause === 'object') cur = cur.cause as ErrorLike;
    else break;
  }
  return cur ?? {};
}

/** Maps any error of the Event Hubs client to a speedlayer error; speedlayer errors pass through unchanged. */
export function mapAmqpError(error: unknown, ctx: AmqpErrorContext): SpeedlayerError {
  if (isSpeedlayerError(error)) return error;
  const e = root(error);
  const msg = redact(String(e.message ?? e.name ?? error)).slice(0, 500);
  const code = String(e.code ?? e.name ?? '');
  if (/could not be found|does not exist|not found/i.test(msg) && code === 'ServiceCommunicationError') {
    return TABLE.MessagingEntityNotFoundError?.(ctx, msg, error) as SpeedlayerError;
  }
  const row = TABLE[code];
  if (row) return row(ctx, msg, error);
  if (e.name === 'AuthenticationError' || e.name === 'CredentialUnavailableError' || /401|unauthori[sz]ed/i.test(msg)) {
    return new AuthError(`${ctx.op}: no usable Azure credential for ${ctx.namespace}: ${msg}`, { cause: error, target: TARGET });
  }
  if (NETWORK_CODES.has(code) || /ECONNREFUSED|ECONNRESET|ENOTFOUND|getaddrinfo|socket|^Failed to connect/i.test(msg)) {
    return new ConnectionError(`${ctx.op}: cannot reach ${ctx.namespace}: ${msg}`, { cause: error, target: TARGET });
  }
  if (e.name === 'AbortError') {
    return new TimeoutError(`${ctx.op}: aborted: ${msg}`, { cause: error, target: TARGET });
  }
  return new SpeedlayerError('internal', `${ctx.op}: ${msg}`, {
    cause: error,
    target: TARGET,
    retriable: e.retryable === true,
  });
}

/** Maps a blob-storage error (checkpoint store) to a speedlayer error. */
export function mapStorageError(error: unknown, op: string, container: string): SpeedlayerError {
  if (isSpeedlayerError(error)) return error;
  const e = root(error);
  const msg =
    redact(String(e.message ?? error))
      .split('\n')[0]
      ?.slice(0, 300) ?? '';
  const code = e.details?.errorCode ?? String(e.code ?? '');
  if (code === 'ContainerNotFound' || (e.statusCode === 404 && /container/i.test(msg))) {
    return new NotFoundError(`${op}: checkpoint container "${container}" does not exist (set checkpointStore.createContainer)`, {
      cause: error,
      target: TARGET,
      field: 'checkpointStore.container',
    });
  }
  if (e.statusCode === 401 || e.statusCode === 403 || code === 'AuthenticationFailed' || code === 'AuthorizationFailure') {
    return new AuthError(`${op}: the blob service refused the checkpoint-store credentials (${code || e.statusCode})`, {
      cause: error,
      target: TARGET,
      field: 'checkpointStore',
    });
  }
  if (e.statusCode === 503 || e.statusCode === 500 || code === 'ServerBusy') {
    return new ThrottledError(`${op}: the blob service is busy: ${msg}`, { cause: error, target: TARGET });
  }
  if (NETWORK_CODES.has(String(e.code)) || /ECONNREFUSED|ENOTFOUND|socket|fetch failed/i.test(msg)) {
    return new ConnectionError(`${op}: cannot reach the checkpoint store: ${msg}`, { cause: error, target: TARGET });
  }
  return new SpeedlayerError('internal', `${op}: ${msg}`, { cause: error, target: TARGET, retriable: false });
}

/** An event that cannot fit even an empty batch on the link. */
export function tooLargeForBatch(index: number, bytes: number, limit: number): MessageTooLargeError {
  return new MessageTooLargeError(index, bytes, limit, { target: TARGET });
}
