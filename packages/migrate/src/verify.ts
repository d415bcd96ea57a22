/**
 * The verify step: reads the source and the target topics whole and compares them per partition and per key,
 * with counts and order-sensitive rolling SHA-256 digests; lists missing, extra, out-of-order and mismatched
 * messages, and counts duplicates separately.
 *
 * @packageDocumentation
 */
import type { ConsumedMessage, StreamClient } from '@speedlayer/core';
import { compareKey, type Difference, EMPTY_DIGEST, rollDigest, type SeenMessage, valueDigest } from './digest.js';
import { PROVENANCE_HEADER } from './plan.js';
import { MAX_HANDLER_ATTEMPTS, readTopic } from './read.js';

/** Options of {@link verifyTopic}. */
export interface VerifyOptions {
  /** Source topic. */
  topic: string;
  /** Target topic. @default topic */
  toTopic?: string;
  /** Idle time that ends reading a topic, in ms. @default 3000 */
  idleMs?: number;
  /** Source messages set aside on purpose (`<partition>:<position>`): not counted as missing. */
  deadLettered?: ReadonlySet<string>;
  /** Differences listed in the report (all are counted). @default 100 */
  maxListed?: number;
  /** Stops reading early. */
  signal?: AbortSignal;
  /** Group that reads the source. @default a fresh throwaway group (it must see history: needs seek on Pub/Sub) */
  sourceGroup?: string;
  /** Group that reads the target. @default a fresh throwaway group; see {@link prepareReader} for targets without seek */
  targetGroup?: string;
}

/** Counts and rolling digest of one partition. */
export interface PartitionSummary {
  /** Messages read from the partition. */
  count: number;
  /** Rolling SHA-256 over the partition's value digests, in read order. */
  digest: string;
}

/** The verification report. */
export interface VerifyReport {
  /** True when nothing is missing, out of order or mismatched (duplicates and extras are reported, not failed). */
  ok: boolean;
  /** How messages were matched: `provenance` (the source position header) or `digest` (value digests). */
  matchedBy: 'provenance' | 'digest';
  /** Source messages, distinct keys and per-partition summaries. */
  source: { count: number; keys: number; partitions: Record<string, PartitionSummary> };
  /** Target messages (duplicates included), distinct keys and per-partition summaries. */
  target: { count: number; keys: number; partitions: Record<string, PartitionSummary> };
  /** Source messages not on the target. */
  missing: number;
  /** Target messages unknown to the source. */
  extra: number;
  /** Target messages out of their key's source order. */
  outOfOrder: number;
  /** Target messages whose value differs from their source message. */
  mismatched: number;
  /** Target messages that repeat one already matched. */
  duplicates: number;
  /** Source messages set aside in the dead-letter file (not counted as missing). */
  deadLettered: number;
  /** Keys whose source and target rolling digests differ. */
  keysDiffering: number;
  /** Up to `maxListed` differences. */
  differences: Difference[];
}

interface Side {
  byKey: Map<string | null, SeenMessage[]>;
  partitions: Map<number, PartitionSummary>;
  count: number;
  provenance: number;
}

function collect(): { side: Side; add: (m: ConsumedMessage, id: string) => void } {
  const side: Side = { byKey: new Map(), partitions: new Map(), count: 0, provenance: 0 };
  const add = (m: ConsumedMessage, id: string) => {
    const digest = valueDigest(m.value);
    let list = side.byKey.get(m.key);
    if (!list) {
      list = [];
      side.byKey.set(m.key, list);
    }
    list.push({ id, digest, partition: m.partition, position: m.position });
    const ps = side.partitions.get(m.partition) ?? { count: 0, digest: EMPTY_DIGEST };
    ps.count++;
    ps.digest = rollDigest(ps.digest, digest);
    side.partitions.set(m.partition, ps);
    side.count++;
    if (m.headers[PROVENANCE_HEADER] !== undefined) side.provenance++;
  };
  return { side, add };
}

/** Re-identifies messages by value digest and occurrence within their key (no provenance). */
function byDigest(list: readonly SeenMessage[]): SeenMessage[] {
  const n = new Map<string, number>();
  return list.map((m) => {
    const k = (n.get(m.digest) ?? 0) + 1;
    n.set(m.digest, k);
    return { ...m, id: `${m.digest}#${k}` };
  });
}

