/**
 * The durable partitioned log behind `local://`, on LMDB (lmdb-js). LMDB serialises writers across OS
 * processes and gives readers consistent snapshots, so several processes can produce to and consume from the
 * same topics; data and checkpoints survive a crash because every write is a committed transaction.
 *
 * Key layout (ordered-binary array keys):
 * - `['t', topic]`                         topic metadata
 * - `['hw', topic, p]`                     next offset of partition p
 * - `['lo', topic, p]`                     first retained offset of partition p
 * - `['m', topic, p, offset]`              a message
 * - `['ck', group, topic, p]`              committed next offset
 * - `['mem', group, topic, memberId]`      live group member (expiry)
 * - `['ls', group, topic, p]`              partition lease (owner, epoch, expiry)
 *
 * @packageDocumentation
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConflictError, NotFoundError, type ProducerRecord, type RecordMetadata, valueBytes } from '@speedlayer/core';
import { open, type RootDatabase } from 'lmdb';

/** Stored topic metadata. */
export interface TopicMeta {
  partitions: number;
  retentionHours: number;
  createdAt: number;
}

/** A stored message. */
export interface StoredMessage {
  k: string | null;
  v: Uint8Array;
  h: Record<string, string> | null;
  ts: number;
}

/** A group member record. */
export interface MemberRecord {
  expires: number;
  pid: number;
  host: string;
}

/** A partition lease. */
export interface LeaseRecord {
  owner: string;
  epoch: number;
  expires: number;
}

type Key = (string | number)[];
const END = '\uffff';

/** Default retention when none is asked: 7 days, as Kafka's default. */
export const DEFAULT_RETENTION_HOURS = 168;

const openStores = new Map<string, { store: LocalLog; refs: number }>();

/**
 * Opens (or shares, within one process) the log in `dir`.
 * LMDB must not be opened twice by one process, so handles are reference-counted.
 */
export function openLog(dir: string, options: { durable?: boolean } = {}): LocalLog {
  const path = resolve(dir);
  const existing = openStores.get(path);
  if (existing) {
    existing.refs++;
    return existing.store;
  }
  mkdirSync(path, { recursive: true });
  const store = new LocalLog(path, options.durable ?? true);
  openStores.set(path, { store, refs: 1 });
  return store;
}

/** Releases a handle from {@link openLog}; the last one closes the environment. */
export async function releaseLog(store: LocalLog): Promise<void> {
  const entry = openStores.get(store.path);
  if (!entry) return;
  entry.refs--;
  if (entry.refs <= 0) {
    openStores.delete(store.path);
    await store.db.close();
  }
}

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
  return (murmur2(Buffer.from(key, 'utf8')) & 0x7fffffff) % partitions;
}

/** Synchronous operations on one LMDB environment. */
export class LocalLog {
  readonly db: RootDatabase<unknown, Key>;
  private roundRobin = 0;

  constructor(
    readonly path: string,
    durable = true,
  ) {
    this.db = open<unknown, Key>({
      path,
      // An ephemeral log (memory://) skips fsync; a durable one commits every transaction to disk.
      noSync: !durable,
      encoding: 'msgpack',
      compression: false,
      // Sparse file; grows as needed up to this size.
      mapSize: 2 ** 36,
      maxReaders: 512,
    });
  }

  topic(topic: string): TopicMeta | undefined {
    return this.db.get(['t', topic]) as TopicMeta | undefined;
  }

  requireTopic(topic: string): TopicMeta {
    const meta = this.topic(topic);
    if (!meta) throw new NotFoundError(`topic ${topic} does not exist in ${this.path}`, { field: 'topic', target: 'local' });
    return meta;
  }

  /** Creates the topic unless it exists; returns what is stored. */
  ensureTopic(topic: string, partitions: number, retentionHours: number): TopicMeta {
    return this.db.transactionSync(() => {
      const existing = this.topic(topic);
      if (existing) return existing;
      const meta: TopicMeta = { partitions, retentionHours, createdAt: Date.now() };
      this.db.putSync(['t', topic], meta);
      for (let p = 0; p < partitions; p++) {
        this.db.putSync(['hw', topic, p], 0);
        this.db.putSync(['lo', topic, p], 0);
      }
      return meta;
    });
  }

