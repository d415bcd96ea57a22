/**
 * The binary record format of the LMDB log: records are stored as frames, many frames to one LMDB value (a record
 * batch, as Kafka stores them), so a value holds hundreds of records and the B-tree holds one key per batch
 * instead of one per record (half-filled leaf pages doubled the file; per-record puts and msgpack were most of the
 * CPU of a send).
 *
 * A frame: `u8 version (1) | u32 body length | u32 CRC-32 of the body | body`, and a body:
 * `f64 timestamp | i32 key length (-1: no key) | key (UTF-8) | u32 header count | (u32 length, UTF-8)* | value`.
 * Integers are little-endian. Each record keeps its own checksum, so a flipped bit fails that record only.
 *
 * @packageDocumentation
 */
import { crc32 } from 'node:zlib';
import { type ProducerRecord, valueBytes } from '@speedlayer/core';

const VERSION = 1;
/** Bytes of a frame before its body: version, body length, CRC-32. */
export const FRAME_HEAD = 9;

/** A record read back from a frame. */
export interface DecodedRecord {
  k: string | null;
  v: Uint8Array;
  /** Headers as a flat `[name, value, ...]` list. */
  h: string[] | null;
  ts: number;
  /** Bytes the record holds for retention: key, value and headers. */
  bytes: number;
}

/** Frames of one append for one partition. */
export interface EncodedPart {
  /** Frames back to back. */
  buf: Buffer;
  /** Records in `buf`. */
  count: number;
  /** Retention bytes of the records (key, value, headers). */
  bytes: number;
}

/** The frames of an append, one buffer per partition, and where each record went. */
export interface EncodedAppend {
  /** Partition count the records were placed with. */
  partitions: number;
  parts: Map<number, EncodedPart>;
  /** Partition of each record. */
  partitionOf: Int32Array;
  /** Index of each record among the records of its partition in this append. */
  indexInPart: Int32Array;
}

/** Thrown by {@link decodeFrames} for a frame that fails its checksum or does not parse. */
export class CorruptFrameError extends Error {
  constructor(readonly index: number) {
    super(`frame ${index} is corrupt`);
  }
}

/**
 * Encodes an append's records as frames per partition. `place(i)` gives record i's partition; `now` is the
 * timestamp of records without one. Throws what `place` throws (nothing is encoded then).
 */
export function encodeAppend(
  records: readonly ProducerRecord[],
  partitions: number,
  place: (record: ProducerRecord) => number,
  now: number,
): EncodedAppend {
  const n = records.length;
  const partitionOf = new Int32Array(n);
  const indexInPart = new Int32Array(n);
  const sizes = new Map<number, { size: number; count: number }>();
  const values: Uint8Array[] = new Array(n);
  const keyLengths = new Int32Array(n);
  const headerBlocks: HeaderBlock[] = new Array(n);
  // records that share one headers object (as every record of a traced send does) share its encoding
  let lastHeaders: object | undefined;
  let lastBlock = NO_HEADERS;
  for (let i = 0; i < n; i++) {
    const r = records[i] as ProducerRecord;
    const p = place(r);
    partitionOf[i] = p;
    const v = valueBytes(r.value);
    values[i] = v;
    const kl = r.key === undefined || r.key === null ? -1 : Buffer.byteLength(r.key);
    keyLengths[i] = kl;
    if (r.headers !== lastHeaders) {
      lastHeaders = r.headers;
      lastBlock = r.headers ? headerBlock(r.headers) : NO_HEADERS;
    }
    headerBlocks[i] = lastBlock;
    const size = FRAME_HEAD + 12 + Math.max(kl, 0) + v.byteLength + lastBlock.buf.length;
    let s = sizes.get(p);
    if (!s) {
      s = { size: 0, count: 0 };
      sizes.set(p, s);
    }
    indexInPart[i] = s.count;
    s.size += size;
    s.count++;
  }
  const parts = new Map<number, EncodedPart & { at: number }>();
  for (const [p, s] of sizes) parts.set(p, { buf: Buffer.allocUnsafe(s.size), count: s.count, bytes: 0, at: 0 });
  for (let i = 0; i < n; i++) {
    const r = records[i] as ProducerRecord;
    const part = parts.get(partitionOf[i] as number) as EncodedPart & { at: number };
    const buf = part.buf;
    const start = part.at;
    const body = start + FRAME_HEAD;
    let at = body;
    buf.writeDoubleLE(r.timestamp ?? now, at);
    const kl = keyLengths[i] as number;
    buf.writeInt32LE(kl, at + 8);
    at += 12;
    let bytes = 0;
    if (kl > 0) {
      buf.write(r.key as string, at, kl, 'utf8');
      at += kl;
      bytes += kl;
    }
    const block = headerBlocks[i] as HeaderBlock;
    buf.set(block.buf, at);
    at += block.buf.length;
    bytes += block.bytes;
    const v = values[i] as Uint8Array;
    buf.set(v, at);
    at += v.byteLength;
    bytes += v.byteLength;
    buf[start] = VERSION;
    buf.writeUInt32LE(at - body, start + 1);
    buf.writeUInt32LE(crc32(buf.subarray(body, at)), start + 5);
    part.at = at;
    part.bytes += bytes;
  }
  return { partitions, parts, partitionOf, indexInPart };
}

