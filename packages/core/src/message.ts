/**
 * Message types shared by every target.
 *
 * @packageDocumentation
 */

/** String headers carried with a message (Kafka headers, Event Hubs application properties, Pub/Sub attributes). */
export type Headers = Record<string, string>;

/** A message to send. */
export interface ProducerRecord {
  /**
   * Drives the partition: same key, same partition, order kept. UTF-8 text (a Kafka key, a Kinesis partition
   * key, an Event Hubs partition key, a Pub/Sub ordering key). Omitted: spread over partitions.
   */
  key?: string | null;
  /** The payload. A string is encoded as UTF-8. */
  value: Uint8Array | string;
  /** String headers. */
  headers?: Headers;
  /** Event time in epoch milliseconds. @default the time of sending */
  timestamp?: number;
  /** Send to this partition index instead of hashing the key. Only on targets with partitions. */
  partition?: number;
}

/** Where one record landed. */
export interface RecordMetadata {
  /** Partition index (0 for targets without partitions). */
  partition: number;
  /** The target's position of the record: an offset, a sequence number or a message id, as a string. */
  position: string;
}

/** A message as a handler receives it. */
export interface ConsumedMessage {
  /** The topic it was read from. */
  topic: string;
  /** Partition index (0 for targets without partitions). */
  partition: number;
  /** The target's position (offset, sequence number, message id) as a string. */
  position: string;
  /** The key, or null when the message had none. */
  key: string | null;
  /** The payload bytes. */
  value: Uint8Array;
  /** String headers. */
  headers: Headers;
  /** Event time in epoch milliseconds. */
  timestamp: number;
  /** 1 on first delivery to this consumer, counting up on retries and redeliveries seen by it. */
  deliveryAttempt: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encodes a record value to bytes. */
export function valueBytes(value: Uint8Array | string): Uint8Array {
  return typeof value === 'string' ? encoder.encode(value) : value;
}

/** Decodes bytes as UTF-8 text. */
export function utf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** Byte length of a string in UTF-8. */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * Size of a record as most targets count it against their limit: key + value + header names and values.
 */
export function recordBytes(record: ProducerRecord): number {
  let n = valueBytes(record.value).byteLength;
  if (record.key) n += utf8Length(record.key);
  if (record.headers) {
    for (const [k, v] of Object.entries(record.headers)) n += utf8Length(k) + utf8Length(v);
  }
  return n;
}

/** Headers that speedlayer writes on dead-lettered messages. */
export const DeadLetterHeaders = {
  error: 'speedlayer-dlq-error',
  errorKind: 'speedlayer-dlq-error-kind',
  attempts: 'speedlayer-dlq-attempts',
  sourceTopic: 'speedlayer-dlq-source-topic',
  sourcePartition: 'speedlayer-dlq-source-partition',
  sourcePosition: 'speedlayer-dlq-source-position',
  group: 'speedlayer-dlq-group',
  failedAt: 'speedlayer-dlq-failed-at',
} as const;
