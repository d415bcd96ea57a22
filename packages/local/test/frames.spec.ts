import type { ProducerRecord } from '@speedlayer/core';
import { describe, expect, it } from 'vitest';
import { CorruptFrameError, countFrames, type DecodedRecord, decodeFrames, encodeAppend, splitFrames } from '../src/frames.js';
import { murmur2, partitionForKey } from '../src/index.js';

function decodeAll(buf: Buffer, base = 0, from = 0): Array<DecodedRecord & { offset: number }> {
  const out: Array<DecodedRecord & { offset: number }> = [];
  decodeFrames(buf, base, from, (offset, r) => {
    out.push({ ...r, offset });
    return true;
  });
  return out;
}

const records: ProducerRecord[] = [
  { key: 'a', value: new Uint8Array([1, 2, 3]), timestamp: 1_700_000_000_123 },
  { key: null, value: 'text', headers: { h: 'v', ünï: 'çødé' } },
  { key: '', value: new Uint8Array(0), timestamp: 5 },
  { key: 'emoji-😀', value: 'x', headers: JSON.parse('{"__proto__":"p","constructor":"c"}') as Record<string, string> },
];

describe('local/frames', () => {
  it('encodes records as frames per partition and decodes them back field by field', () => {
    const enc = encodeAppend(records, 1, () => 0, 42);
    const part = enc.parts.get(0);
    expect(part?.count).toBe(4);
    expect([...enc.indexInPart]).toEqual([0, 1, 2, 3]);
    const back = decodeAll(part?.buf as Buffer, 10);
    expect(back.map((r) => r.offset)).toEqual([10, 11, 12, 13]);
    expect(back.map((r) => r.k)).toEqual(['a', null, '', 'emoji-😀']);
    expect(back.map((r) => r.ts)).toEqual([1_700_000_000_123, 42, 5, 42]);
    expect([...(back[0]?.v ?? [])]).toEqual([1, 2, 3]);
    expect(Buffer.from(back[1]?.v ?? []).toString()).toBe('text');
    expect(back[1]?.h).toEqual(['h', 'v', 'ünï', 'çødé']);
    expect(back[2]?.v.byteLength).toBe(0);
    expect(back[3]?.h).toEqual(['__proto__', 'p', 'constructor', 'c']);
    // retention bytes: key, value and headers in UTF-8
    expect(back[1]?.bytes).toBe(4 + 1 + 1 + Buffer.byteLength('ünï') + Buffer.byteLength('çødé'));
    expect(part?.bytes).toBe(back.reduce((n, r) => n + r.bytes, 0));
  });

  it('records sharing one headers object frame the same bytes as records with their own copies', () => {
    const shared = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', ä: 'ö' };
    const sharing: ProducerRecord[] = [
      { key: 'k', value: 'a', headers: shared, timestamp: 1 },
      { key: 'k', value: 'b', headers: shared, timestamp: 1 },
      { key: 'k', value: 'c', timestamp: 1 },
      { key: 'k', value: 'd', headers: shared, timestamp: 1 },
      { key: 'k', value: 'e', headers: { other: 'x' }, timestamp: 1 },
    ];
    const copies = sharing.map((r) => (r.headers ? { ...r, headers: { ...r.headers } } : r));
    const a = encodeAppend(sharing, 1, () => 0, 0).parts.get(0);
    const b = encodeAppend(copies, 1, () => 0, 0).parts.get(0);
    expect(Buffer.compare(a?.buf as Buffer, b?.buf as Buffer)).toBe(0);
    expect(a?.bytes).toBe(b?.bytes);
    expect(decodeAll(a?.buf as Buffer).map((r) => r.h)).toEqual([
      ['traceparent', shared.traceparent, 'ä', 'ö'],
      ['traceparent', shared.traceparent, 'ä', 'ö'],
      null,
      ['traceparent', shared.traceparent, 'ä', 'ö'],
      ['other', 'x'],
    ]);
  });

  it('places records by the given function and numbers them within their partition', () => {
    const many = Array.from({ length: 10 }, (_, i) => ({ value: `v${i}`, partition: i % 3 }));
    const enc = encodeAppend(many, 3, (r) => r.partition as number, 0);
    expect([...enc.partitionOf]).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2, 0]);
    expect([...enc.indexInPart]).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2, 3]);
    expect(enc.parts.get(0)?.count).toBe(4);
    expect(decodeAll(enc.parts.get(2)?.buf as Buffer).map((r) => Buffer.from(r.v).toString())).toEqual(['v2', 'v5', 'v8']);
  });

  it('starts at `from` and stops when the callback says so', () => {
    const buf = encodeAppend(
      Array.from({ length: 5 }, (_, i) => ({ value: `v${i}` })),
      1,
      () => 0,
      0,
    ).parts.get(0)?.buf as Buffer;
    const seen: number[] = [];
    decodeFrames(buf, 100, 102, (offset) => {
      seen.push(offset);
      return offset < 103;
    });
    expect(seen).toEqual([102, 103]);
  });

  it('a flipped bit fails that record only, naming its offset; the records before it decode', () => {
    const buf = encodeAppend(
      Array.from({ length: 3 }, (_, i) => ({ value: `value-${i}` })),
      1,
      () => 0,
      0,
    ).parts.get(0)?.buf as Buffer;
    const bad = Buffer.from(buf);
    const at = bad.indexOf('value-1');
    bad[at + 2] = (bad[at + 2] as number) ^ 0x04;
    const seen: number[] = [];
    let error: unknown;
    try {
      decodeFrames(bad, 7, 0, (offset) => {
        seen.push(offset);
        return true;
      });
    } catch (e) {
      error = e;
    }
    expect(seen).toEqual([7]);
    expect(error).toBeInstanceOf(CorruptFrameError);
    expect((error as CorruptFrameError).index).toBe(8);
    // the same frame not verified (retention reads timestamps only) does not throw
    expect(() => decodeFrames(bad, 7, 0, () => true, false)).not.toThrow();
  });

  it('a truncated batch or a foreign byte is corrupt, not a crash or an empty read', () => {
    const buf = encodeAppend([{ value: 'abcdef' }, { value: 'ghijkl' }], 1, () => 0, 0).parts.get(0)?.buf as Buffer;
    expect(() => decodeAll(buf.subarray(0, buf.length - 3))).toThrow(CorruptFrameError);
    const foreign = Buffer.from(buf);
    foreign[0] = 0x7f;
    expect(() => decodeAll(foreign)).toThrow(CorruptFrameError);
    expect(() => decodeAll(Buffer.from([1, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0]))).toThrow(CorruptFrameError);
  });

  it('splits frames into chunks of about a target size at frame boundaries, and counts frames', () => {
    const enc = encodeAppend(
      Array.from({ length: 100 }, (_, i) => ({ value: new Uint8Array(100).fill(i) })),
      1,
      () => 0,
      0,
    );
    const buf = enc.parts.get(0)?.buf as Buffer;
    expect(countFrames(buf)).toBe(100);
    const chunks = splitFrames(buf, 1000);
    expect(chunks.reduce((n, c) => n + c.count, 0)).toBe(100);
    expect(chunks.every((c) => countFrames(c.buf) === c.count)).toBe(true);
    expect(Buffer.concat(chunks.map((c) => c.buf)).equals(buf)).toBe(true);
    expect(chunks.length).toBeGreaterThan(5);
  });
});

describe('local/partitionForKey', () => {
  it('hashes ASCII keys from their char codes exactly as murmur2 over their UTF-8 bytes', () => {
    const keys = ['', 'a', 'ab', 'abc', 'abcd', 'k1023', 'order-12345', '~!@#$%^&*()_+', 'x'.repeat(300), 'ünïcödé', '😀-key'];
    for (let i = 0; i < 200; i++) keys.push(`key-${i * 7919}`);
    for (const key of keys) {
      for (const n of [1, 7, 8, 1000]) {
        expect(partitionForKey(key, n), key).toBe((murmur2(Buffer.from(key, 'utf8')) & 0x7fffffff) % n);
      }
    }
  });
});