/** A record's headers as framed: their count, then each name and value with its length; `bytes` is their UTF-8 bytes. */
interface HeaderBlock {
  buf: Buffer;
  bytes: number;
}

const NO_HEADERS: HeaderBlock = { buf: Buffer.alloc(4), bytes: 0 };

function headerBlock(headers: Readonly<Record<string, string>>): HeaderBlock {
  const names = Object.keys(headers);
  let size = 4;
  for (const name of names) size += 8 + Buffer.byteLength(name) + Buffer.byteLength(headers[name] as string);
  const buf = Buffer.allocUnsafe(size);
  buf.writeUInt32LE(names.length, 0);
  let at = 4;
  let bytes = 0;
  for (const name of names) {
    for (const text of [name, headers[name] as string]) {
      const len = buf.write(text, at + 4, 'utf8');
      buf.writeUInt32LE(len, at);
      at += 4 + len;
      bytes += len;
    }
  }
  return { buf, bytes };
}

/** Number of frames in `buf` (their heads only are read). */
export function countFrames(buf: Uint8Array): number {
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  let n = 0;
  for (let at = 0; at + FRAME_HEAD <= view.length; at += FRAME_HEAD + view.readUInt32LE(at + 1)) n++;
  return n;
}

/**
 * Splits frames into chunks of about `target` bytes, at frame boundaries (no copies: views of `buf`). Returns
 * each chunk with its record count.
 */
export function splitFrames(buf: Buffer, target: number): Array<{ buf: Buffer; count: number }> {
  if (buf.length <= target) return [{ buf, count: -1 }];
  const out: Array<{ buf: Buffer; count: number }> = [];
  let start = 0;
  let count = 0;
  for (let at = 0; at + FRAME_HEAD <= buf.length; ) {
    at += FRAME_HEAD + buf.readUInt32LE(at + 1);
    count++;
    if (at - start >= target || at >= buf.length) {
      out.push({ buf: buf.subarray(start, at), count });
      start = at;
      count = 0;
    }
  }
  return out;
}

/**
 * Decodes the frames of one stored batch whose first record is at offset `base`, calling `each` for the records
 * at or after `from` until it returns false. Each record's checksum is verified.
 * @throws {@link CorruptFrameError} with the offset of the first record that fails its checksum or does not parse.
 */
export function decodeFrames(
  buf: Buffer,
  base: number,
  from: number,
  each: (offset: number, record: DecodedRecord) => boolean,
  verify = true,
): void {
  let offset = base;
  for (let at = 0; at < buf.length; offset++) {
    let next: number;
    let record: DecodedRecord | undefined;
    try {
      if (buf[at] !== VERSION || at + FRAME_HEAD > buf.length) throw new RangeError('frame head');
      const len = buf.readUInt32LE(at + 1);
      const body = at + FRAME_HEAD;
      next = body + len;
      if (next > buf.length) throw new RangeError('frame length');
      if (offset >= from) {
        if (verify && crc32(buf.subarray(body, next)) !== buf.readUInt32LE(at + 5)) throw new RangeError('checksum');
        record = decodeBody(buf, body, next);
      }
    } catch {
      throw new CorruptFrameError(offset);
    }
    if (record && !each(offset, record)) return;
    at = next;
  }
}

function decodeBody(buf: Buffer, start: number, end: number): DecodedRecord {
  const ts = buf.readDoubleLE(start);
  const kl = buf.readInt32LE(start + 8);
  let at = start + 12;
  let k: string | null = null;
  let bytes = 0;
  if (kl >= 0) {
    if (at + kl > end) throw new RangeError('key');
    k = buf.toString('utf8', at, at + kl);
    at += kl;
    bytes += kl;
  }
  const headers = buf.readUInt32LE(at);
  at += 4;
  let h: string[] | null = null;
  if (headers > 0) {
    if (headers > (end - at) / 8) throw new RangeError('headers');
    h = new Array<string>(headers * 2);
    for (let i = 0; i < headers * 2; i++) {
      const len = buf.readUInt32LE(at);
      at += 4;
      if (at + len > end) throw new RangeError('header');
      h[i] = buf.toString('utf8', at, at + len);
      at += len;
      bytes += len;
    }
  }
  if (at > end) throw new RangeError('value');
  bytes += end - at;
  return { k, v: buf.subarray(at, end), h, ts, bytes };
}
