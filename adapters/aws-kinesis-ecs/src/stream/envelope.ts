/**
 * The header envelope. Kinesis records have a partition key and a data blob, nothing else, so speedlayer carries
 * headers (and the producer's timestamp, and "this record had no key") inside the blob, in a small documented
 * frame that any reader can strip:
 *
 * ```
 * offset 0  4 bytes  magic F5 53 4C 01   (0xF5 never starts valid UTF-8 text; "SL"; format version 1)
 * offset 4  4 bytes  N = length of the header block, unsigned 32-bit big-endian
 * offset 8  N bytes  header block: UTF-8 JSON {"h":{name:value,...},"ts":epochMs,"nk":1}; every field optional
 * offset 8+N ...     the value, unchanged
 * ```
 *
 * A record is framed only when it needs to be: it has headers or an explicit timestamp, it had no key, or its
 * value itself starts with the magic. Every other record is written raw, byte for byte, so most records stay
 * readable by any Kinesis client as they are. A frame that does not parse is read as a raw value.
 *
 * @packageDocumentation
 */
import type { Headers } from '@speedlayer/core';

/** The four magic bytes that start a framed record. */
export const ENVELOPE_MAGIC = Uint8Array.of(0xf5, 0x53, 0x4c, 0x01);

/** What the header block carries. */
export interface EnvelopeMeta {
  /** String headers. */
  headers?: Headers;
  /** Producer timestamp, epoch ms. */
  timestamp?: number;
  /** True when the record was sent without a key (Kinesis needs one; a random one was used). */
  noKey?: boolean;
}

function startsWithMagic(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 &&
    bytes[0] === ENVELOPE_MAGIC[0] &&
    bytes[1] === ENVELOPE_MAGIC[1] &&
    bytes[2] === ENVELOPE_MAGIC[2] &&
    bytes[3] === ENVELOPE_MAGIC[3]
  );
}

/** Frames `value` with `meta` when needed; returns the bytes to put in the record's data blob. */
export function encodeEnvelope(value: Uint8Array, meta: EnvelopeMeta): Uint8Array {
  const hasHeaders = meta.headers !== undefined && Object.keys(meta.headers).length > 0;
  if (!hasHeaders && meta.timestamp === undefined && !meta.noKey && !startsWithMagic(value)) return value;
  const block: { h?: Headers; ts?: number; nk?: 1 } = {};
  if (hasHeaders) block.h = meta.headers as Headers;
  if (meta.timestamp !== undefined) block.ts = meta.timestamp;
  if (meta.noKey) block.nk = 1;
  const json = Buffer.from(JSON.stringify(block), 'utf8');
  const out = Buffer.allocUnsafe(8 + json.length + value.byteLength);
  out.set(ENVELOPE_MAGIC, 0);
  out.writeUInt32BE(json.length, 4);
  json.copy(out, 8);
  out.set(value, 8 + json.length);
  return out;
}

/** Splits a data blob into value and meta; a blob without a valid frame is a raw value. */
export function decodeEnvelope(data: Uint8Array): { value: Uint8Array; meta: EnvelopeMeta } {
  if (!startsWithMagic(data) || data.byteLength < 8) return { value: data, meta: {} };
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const n = view.getUint32(4, false);
  if (8 + n > data.byteLength) return { value: data, meta: {} };
  try {
    const block = JSON.parse(Buffer.from(data.buffer, data.byteOffset + 8, n).toString('utf8')) as Record<string, unknown>;
    if (block === null || typeof block !== 'object' || Array.isArray(block)) return { value: data, meta: {} };
    const meta: EnvelopeMeta = {};
    const h = block.h;
    if (h !== undefined) {
      if (h === null || typeof h !== 'object' || Array.isArray(h)) return { value: data, meta: {} };
      const headers: Headers = {};
      for (const [k, v] of Object.entries(h as Record<string, unknown>)) if (typeof v === 'string') headers[k] = v;
      meta.headers = headers;
    }
    if (typeof block.ts === 'number' && Number.isFinite(block.ts)) meta.timestamp = block.ts;
    if (block.nk === 1) meta.noKey = true;
    return { value: data.subarray(8 + n), meta };
  } catch {
    return { value: data, meta: {} };
  }
}

/** Bytes the frame adds for `meta` (0 when the record would be written raw). */
export function envelopeOverhead(value: Uint8Array, meta: EnvelopeMeta): number {
  return encodeEnvelope(value, meta).byteLength - value.byteLength;
}
