/**
 * Digests and the comparison behind `verify`: per key, the source's sequence of messages against the
 * target's, with an order-sensitive rolling SHA-256 over the per-key sequence of value digests.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';

/** Hex SHA-256 of a message value. */
export function valueDigest(value: Uint8Array): string {
  return createHash('sha256').update(value).digest('hex');
}

/** The digest of an empty sequence. */
export const EMPTY_DIGEST = '0'.repeat(64);

/**
 * One step of the rolling digest: `sha256(previous || next)`. Equal rolling digests mean equal sequences in
 * equal order (up to SHA-256 collisions).
 */
export function rollDigest(previous: string, next: string): string {
  return createHash('sha256').update(previous).update(next).digest('hex');
}

/** A message as `verify` sees it: an identity, its value digest, and where it was read. */
export interface SeenMessage {
  /** Identity used to match source and target: `<partition>:<position>` of the source message (provenance), or the value digest. */
  id: string;
  /** Value digest. */
  digest: string;
  /** Partition it was read from. */
  partition: number;
  /** Position it was read at. */
  position: string;
}

/** A difference found by {@link compareKey}. */
export interface Difference {
  /** What is wrong. */
  kind: 'missing' | 'extra' | 'out-of-order' | 'mismatched';
  /** The key (`null` for messages without a key). */
  key: string | null;
  /** Source message identity (`<partition>:<position>` with provenance). */
  id: string;
  /** Where the message is on the source, when it is there. */
  source?: { partition: number; position: string };
  /** Where the message is on the target, when it is there. */
  target?: { partition: number; position: string };
}

/** The comparison of one key's sequences. */
export interface KeyComparison {
  /** Messages on the source. */
  sourceCount: number;
  /** Messages on the target (duplicates included). */
  targetCount: number;
  /** Target messages that repeat one already matched (redelivery after a resumed run): harmless, reported. */
  duplicates: number;
  /** Source rolling digest. */
  sourceDigest: string;
  /** Rolling digest of the target's first occurrences, in target order. */
  targetDigest: string;
  /** Missing, extra, out-of-order and mismatched messages. */
  differences: Difference[];
}

/**
 * Compares one key's source sequence with its target sequence.
 *
 * Rule: the target, with repeats of already matched messages removed, must equal the source in the same
 * order. A repeat (same identity seen again) is a duplicate; an identity unknown to the source is extra; a
 * source message never seen is missing; the same identity with another value digest is mismatched; the
 * matched messages outside one longest run that keeps source order (the fewest that would have to move) are
 * out of order. For messages without a key the order is not checked (the source gives none across
 * partitions), only presence.
 */
export function compareKey(
  key: string | null,
  source: readonly SeenMessage[],
  target: readonly SeenMessage[],
  checkOrder = key !== null,
): KeyComparison {
  const index = new Map<string, number>();
  source.forEach((m, i) => {
    if (!index.has(m.id)) index.set(m.id, i);
  });
  const matched = new Uint8Array(source.length);
  const differences: Difference[] = [];
  let duplicates = 0;
  let sourceDigest = EMPTY_DIGEST;
  for (const m of source) sourceDigest = rollDigest(sourceDigest, m.digest);
  let targetDigest = EMPTY_DIGEST;
  const seen = new Set<string>();
  // source indices in target order (first occurrences)
  const order: Array<{ i: number; t: SeenMessage }> = [];
  for (const t of target) {
    const i = index.get(t.id);
    if (seen.has(t.id)) {
      duplicates++;
      continue;
    }
    seen.add(t.id);
    const where = { partition: t.partition, position: t.position };
    if (i === undefined) {
      differences.push({ kind: 'extra', key, id: t.id, target: where });
      continue;
    }
    const s = source[i] as SeenMessage;
    targetDigest = rollDigest(targetDigest, t.digest);
    matched[i] = 1;
    order.push({ i, t });
    if (s.digest !== t.digest) {
      differences.push({
        kind: 'mismatched',
        key,
        id: t.id,
        source: { partition: s.partition, position: s.position },
        target: where,
      });
    }
  }
  if (checkOrder) {
    // out of order = not in the longest increasing run of source indices (the fewest messages to move)
    const keep = longestIncreasing(order.map((o) => o.i));
    order.forEach((o, n) => {
      if (keep.has(n)) return;
      const s = source[o.i] as SeenMessage;
      differences.push({
        kind: 'out-of-order',
        key,
        id: o.t.id,
        source: { partition: s.partition, position: s.position },
        target: { partition: o.t.partition, position: o.t.position },
      });
    });
  }
  source.forEach((s, i) => {
    if (!matched[i])
      differences.push({ kind: 'missing', key, id: s.id, source: { partition: s.partition, position: s.position } });
  });
  return { sourceCount: source.length, targetCount: target.length, duplicates, sourceDigest, targetDigest, differences };
}

/** Indices (into `values`) of one longest strictly increasing subsequence, O(n log n). */
export function longestIncreasing(values: readonly number[]): Set<number> {
  const tails: number[] = []; // index into values of the smallest tail of each length
  const prev = new Array<number>(values.length).fill(-1);
  values.forEach((v, n) => {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((values[tails[mid] as number] as number) < v) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prev[n] = tails[lo - 1] as number;
    tails[lo] = n;
  });
  const keep = new Set<number>();
  let n = tails.length > 0 ? (tails[tails.length - 1] as number) : -1;
  while (n >= 0) {
    keep.add(n);
    n = prev[n] as number;
  }
  return keep;
}