  growPartitions(topic: string, partitions: number): TopicMeta {
    return this.db.transactionSync(() => {
      const meta = this.requireTopic(topic);
      if (partitions < meta.partitions) {
        throw new ConflictError(`topic ${topic} has ${meta.partitions} partitions; partitions only grow`, {
          field: 'partitions',
          target: 'local',
        });
      }
      for (let p = meta.partitions; p < partitions; p++) {
        this.db.putSync(['hw', topic, p], 0);
        this.db.putSync(['lo', topic, p], 0);
      }
      const next = { ...meta, partitions };
      this.db.putSync(['t', topic], next);
      return next;
    });
  }

  deleteTopic(topic: string): void {
    this.db.transactionSync(() => {
      for (const prefix of ['m', 'hw', 'lo']) {
        for (const key of this.db.getKeys({ start: [prefix, topic], end: [prefix, topic, END] })) this.db.removeSync(key);
      }
      this.db.removeSync(['t', topic]);
    });
  }

  listTopics(): string[] {
    return [...this.db.getKeys({ start: ['t'], end: ['t', END] })].map((k) => String(k[1]));
  }

  highWatermark(topic: string, p: number): number {
    return (this.db.get(['hw', topic, p]) as number | undefined) ?? 0;
  }

  lowWatermark(topic: string, p: number): number {
    return (this.db.get(['lo', topic, p]) as number | undefined) ?? 0;
  }

  /** Appends a whole batch in one transaction: all of it is stored, or none. */
  append(topic: string, records: readonly ProducerRecord[]): RecordMetadata[] {
    const now = Date.now();
    return this.db.transactionSync(() => {
      const meta = this.requireTopic(topic);
      const next = new Map<number, number>();
      const out: RecordMetadata[] = [];
      for (const r of records) {
        let p: number;
        if (r.partition !== undefined) {
          if (r.partition >= meta.partitions) {
            throw new NotFoundError(`topic ${topic} has no partition ${r.partition}`, { field: 'partition', target: 'local' });
          }
          p = r.partition;
        } else if (r.key !== undefined && r.key !== null) {
          p = partitionForKey(r.key, meta.partitions);
        } else {
          p = this.roundRobin++ % meta.partitions;
        }
        const offset = next.get(p) ?? this.highWatermark(topic, p);
        const msg: StoredMessage = {
          k: r.key ?? null,
          v: valueBytes(r.value),
          h: r.headers && Object.keys(r.headers).length > 0 ? r.headers : null,
          ts: r.timestamp ?? now,
        };
        this.db.putSync(['m', topic, p, offset], msg);
        next.set(p, offset + 1);
        out.push({ partition: p, position: String(offset) });
      }
      for (const [p, hw] of next) this.db.putSync(['hw', topic, p], hw);
      return out;
    });
  }

  /** Reads up to `max` messages of a partition from `from` (inclusive). */
  read(topic: string, p: number, from: number, max: number): Array<{ offset: number; msg: StoredMessage }> {
    const out: Array<{ offset: number; msg: StoredMessage }> = [];
    for (const { key, value } of this.db.getRange({
      start: ['m', topic, p, from],
      end: ['m', topic, p, Number.MAX_SAFE_INTEGER],
      limit: max,
    })) {
      out.push({ offset: key[3] as number, msg: value as StoredMessage });
    }
    return out;
  }

  /** First offset whose timestamp is at or after `ts` (the high watermark when none). */
  offsetForTimestamp(topic: string, p: number, ts: number): number {
    const lo = this.lowWatermark(topic, p);
    for (const { key, value } of this.db.getRange({
      start: ['m', topic, p, lo],
      end: ['m', topic, p, Number.MAX_SAFE_INTEGER],
    })) {
      if ((value as StoredMessage).ts >= ts) return key[3] as number;
    }
    return this.highWatermark(topic, p);
  }

  /** Drops messages older than the topic's retention. Returns how many were removed. */
  trim(topic: string, now = Date.now()): number {
    const meta = this.topic(topic);
    if (!meta) return 0;
    const cutoff = now - meta.retentionHours * 3_600_000;
    let removed = 0;
    this.db.transactionSync(() => {
      for (let p = 0; p < meta.partitions; p++) {
        let lo = this.lowWatermark(topic, p);
        for (const { key, value } of this.db.getRange({
          start: ['m', topic, p, lo],
          end: ['m', topic, p, Number.MAX_SAFE_INTEGER],
        })) {
          if ((value as StoredMessage).ts >= cutoff) break;
          this.db.removeSync(key);
          lo = (key[3] as number) + 1;
          removed++;
        }
        this.db.putSync(['lo', topic, p], lo);
      }
    });
    return removed;
  }

