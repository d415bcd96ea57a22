/**
 * How the stream contract maps onto Pub/Sub, as pure functions: names (topic, one subscription per consumer
 * group), Pub/Sub's record limits (checked before anything is sent), capabilities, and the classification of
 * gRPC errors into speedlayer errors.
 *
 * @packageDocumentation
 */
import {
  AuthError,
  ConflictError,
  ConnectionError,
  isSpeedlayerError,
  NotFoundError,
  type ProducerRecord,
  SpeedlayerError,
  type StreamCapabilities,
  ThrottledError,
  TimeoutError,
  UnsupportedError,
  utf8Length,
  ValidationError,
  validateTopicName,
} from '@speedlayer/core';
import { PUBSUB_FLAGS } from '../target.js';
import { PUBSUB_TARGET } from './config.js';

/** Pub/Sub limits this adapter enforces before sending (https://cloud.google.com/pubsub/quotas#resource_limits). */
export const PUBSUB_RECORD_LIMITS = {
  /** Largest message (data + attributes + ordering key), bytes (declared with the descriptor). */
  maxMessageBytes: PUBSUB_FLAGS.maxMessageBytes,
  /** Attributes per message (declared with the descriptor). */
  maxAttributes: PUBSUB_FLAGS.maxHeaders,
  /** Attribute key, bytes. */
  maxAttributeKeyBytes: 256,
  /** Attribute value, bytes. */
  maxAttributeValueBytes: 1024,
  /** Ordering key, bytes (https://cloud.google.com/pubsub/docs/ordering). */
  maxOrderingKeyBytes: 1024,
} as const;

/** Attribute carrying a record's explicit event time (epoch ms); removed from headers on consume. */
export const TIMESTAMP_ATTRIBUTE = 'speedlayer-timestamp';

/** What Pub/Sub can do through this adapter: its descriptor's flags (`PUBSUB_FLAGS`) and what Seek gives. */
export function pubsubCapabilities(seek: boolean): StreamCapabilities {
  return {
    ...PUBSUB_FLAGS,
    timestampSeek: seek,
    // Without Seek a new subscription holds only messages published after it was created.
    historyForNewGroups: seek,
  };
}

const NAME_RE = /^[A-Za-z][A-Za-z0-9._~+%-]{2,254}$/;

/**
 * Checks a topic name: the common speedlayer rule, then Pub/Sub's (3-255 characters, starting with a letter,
 * not starting with `goog`).
 * @throws `ValidationError` with field `topic`.
 */
export function validatePubsubTopic(topic: unknown, field = 'topic'): string {
  validateTopicName(topic, field);
  const name = topic as string;
  if (!NAME_RE.test(name) || name.toLowerCase().startsWith('goog')) {
    throw new ValidationError(
      `${field} "${name}" is not a Pub/Sub topic name: use 3-255 characters starting with a letter, not "goog"`,
      { field, target: PUBSUB_TARGET },
    );
  }
  return name;
}

/**
 * The subscription that is consumer group `group` of `topic`: `<topic>.<group>`, with characters Pub/Sub does
 * not allow in names percent-encoded (UTF-8). Deterministic, so every member of a group finds the same one.
 * @throws `ValidationError` (field `group`) when the group is empty or the name would be over 255 characters.
 */
