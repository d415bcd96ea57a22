/**
 * Classifies kafkajs (and TLS / socket) errors into speedlayer's typed errors at the driver boundary.
 * Messages never carry credentials: they are redacted, and SASL details are reduced to the mechanism.
 *
 * @packageDocumentation
 */
import {
  AuthError,
  ConfigError,
  ConnectionError,
  isSpeedlayerError,
  NotFoundError,
  redact,
  SpeedlayerError,
  ThrottledError,
  TimeoutError,
  ValidationError,
} from '@speedlayer/core';
import { TARGET } from './config.js';

interface KafkaJsLike {
  name?: string;
  message?: string;
  retriable?: boolean;
  type?: string;
  code?: string | number;
  broker?: string;
  cause?: unknown;
  originalError?: unknown;
  errors?: unknown[];
}

/** Context of a failed call, for the message. */
export interface ErrorContext {
  /** What was being done, e.g. `describe topic orders`. */
  op: string;
  /** The brokers the client was given. */
  brokers: readonly string[];
  /** Topic involved, if any. */
  topic?: string;
  /** Target id put on the error. @default `kafka` */
  target?: string;
}

const AUTHZ = new Set([
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'DELEGATION_TOKEN_AUTHORIZATION_FAILED',
  'SASL_AUTHENTICATION_FAILED',
  'ILLEGAL_SASL_STATE',
  'UNSUPPORTED_SASL_MECHANISM',
]);

const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

/** The innermost meaningful kafkajs error (unwraps retries-exceeded and aggregate errors). */
function root(e: unknown): KafkaJsLike {
  let cur = e as KafkaJsLike;
  for (let i = 0; i < 8 && cur && typeof cur === 'object'; i++) {
    if (cur.name === 'KafkaJSNumberOfRetriesExceeded' || cur.name === 'KafkaJSNonRetriableError') {
      const next = (cur.cause ?? cur.originalError) as KafkaJsLike | undefined;
      if (next && next !== cur && typeof next === 'object') {
        cur = next;
        continue;
      }
    }
    if (cur.name === 'KafkaJSAggregateError' && Array.isArray(cur.errors) && cur.errors.length > 0) {
      cur = cur.errors[0] as KafkaJsLike;
      continue;
    }
    break;
  }
  return cur ?? {};
}

function text(e: KafkaJsLike): string {
  return redact(String(e.message ?? e.name ?? e));
}

function isTlsFailure(e: KafkaJsLike): boolean {
  const msg = String(e.message ?? '');
  const code = String(e.code ?? '');
  return (
    TLS_CODES.has(code) ||
    /self[- ]signed certificate|unable to verify|certificate|wrong version number|SSL routines|TLS/i.test(msg)
  );
}

/**
 * Maps any error thrown by kafkajs (or a socket) to a speedlayer error. Speedlayer errors pass through unchanged.
 */
