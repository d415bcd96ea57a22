/**
 * Partition-key → partition mapping of Event Hubs, as Microsoft's SDKs compute it client-side (the buffered
 * producers of .NET and JavaScript): Bob Jenkins' lookup3 `hashlittle2` over the key's UTF-8 bytes with zero seeds,
 * the two 32-bit results XOR-ed and cast to a signed 16-bit integer, then `abs(hash % partitionCount)`.
 * The SDKs use it to send to the partition the service itself would pick for that key. Written from the public
 * algorithm description; checked in the unit tests against the `@azure/event-hubs` implementation.
 *
 * @packageDocumentation
 */

const rot = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/** lookup3 `hashlittle2`: returns `[c, b]` (the primary and secondary 32-bit hashes). */
export function hashLittle2(data: Uint8Array, seedC = 0, seedB = 0): [number, number] {
  let length = data.length;
  let a = (0xdeadbeef + length + seedC) >>> 0;
  let b = a;
  let c = (a + seedB) >>> 0;
  const u32 = (i: number): number =>
    ((data[i] ?? 0) | ((data[i + 1] ?? 0) << 8) | ((data[i + 2] ?? 0) << 16) | ((data[i + 3] ?? 0) << 24)) >>> 0;
  let i = 0;
  while (length > 12) {
    a = (a + u32(i)) >>> 0;
    b = (b + u32(i + 4)) >>> 0;
    c = (c + u32(i + 8)) >>> 0;
    // mix
    a = (a - c) >>> 0;
    a = (a ^ rot(c, 4)) >>> 0;
    c = (c + b) >>> 0;
    b = (b - a) >>> 0;
    b = (b ^ rot(a, 6)) >>> 0;
    a = (a + c) >>> 0;
    c = (c - b) >>> 0;
    c = (c ^ rot(b, 8)) >>> 0;
    b = (b + a) >>> 0;
    a = (a - c) >>> 0;
    a = (a ^ rot(c, 16)) >>> 0;
    c = (c + b) >>> 0;
    b = (b - a) >>> 0;
    b = (b ^ rot(a, 19)) >>> 0;
    a = (a + c) >>> 0;
    c = (c - b) >>> 0;
    c = (c ^ rot(b, 4)) >>> 0;
    b = (b + a) >>> 0;
    length -= 12;
    i += 12;
  }
  if (length === 0) return [c, b];
  // the tail: up to 12 bytes, little-endian, missing bytes are zero
  const byte = (k: number): number => (k < length ? (data[i + k] ?? 0) : 0);
  const word = (k: number): number => (byte(k) | (byte(k + 1) << 8) | (byte(k + 2) << 16) | (byte(k + 3) << 24)) >>> 0;
  a = (a + word(0)) >>> 0;
  if (length > 4) b = (b + word(4)) >>> 0;
  if (length > 8) c = (c + word(8)) >>> 0;
  // final
  c = ((c ^ b) - rot(b, 14)) >>> 0;
  a = ((a ^ c) - rot(c, 11)) >>> 0;
  b = ((b ^ a) - rot(a, 25)) >>> 0;
  c = ((c ^ b) - rot(b, 16)) >>> 0;
  a = ((a ^ c) - rot(c, 4)) >>> 0;
  b = ((b ^ a) - rot(a, 14)) >>> 0;
  c = ((c ^ b) - rot(b, 24)) >>> 0;
  return [c, b];
}

/** The signed 16-bit partition-key hash. */
export function partitionKeyHash(key: string): number {
  const [c, b] = hashLittle2(Buffer.from(key, 'utf8'));
  return ((c ^ b) << 16) >> 16;
}

/** The partition index a key maps to on a hub with `partitionCount` partitions. */
export function partitionForKey(key: string, partitionCount: number): number {
  return Math.abs(partitionKeyHash(key) % partitionCount);
}