export function subscriptionName(topic: string, group: string): string {
  if (typeof group !== 'string' || group.trim() === '') {
    throw new ValidationError('group must be a non-empty string', { field: 'group', target: PUBSUB_TARGET });
  }
  let encoded = '';
  for (const byte of Buffer.from(group, 'utf8')) {
    const ch = String.fromCharCode(byte);
    encoded += /[A-Za-z0-9._~+-]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  const name = `${topic}.${encoded}`;
  if (name.length > 255) {
    throw new ValidationError(`group "${group}": subscription name ${name.slice(0, 40)}... is over 255 characters`, {
      field: 'group',
      target: PUBSUB_TARGET,
    });
  }
  return name;
}

/** Bytes of a record as Pub/Sub counts it: data + attribute keys and values + ordering key. */
export function pubsubMessageBytes(record: ProducerRecord, attributes: Record<string, string>): number {
  const data = typeof record.value === 'string' ? utf8Length(record.value) : record.value.byteLength;
  let n = data + (record.key ? utf8Length(record.key) : 0);
  for (const [k, v] of Object.entries(attributes)) n += utf8Length(k) + utf8Length(v);
  return n;
}

/**
 * The attributes a record is sent with: its headers, plus {@link TIMESTAMP_ATTRIBUTE} when it names an event time.
 */
export function recordAttributes(record: ProducerRecord): Record<string, string> {
  const attributes: Record<string, string> = { ...(record.headers ?? {}) };
  if (record.timestamp !== undefined) attributes[TIMESTAMP_ATTRIBUTE] = String(Math.trunc(record.timestamp));
  return attributes;
}

/**
 * Pub/Sub's per-record rules, beyond `validateBatch`: not empty (data or attributes), ordering key ≤ 1 KB, ≤ 100 attributes (the event-time
 * attribute included), attribute keys ≤ 256 bytes and not `goog*`, values ≤ 1024 bytes. Run on the whole batch
 * before anything is sent.
 * @throws `ValidationError` naming the field, e.g. `records[3].key`.
 */
export function checkPubsubRecord(record: ProducerRecord, index: number): void {
  const field = `records[${index}]`;
  const L = PUBSUB_RECORD_LIMITS;
  if (typeof record.key === 'string' && utf8Length(record.key) > L.maxOrderingKeyBytes) {
    throw new ValidationError(
      `${field}.key is ${utf8Length(record.key)} bytes; a Pub/Sub ordering key is at most ${L.maxOrderingKeyBytes} bytes`,
      { field: `${field}.key`, target: PUBSUB_TARGET },
    );
  }
  const attributes = recordAttributes(record);
  const count = Object.keys(attributes).length;
  const dataBytes = typeof record.value === 'string' ? utf8Length(record.value) : record.value.byteLength;
  if (dataBytes === 0 && count === 0) {
    throw new ValidationError(`${field}.value is empty and the record has no headers; Pub/Sub refuses an empty message`, {
      field: `${field}.value`,
      target: PUBSUB_TARGET,
    });
  }
  if (count > L.maxAttributes) {
    throw new ValidationError(
      `${field}.headers: ${count} attributes (the event-time attribute included); Pub/Sub allows ${L.maxAttributes}`,
      { field: `${field}.headers`, target: PUBSUB_TARGET },
    );
  }
  for (const [k, v] of Object.entries(record.headers ?? {})) {
    if (k === TIMESTAMP_ATTRIBUTE) {
      throw new ValidationError(`${field}.headers["${k}"] is reserved for the event time; use timestamp`, {
        field: `${field}.headers.${k}`,
        target: PUBSUB_TARGET,
      });
    }
    if (utf8Length(k) > L.maxAttributeKeyBytes || k.toLowerCase().startsWith('goog')) {
      throw new ValidationError(
        `${field}.headers["${k.slice(0, 40)}"]: a Pub/Sub attribute key is at most ${L.maxAttributeKeyBytes} bytes and does not start with "goog"`,
        { field: `${field}.headers.${k}`, target: PUBSUB_TARGET },
      );
    }
    if (utf8Length(v) > L.maxAttributeValueBytes) {
      throw new ValidationError(
        `${field}.headers["${k}"] value is ${utf8Length(v)} bytes; Pub/Sub allows ${L.maxAttributeValueBytes}`,
        { field: `${field}.headers.${k}`, target: PUBSUB_TARGET },
      );
    }
  }
}

/** Seconds of a protobuf `Duration` or `Timestamp` (`seconds` as a number, string or Long), or undefined when not positive. */
export function durationSeconds(d: unknown): number | undefined {
  if (d === null || d === undefined || typeof d !== 'object') return undefined;
  const { seconds, nanos } = d as { seconds?: number | string | { toNumber(): number } | null; nanos?: number | null };
  const s = typeof seconds === 'object' && seconds !== null ? seconds.toNumber() : Number(seconds ?? 0);
  const total = s + (nanos ?? 0) / 1e9;
  return total > 0 ? total : undefined;
}

/** gRPC status codes (google.rpc.Code). */
const Code = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** The gRPC status code of a Pub/Sub client error, if it has one. */
export function grpcCode(e: unknown): number | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * The config or record field a failed publish names: `topic` when the topic is missing; `requestTimeoutMs` when the
 * call ran out of its deadline (an outage or a silent endpoint: no record is at fault); none for other transport,
 * credential or quota failures; `records[index]` when Pub/Sub refused the record itself.
 */
export function publishErrorField(e: unknown, index: number): string | undefined {
  switch (grpcCode(e)) {
    case Code.NOT_FOUND:
      return 'topic';
    case Code.DEADLINE_EXCEEDED:
      return 'requestTimeoutMs';
    case Code.UNAVAILABLE:
    case Code.CANCELLED:
    case Code.ABORTED:
    case Code.PERMISSION_DENIED:
    case Code.UNAUTHENTICATED:
    case Code.RESOURCE_EXHAUSTED:
      return undefined;
    default:
      return `records[${index}]`;
  }
}

/**
 * Classifies a Pub/Sub client error into a speedlayer error at the adapter boundary (speedlayer errors pass
 * through). `what` names the operation and resource, e.g. `publish to topic "orders"`.
 */
export function classifyPubsubError(e: unknown, what: string, field?: string): SpeedlayerError {
  if (isSpeedlayerError(e)) return e;
  const detail = (e as Error)?.message ?? String(e);
  const opts = { cause: e, target: PUBSUB_TARGET, ...(field ? { field } : {}) };
  switch (grpcCode(e)) {
    case Code.NOT_FOUND:
      return new NotFoundError(`${what}: not found (${detail})`, opts);
    case Code.ALREADY_EXISTS:
      return new ConflictError(`${what}: already exists (${detail})`, opts);
    case Code.FAILED_PRECONDITION:
      return new ConflictError(`${what}: refused in the current state (${detail})`, opts);
    case Code.INVALID_ARGUMENT:
      return new ValidationError(`${what}: rejected by Pub/Sub (${detail})`, opts);
    case Code.PERMISSION_DENIED:
    case Code.UNAUTHENTICATED:
      return new AuthError(`${what}: credentials refused (${detail}); check Application Default Credentials`, opts);
    case Code.RESOURCE_EXHAUSTED:
      return new ThrottledError(`${what}: throttled (${detail})`, opts);
    case Code.DEADLINE_EXCEEDED:
      return new TimeoutError(`${what}: timed out (${detail})`, opts);
    case Code.UNAVAILABLE:
    case Code.CANCELLED:
    case Code.ABORTED:
      return new ConnectionError(`${what}: Pub/Sub unavailable (${detail})`, opts);
    case Code.UNIMPLEMENTED:
      return new UnsupportedError(`${what}: not implemented by this Pub/Sub endpoint (${detail})`, opts);
    default:
      return new SpeedlayerError('internal', `${what}: ${detail}`, { ...opts, retriable: true });
  }
}