/**
 * Reads both topics and compares them. Memory grows with the topic (one digest per message); the reads use
 * throwaway consumer groups (the contract has no way to delete them afterwards).
 */
export async function verifyTopic(from: StreamClient, to: StreamClient, options: VerifyOptions): Promise<VerifyReport> {
  const idleMs = options.idleMs ?? 3000;
  const maxListed = options.maxListed ?? 100;
  const dead = options.deadLettered ?? new Set<string>();
  const src = collect();
  const seenSource = new Set<string>();
  const signal = options.signal ? { signal: options.signal } : {};
  await readTopic(
    from,
    options.topic,
    (m) => {
      const id = `${m.partition}:${m.position}`;
      if (seenSource.has(id)) return; // redelivery while reading
      seenSource.add(id);
      if (dead.has(id)) return;
      src.add(m, id);
    },
    { idleMs, ...signal, ...(options.sourceGroup ? { group: options.sourceGroup } : {}) },
  );
  const tgt = collect();
  const seenTarget = new Set<string>();
  await readTopic(
    to,
    options.toTopic ?? options.topic,
    (m) => {
      const tid = `${m.partition}:${m.position}`;
      if (seenTarget.has(tid)) return;
      seenTarget.add(tid);
      tgt.add(m, m.headers[PROVENANCE_HEADER] ?? `?${tid}`);
    },
    {
      idleMs,
      expected: src.side.count,
      maxWaitMs: Math.max(10_000, idleMs * 5),
      ...signal,
      ...(options.targetGroup ? { group: options.targetGroup } : {}),
    },
  );
  const matchedBy = tgt.side.count > 0 && tgt.side.provenance === tgt.side.count ? 'provenance' : 'digest';
  let missing = 0;
  let extra = 0;
  let outOfOrder = 0;
  let mismatched = 0;
  let duplicates = 0;
  let keysDiffering = 0;
  const differences: Difference[] = [];
  const keys = new Set([...src.side.byKey.keys(), ...tgt.side.byKey.keys()]);
  for (const key of keys) {
    let s = src.side.byKey.get(key) ?? [];
    let t = tgt.side.byKey.get(key) ?? [];
    if (matchedBy === 'digest') {
      s = byDigest(s);
      t = byDigest(t);
    }
    const c = compareKey(key, s, t);
    duplicates += c.duplicates;
    if (c.sourceDigest !== c.targetDigest) keysDiffering++;
    for (const d of c.differences) {
      if (d.kind === 'missing') missing++;
      else if (d.kind === 'extra') extra++;
      else if (d.kind === 'out-of-order') outOfOrder++;
      else mismatched++;
      if (differences.length < maxListed) differences.push(d);
    }
  }
  const parts = (side: Side) =>
    Object.fromEntries([...side.partitions].sort((a, b) => a[0] - b[0]).map(([p, v]) => [String(p), v]));
  return {
    ok: missing === 0 && outOfOrder === 0 && mismatched === 0,
    matchedBy,
    source: { count: src.side.count, keys: src.side.byKey.size, partitions: parts(src.side) },
    target: { count: tgt.side.count, keys: tgt.side.byKey.size, partitions: parts(tgt.side) },
    missing,
    extra,
    outOfOrder,
    mismatched,
    duplicates,
    deadLettered: dead.size,
    keysDiffering,
    differences,
  };
}

/**
 * Creates a reader group on a topic without consuming anything, so that it later sees every message written
 * from now on. Needed where a new group only sees new messages (Pub/Sub without seek, e.g. the emulator).
 */
export async function prepareReader(client: StreamClient, topic: string, group: string): Promise<void> {
  const release = new AbortController();
  const released = new Promise<void>((r) => release.signal.addEventListener('abort', () => r(), { once: true }));
  const sub = await client.subscribe(
    { topic, group, startFrom: 'earliest', maxAttempts: MAX_HANDLER_ATTEMPTS, onError: () => {} },
    async () => {
      await released;
      throw new Error('reader prepared, nothing consumed');
    },
  );
  release.abort();
  await sub.close();
}
