/**
 * The Kinesis driver producer: Kinesis' own record rules, PutRecords batching within Kinesis' limits, and retries
 * of partial failures and throttling that never put a later record of a key before an earlier one. Record shapes,
 * UTF-8, sizes against the capabilities, the topic name and use after close are the portable client's checks.
 *
 * Order rule: one PutRecords request carries at most one record per partition key. Within a request Kinesis may
 * fail one record and accept the next, so two records of one key in one request could land out of order. With
 * one record per key per request, a failed record stays at the head of its key's queue and goes out in the next
 * request, before every later record of that key.
 *
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import { type KinesisClient, PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import {
  AuthError,
  backoffDelay,
  type DriverProducer,
  MessageTooLargeError,
  type ProducerRecord,
  type RecordMetadata,
  sleep,
  ThrottledError,
  utf8Length,
  ValidationError,
  valueBytes,
} from '@speedlayer/core';
import type { KinesisConfig } from './config.js';
import { encodeEnvelope } from './envelope.js';
import { classifyAwsError, TARGET } from './errors.js';
import { MAX_HASH_KEY, shardIndex } from './hash.js';
import { listShards, openShards, waitForActive } from './shards.js';

/** Header naming an explicit hash key (decimal, 0..2^128-1) for a record; it is not written into the record. */
export const EXPLICIT_HASH_KEY_HEADER = 'kinesis-explicit-hash-key';

/** What the producer needs from its client. */
export interface ProducerHost {
  readonly kinesis: KinesisClient;
  readonly config: KinesisConfig;
}

/** One entry ready for PutRecords. */
export interface Entry {
  index: number;
  partitionKey: string;
  explicitHashKey: string | undefined;
  data: Uint8Array;
  bytes: number;
}

const KEY_MAX_CHARS = 256;

/** Per-record PutRecords errors that retrying cannot fix (the stream's KMS key cannot be used). */
const NON_RETRIABLE_RECORD_ERRORS = new Set([
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSInvalidStateException',
  'KMSNotFoundException',
  'KMSOptInRequired',
  'AccessDeniedException',
]);

/**
 * Validates a batch and turns it into PutRecords entries; nothing is sent.
 * @throws `MessageTooLargeError`, `ValidationError`.
 */
export function prepareEntries(
  list: readonly ProducerRecord[],
  config: KinesisConfig,
  partitionHashKey: (partition: number, index: number) => string,
): Entry[] {
  return list.map((r, i) => {
    const headers = { ...(r.headers ?? {}) };
    let explicitHashKey: string | undefined;
    if (headers[EXPLICIT_HASH_KEY_HEADER] !== undefined) {
      explicitHashKey = headers[EXPLICIT_HASH_KEY_HEADER];
      delete headers[EXPLICIT_HASH_KEY_HEADER];
    }
    if (r.partition !== undefined) explicitHashKey = partitionHashKey(r.partition, i);
    const noKey = r.key === undefined || r.key === null;
    const partitionKey = noKey ? randomBytes(16).toString('hex') : (r.key as string);
    const value = valueBytes(r.value);
    const data =
      config.headers === 'raw'
        ? value
        : encodeEnvelope(value, {
            ...(Object.keys(headers).length > 0 ? { headers } : {}),
            ...(r.timestamp !== undefined ? { timestamp: r.timestamp } : {}),
            ...(noKey ? { noKey: true } : {}),
          });
    const bytes = data.byteLength + utf8Length(partitionKey);
    if (bytes > config.maxRecordBytes) throw new MessageTooLargeError(i, bytes, config.maxRecordBytes, { target: TARGET });
    return { index: i, partitionKey, explicitHashKey, data, bytes };
  });
}

/** Kinesis' per-record rules, beyond the portable client's record validation (partition key, hash key, raw mode). */
export function kinesisRecordCheck(config: KinesisConfig) {
  return (r: ProducerRecord, i: number): void => {
    const field = `records[${i}]`;
    if (typeof r.key === 'string') {
      const chars = [...r.key].length;
      if (chars === 0 || chars > KEY_MAX_CHARS) {
        throw new ValidationError(`${field}.key must be 1-${KEY_MAX_CHARS} characters (a Kinesis partition key), got ${chars}`, {
          field: `${field}.key`,
          target: TARGET,
        });
      }
    }
    const h = r.headers?.[EXPLICIT_HASH_KEY_HEADER];
    if (h !== undefined && (!/^\d{1,39}$/.test(h) || BigInt(h) > MAX_HASH_KEY)) {
      throw new ValidationError(`${field}.headers["${EXPLICIT_HASH_KEY_HEADER}"] must be a decimal from 0 to 2^128-1`, {
        field: `${field}.headers.${EXPLICIT_HASH_KEY_HEADER}`,
        target: TARGET,
      });
    }
    if (config.headers === 'raw') {
      const names = Object.keys(r.headers ?? {}).filter((k) => k !== EXPLICIT_HASH_KEY_HEADER);
      if (names.length > 0) {
        throw new ValidationError(
          `${field}.headers: this client writes raw records (headers=raw), which cannot carry headers; use headers=envelope`,
          { field: `${field}.headers`, target: TARGET },
        );
      }
    }
  };
}