  checkpoint(group: string, topic: string, p: number): number | undefined {
    return this.db.get(['ck', group, topic, p]) as number | undefined;
  }

  /** Writes a checkpoint only while `owner` holds the partition's lease at `epoch` (fencing). */
  commit(group: string, topic: string, p: number, nextOffset: number, owner: string, epoch: number): void {
    this.db.transactionSync(() => {
      const lease = this.db.get(['ls', group, topic, p]) as LeaseRecord | undefined;
      if (!lease || lease.owner !== owner || lease.epoch !== epoch) {
        throw new ConflictError(
          `member ${owner} no longer owns partition ${p} of ${topic} in group ${group}; checkpoint refused`,
          {
            target: 'local',
          },
        );
      }
      const current = this.checkpoint(group, topic, p);
      if (current === undefined || nextOffset > current) this.db.putSync(['ck', group, topic, p], nextOffset);
    });
  }

  /** Sets a checkpoint if the group has none (used to pin `latest`/timestamp starts). Returns the stored value. */
  initCheckpoint(group: string, topic: string, p: number, nextOffset: number): number {
    return this.db.transactionSync(() => {
      const current = this.checkpoint(group, topic, p);
      if (current !== undefined) return current;
      this.db.putSync(['ck', group, topic, p], nextOffset);
      return nextOffset;
    });
  }

  /**
   * One membership round in a single transaction: renews this member, drops expired members, renews leases it
   * keeps, and takes free or expired leases of the partitions assigned to it. Returns the leases it holds and
   * the partitions it should release (assigned to someone else now).
   */
  membershipRound(
    group: string,
    topic: string,
    memberId: string,
    sessionTimeoutMs: number,
    record: Omit<MemberRecord, 'expires'>,
  ): { held: Map<number, number>; release: number[]; members: number } {
    const now = Date.now();
    return this.db.transactionSync(() => {
      const meta = this.requireTopic(topic);
      this.db.putSync(['mem', group, topic, memberId], { ...record, expires: now + sessionTimeoutMs });
      const live: string[] = [];
      for (const { key, value } of this.db.getRange({ start: ['mem', group, topic], end: ['mem', group, topic, END] })) {
        if ((value as MemberRecord).expires < now) this.db.removeSync(key);
        else live.push(String(key[3]));
      }
      live.sort();
      const index = live.indexOf(memberId);
      const held = new Map<number, number>();
      const release: number[] = [];
      for (let p = 0; p < meta.partitions; p++) {
        const mine = live.length > 0 && p % live.length === index;
        const leaseKey: Key = ['ls', group, topic, p];
        const lease = this.db.get(leaseKey) as LeaseRecord | undefined;
        if (lease && lease.owner === memberId) {
          this.db.putSync(leaseKey, { ...lease, expires: now + sessionTimeoutMs });
          held.set(p, lease.epoch);
          if (!mine) release.push(p);
        } else if (mine && (!lease || lease.expires < now)) {
          const epoch = (lease?.epoch ?? 0) + 1;
          this.db.putSync(leaseKey, { owner: memberId, epoch, expires: now + sessionTimeoutMs });
          held.set(p, epoch);
        }
      }
      return { held, release, members: live.length };
    });
  }

  /** Gives up a lease (after draining and committing). */
  releaseLease(group: string, topic: string, p: number, memberId: string): void {
    this.db.transactionSync(() => {
      const lease = this.db.get(['ls', group, topic, p]) as LeaseRecord | undefined;
      if (lease && lease.owner === memberId) this.db.putSync(['ls', group, topic, p], { ...lease, owner: '', expires: 0 });
    });
  }

  /** Removes a member record (leaving the group). */
  leave(group: string, topic: string, memberId: string): void {
    this.db.transactionSync(() => this.db.removeSync(['mem', group, topic, memberId]));
  }

  /** Leases of a group (for tests and `describe`). */
  leases(group: string, topic: string): Map<number, LeaseRecord> {
    const out = new Map<number, LeaseRecord>();
    for (const { key, value } of this.db.getRange({ start: ['ls', group, topic], end: ['ls', group, topic, END] })) {
      out.set(key[3] as number, value as LeaseRecord);
    }
    return out;
  }
}
