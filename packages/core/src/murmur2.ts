/**
 * Kafka's default key partitioning, identical to the Java client: `toPositive(murmur2(utf8(key))) % partitions`. The
 * one implementation, used by the Kafka driver (`@speedlayer/kafka`) and the embedded log (`@speedlayer/local`), so a
 * key lands on the same partition on every target that has Kafka's partitions.
 *
 * @packageDocumentation
 */

/** Kafka's murmur2 (the Java client's `Utils.murmur2`), so keys land where a Kafka client would put them. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const seed = 0x9747b28c;
  const m = 0x5bd1e995;
  const r = 24;
  let h = seed ^ length;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = (data[i4]! & 0xff) + ((data[i4 + 1]! & 0xff) << 8) + ((data[i4 + 2]! & 0xff) << 16) + ((data[i4 + 3]! & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const rest = length & 3;
  const base = length & ~3;
  if (rest === 3) h ^= (data[base + 2]! & 0xff) << 16;
  if (rest >= 2) h ^= (data[base + 1]! & 0xff) << 8;
  if (rest >= 1) {
    h ^= data[base]! & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's default partition for a key: `toPositive(murmur2(key)) % partitions`. */
export function partitionForKey(key: string, partitions: number): number {
  return (murmur2Key(key) & 0x7fffffff) % partitions;
}

/** {@link murmur2} of a string's UTF-8 bytes; an ASCII key is hashed from its char codes (no encoding). */
function murmur2Key(key: string): number {
  const length = key.length;
  if (length > 256) return murmur2(Buffer.from(key, 'utf8'));
  for (let i = 0; i < length; i++) if (key.charCodeAt(i) > 0x7f) return murmur2(Buffer.from(key, 'utf8'));
  const m = 0x5bd1e995;
  let h = 0x9747b28c ^ length;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = key.charCodeAt(i4) + (key.charCodeAt(i4 + 1) << 8) + (key.charCodeAt(i4 + 2) << 16) + (key.charCodeAt(i4 + 3) << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const rest = length & 3;
  const base = length & ~3;
  if (rest === 3) h ^= key.charCodeAt(base + 2) << 16;
  if (rest >= 2) h ^= key.charCodeAt(base + 1) << 8;
  if (rest >= 1) {
    h ^= key.charCodeAt(base);
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}