export function mapKafkaError(error: unknown, ctx: ErrorContext): SpeedlayerError {
  if (isSpeedlayerError(error)) return error;
  const e = root(error);
  const brokers = ctx.brokers.join(',');
  const base = { cause: error, target: ctx.target ?? TARGET };
  const msg = text(e);
  const name = e.name ?? '';
  const type = e.type ?? '';

  if (
    name === 'KafkaJSSASLAuthenticationError' ||
    type === 'SASL_AUTHENTICATION_FAILED' ||
    /SASL .*authentication failed/i.test(msg)
  ) {
    return new AuthError(`${ctx.op}: the brokers ${brokers} refused the SASL credentials (${saslReason(msg)})`, base);
  }
  if (AUTHZ.has(type)) {
    return new AuthError(`${ctx.op}: not authorized (${type}) on ${brokers}`, base);
  }
  if (type === 'UNKNOWN_TOPIC_OR_PARTITION' || type === 'UNKNOWN_TOPIC_ID' || name === 'KafkaJSTopicMetadataNotLoaded') {
    return new NotFoundError(`${ctx.op}: topic ${ctx.topic ?? '(unknown)'} does not exist on ${brokers}`, {
      ...base,
      field: 'topic',
    });
  }
  if (
    type === 'INVALID_PARTITIONS' ||
    type === 'INVALID_REPLICATION_FACTOR' ||
    type === 'INVALID_TOPIC_EXCEPTION' ||
    type === 'INVALID_CONFIG' ||
    type === 'POLICY_VIOLATION'
  ) {
    return new ValidationError(`${ctx.op}: the broker refused it (${type}): ${msg}`, base);
  }
  if (type === 'MESSAGE_TOO_LARGE' || type === 'RECORD_LIST_TOO_LARGE') {
    return new ValidationError(
      `${ctx.op}: the broker refused the batch as too large (${type}); lower messageMaxBytes to the broker's message.max.bytes`,
      { ...base, field: 'messageMaxBytes' },
    );
  }
  if (type === 'INVALID_SESSION_TIMEOUT') {
    return new ConfigError(
      `${ctx.op}: the broker refused the session timeout (group.min/max.session.timeout.ms; Kafka's default minimum is 6000 ms)`,
      { ...base, field: 'sessionTimeoutMs' },
    );
  }
  if (type === 'THROTTLING_QUOTA_EXCEEDED' || type === 'POLICY_VIOLATION_QUOTA') {
    return new ThrottledError(`${ctx.op}: throttled by ${brokers}: ${msg}`, base);
  }
  if (name === 'KafkaJSRequestTimeoutError' || name === 'KafkaJSTimeout' || type === 'REQUEST_TIMED_OUT') {
    return new TimeoutError(`${ctx.op}: a request to ${brokers} timed out: ${msg}`, base);
  }
  if (isTlsFailure(e) && (name === 'KafkaJSConnectionError' || name === '' || name === 'Error')) {
    return new ConnectionError(
      `${ctx.op}: TLS handshake with ${e.broker ?? brokers} failed (${msg}); check caFile / tls settings`,
      { ...base, retriable: false },
    );
  }
  if (
    name === 'KafkaJSConnectionError' ||
    name === 'KafkaJSConnectionClosedError' ||
    name === 'KafkaJSBrokerNotFound' ||
    name === 'KafkaJSNoBrokerAvailableError' ||
    name === 'KafkaJSMetadataNotLoaded' ||
    name === 'KafkaJSGroupCoordinatorNotFound' ||
    ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN'].includes(String(e.code))
  ) {
    const which = e.broker ? `${e.broker} (of ${brokers})` : brokers;
    return new ConnectionError(`${ctx.op}: cannot reach the Kafka brokers ${which}: ${msg}`, base);
  }
  if (/consumer group was not initialized|consumer#run must be called/i.test(msg)) {
    // kafkajs restarts its consumer after a crash (broker or coordinator lost); until it has rejoined, group calls
    // such as commitOffsets fail this way. The work is redone after the rejoin, so it is retriable.
    return new ConnectionError(`${ctx.op}: the consumer is rejoining its group after a connection failure`, {
      ...base,
      retriable: true,
    });
  }
  if (name === 'KafkaJSProtocolError' || name === 'KafkaJSCreateTopicError') {
    const retriable = e.retriable === true;
    return new SpeedlayerError('internal', `${ctx.op}: broker error ${type || 'unknown'}: ${msg}`, { ...base, retriable });
  }
  const retriable = e.retriable === true || (error as KafkaJsLike)?.retriable === true;
  return new SpeedlayerError('internal', `${ctx.op}: ${msg}`, { ...base, retriable });
}

function saslReason(msg: string): string {
  // kafkajs puts the broker's reason after the mechanism; keep only that, never any credential.
  const m = /failed: (.*)$/i.exec(msg);
  return redact(m?.[1] ?? msg).slice(0, 200);
}