/**
 * Picks the next request from `pending` (in order): at most one record per partition key, within the record
 * and byte limits. Pure, for tests.
 */
export function nextRequest<T extends { partitionKey: string; bytes: number }>(
  pending: readonly T[],
  maxRecords: number,
  maxBytes: number,
): T[] {
  const keys = new Set<string>();
  const out: T[] = [];
  let bytes = 0;
  for (const e of pending) {
    if (out.length >= maxRecords) break;
    if (keys.has(e.partitionKey)) continue;
    if (bytes + e.bytes > maxBytes) {
      if (out.length === 0) out.push(e);
      break;
    }
    keys.add(e.partitionKey);
    out.push(e);
    bytes += e.bytes;
  }
  return out;
}

/** Sends records to Kinesis streams. */
export class KinesisProducer implements DriverProducer {
  private closed = false;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly host: ProducerHost,
    private readonly onClose: () => void,
  ) {}

  /** Sends one batch, validated by the portable client; Kinesis' own rules ({@link kinesisRecordCheck}) run here. */
  async send(topic: string, records: ProducerRecord | readonly ProducerRecord[]): Promise<RecordMetadata[]> {
    const list: readonly ProducerRecord[] = Array.isArray(records) ? records : [records as ProducerRecord];
    const { config } = this.host;
    list.forEach(kinesisRecordCheck(config));
    if (list.length === 0) return [];
    let hashKeys: Map<number, string> | undefined;
    if (list.some((r) => r.partition !== undefined)) {
      hashKeys = new Map(
        openShards(await listShards(this.host.kinesis, topic)).map((s) => [s.partition, s.startingHashKey.toString()]),
      );
    }
    const entries = prepareEntries(list, config, (p, i) => {
      const k = hashKeys?.get(p);
      if (k === undefined) {
        throw new ValidationError(`records[${i}].partition ${p} is not an open shard of stream "${topic}"`, {
          field: `records[${i}].partition`,
          target: TARGET,
        });
      }
      return k;
    });
    // one send at a time per producer: keeps per-key order across successive calls
    const run = this.tail.then(() => this.putAll(topic, entries));
    this.tail = run.catch(() => {});
    return run;
  }

  private async putAll(topic: string, entries: Entry[]): Promise<RecordMetadata[]> {
    const { kinesis, config } = this.host;
    const out: RecordMetadata[] = new Array(entries.length);
    let pending = entries;
    const deadline = Date.now() + config.produceTimeoutMs;
    let failedRounds = 0;
    while (pending.length > 0) {
      const request = nextRequest(pending, config.maxRequestRecords, config.maxRequestBytes);
      let failed: Set<Entry>;
      try {
        failed = await this.put(topic, request, out);
      } catch (e) {
        const err = classifyAwsError(e, `PutRecords to stream "${topic}"`);
        if (err.kind === 'not-found') {
          // missing, or still CREATING: wait for ACTIVE (throws NotFoundError when it does not exist)
          await waitForActive(kinesis, topic, Math.max(1, deadline - Date.now()));
          continue;
        }
        if (!err.retriable || Date.now() > deadline) throw err;
        failed = new Set(request);
      }
      if (failed.size > 0) {
        failedRounds++;
        if (Date.now() > deadline) {
          const unsent = pending.filter((e) => out[e.index] === undefined).length;
          throw new ThrottledError(
            `PutRecords to stream "${topic}": ${unsent} of ${entries.length} records still failing after ${config.produceTimeoutMs} ms (throttled or failed); the others were sent`,
            { target: TARGET },
          );
        }
        await sleep(backoffDelay(failedRounds, { initialMs: config.produceBackoffMs, maxMs: 5000 }));
      } else {
        failedRounds = 0;
      }
      pending = pending.filter((e) => out[e.index] === undefined);
    }
    return out;
  }

  /** One PutRecords call; fills `out` for the records that landed and returns the failed ones. */
  private async put(topic: string, request: Entry[], out: RecordMetadata[]): Promise<Set<Entry>> {
    const res = await this.host.kinesis.send(
      new PutRecordsCommand({
        StreamName: topic,
        Records: request.map(
          (e): PutRecordsRequestEntry => ({
            Data: e.data,
            PartitionKey: e.partitionKey,
            ...(e.explicitHashKey !== undefined ? { ExplicitHashKey: e.explicitHashKey } : {}),
          }),
        ),
      }),
    );
    const failed = new Set<Entry>();
    const results = res.Records ?? [];
    let fatal: string | undefined;
    request.forEach((e, i) => {
      const r = results[i];
      if (r && !r.ErrorCode && r.SequenceNumber && r.ShardId) {
        out[e.index] = { partition: shardIndex(r.ShardId), position: r.SequenceNumber };
      } else {
        failed.add(e);
        if (r?.ErrorCode && NON_RETRIABLE_RECORD_ERRORS.has(r.ErrorCode)) fatal ??= `${r.ErrorCode}: ${r.ErrorMessage ?? ''}`;
      }
    });
    if (fatal) {
      throw new AuthError(`PutRecords to stream "${topic}": ${failed.size} records refused (${fatal}); the others were sent`, {
        target: TARGET,
      });
    }
    return failed;
  }

  async flush(): Promise<void> {
    await this.tail;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail;
    this.onClose();
  }
}
