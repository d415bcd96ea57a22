/**
 * Whole-batch validation, run by every producer before anything is sent.
 *
 * @packageDocumentation
 */
import type { StreamCapabilities } from './capabilities.js';
import { MessageTooLargeError, ValidationError } from './errors.js';
import { type ProducerRecord, recordBytes, valueBytes } from './message.js';

const TOPIC_RE = /^[A-Za-z0-9._-]{1,249}$/;

/**
 * Checks a topic name (the common subset every target accepts: letters, digits, `.`, `_`, `-`).
 * @throws {@link ValidationError} with field `topic`.
 */
export function validateTopicName(topic: unknown, field = 'topic'): string {
  if (typeof topic !== 'string' || !TOPIC_RE.test(topic) || topic === '.' || topic === '..') {
    throw new ValidationError(
      `${field} "${String(topic)}" is invalid: use 1-249 characters of letters, digits, ".", "_" and "-"`,
      { field },
    );
  }
  return topic;
}

/** Checks a positive whole number argument. */
export function validatePositiveInt(value: unknown, field: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new ValidationError(`${field} must be a whole number from 1 to ${max}, got ${String(value)}`, { field });
  }
  return value;
}

/** A lone (unpaired) UTF-16 surrogate: a string that has no UTF-8 encoding. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Checks that a string has a UTF-8 encoding (no lone surrogate). Every target sends keys, header names and values
 * and string values as UTF-8; a lone surrogate would be silently rewritten to U+FFFD by some clients and make
 * others fail or hang, so it is refused here, before anything is sent.
 * @throws {@link ValidationError} naming `field` (never echoing the value).
 */
export function validateUtf8(value: string, field: string, target?: string): string {
  const m = LONE_SURROGATE.exec(value);
  if (m) {
    throw new ValidationError(
      `${field} is not well-formed Unicode: a lone surrogate (U+${(m[0].codePointAt(0) ?? 0).toString(16).toUpperCase()}) at character ${m.index} has no UTF-8 encoding`,
      { field, ...(target !== undefined ? { target } : {}) },
    );
  }
  return value;
}

/**
 * Validates a whole batch against a target's capabilities. Returns the records as an array.
 * @throws {@link MessageTooLargeError} or {@link ValidationError}; nothing may be sent then.
 */
export function validateBatch(
  records: ProducerRecord | readonly ProducerRecord[],
  caps: StreamCapabilities,
  target: string,
  extra?: (record: ProducerRecord, index: number) => void,
): ProducerRecord[] {
  const list: ProducerRecord[] = Array.isArray(records) ? [...records] : [records as ProducerRecord];
  // a plain loop, and field names built only on the way to an error: this runs for every record sent
  for (let i = 0; i < list.length; i++) {
    const r = list[i] as ProducerRecord;
    if (r === null || typeof r !== 'object') {
      throw new ValidationError(`records[${i}] must be an object`, { field: `records[${i}]`, target });
    }
    if (!(typeof r.value === 'string' || r.value instanceof Uint8Array)) {
      throw new ValidationError(`records[${i}].value must be a string or Uint8Array`, { field: `records[${i}].value`, target });
    }
    if (r.key !== undefined && r.key !== null && typeof r.key !== 'string') {
      throw new ValidationError(`records[${i}].key must be a string`, { field: `records[${i}].key`, target });
    }
    if (typeof r.key === 'string' && LONE_SURROGATE.test(r.key)) validateUtf8(r.key, `records[${i}].key`, target);
    if (typeof r.value === 'string' && LONE_SURROGATE.test(r.value)) validateUtf8(r.value, `records[${i}].value`, target);
    if (r.headers !== undefined) {
      const field = `records[${i}]`;
      if (r.headers === null || typeof r.headers !== 'object') {
        throw new ValidationError(`${field}.headers must be an object of strings`, { field: `${field}.headers`, target });
      }
      const entries = Object.entries(r.headers);
      if (caps.maxHeaders !== undefined && entries.length > caps.maxHeaders) {
        throw new ValidationError(`${field}.headers has ${entries.length} entries; ${target} allows ${caps.maxHeaders}`, {
          field: `${field}.headers`,
          target,
        });
      }
      for (const [k, v] of entries) {
        if (k === '' || typeof v !== 'string') {
          throw new ValidationError(`${field}.headers["${k}"] must be a non-empty name with a string value`, {
            field: `${field}.headers.${k}`,
            target,
          });
        }
        if (LONE_SURROGATE.test(k)) validateUtf8(k, `${field}.headers`, target); // a header name
        if (LONE_SURROGATE.test(v)) validateUtf8(v, `${field}.headers.${k}`, target);
      }
    }
    if (r.timestamp !== undefined && (typeof r.timestamp !== 'number' || !Number.isFinite(r.timestamp) || r.timestamp < 0)) {
      throw new ValidationError(`records[${i}].timestamp must be epoch milliseconds`, {
        field: `records[${i}].timestamp`,
        target,
      });
    }
    if (r.partition !== undefined) {
      if (!caps.partitions) {
        throw new ValidationError(`records[${i}].partition: ${target} has no partitions`, {
          field: `records[${i}].partition`,
          target,
        });
      }
      if (!Number.isInteger(r.partition) || r.partition < 0) {
        throw new ValidationError(`records[${i}].partition must be a partition index`, {
          field: `records[${i}].partition`,
          target,
        });
      }
    }
    const bytes = recordBytes(r);
    if (bytes > caps.maxMessageBytes) throw new MessageTooLargeError(i, bytes, caps.maxMessageBytes, { target });
    extra?.(r, i);
  }
  return list;
}

export { valueBytes };
