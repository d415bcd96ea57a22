/**
 * The `memory://` engine: the local target's log, groups and leases in plain memory, scoped to one process. Same
 * semantics as the LMDB log behind `local://` (partitions by Kafka's murmur2, offsets, retention by time and bytes,
 * checkpoints with lease fencing, parked dead letters) without a file, a transaction or an fsync: an append places
 * its records, copies their values into one buffer per append and resolves at once.
 *
 * Values given to readers are views of that buffer, shared by every group that reads them: treat them as
 * read-only (as any consumed message).
 *
 * @packageDocumentation
 */
import { ConflictError, NotFoundError, type ProducerRecord, type RecordMetadata, utf8Length } from '@speedlayer/core';
import {
  assignRound,
  deadMember,
  type EngineLog,
  flatHeaders,
  headersOf,
  type LeaseRecord,
  type MemberRecord,
  type ParkedMessage,
  partitionForKey,
  type ReadRow,
  type RoundResult,
  type TopicMeta,
} from './store.js';

/**
 * One partition: retained records from index `head` of its columns, which has offset `lo`. Records are kept as
 * columns (one array per field) rather than one object each: hundreds of thousands of retained records are then
 * a few arrays of numbers and references for the garbage collector, not as many objects.
 */
class MemPartition {
  keys: Array<string | null> = [];
  /** Each value is `lens[i]` bytes at `ats[i]` of `slabs[i]` (the buffer of its append; a view is made when read). */
  slabs: Uint8Array[] = [];
  ats: number[] = [];
  lens: number[] = [];
  headers: Array<string[] | null> = [];
  timestamps: number[] = [];
  /** Bytes each record holds for retention (key, value, headers). */
  sizes: number[] = [];
  head = 0;
  lo = 0;
  bytes = 0;

  get hw(): number {
    return this.lo + this.keys.length - this.head;
  }

  push(k: string | null, slab: Uint8Array, at: number, len: number, h: string[] | null, ts: number, size: number): void {
    this.keys.push(k);
    this.slabs.push(slab);
    this.ats.push(at);
    this.lens.push(len);
    this.headers.push(h);
    this.timestamps.push(ts);
    this.sizes.push(size);
    this.bytes += size;
  }

  /** Drops the first retained record. */
  shift(): void {
    const i = this.head;
    this.bytes -= this.sizes[i] as number;
    this.slabs[i] = EMPTY;
    this.headers[i] = null;
    this.head++;
    this.lo++;
    if (this.head > 1024 && this.head * 2 > this.keys.length) {
      const from = this.head;
      this.keys = this.keys.slice(from);
      this.slabs = this.slabs.slice(from);
      this.ats = this.ats.slice(from);
      this.lens = this.lens.slice(from);
      this.headers = this.headers.slice(from);
      this.timestamps = this.timestamps.slice(from);
      this.sizes = this.sizes.slice(from);
      this.head = 0;
    }
  }
}

const EMPTY = new Uint8Array(0);
/**
 * Size of the arena that the values of small appends share. Copying into new memory costs mostly its page faults
 * (about 10x a copy into reused memory on a VM); touching arenas ahead of use in a worker thread was measured and
 * not kept: on 2 busy cores the worker fell behind the writer and CPU per message rose 10-25% with no steady wall gain.
 */
const ARENA_BYTES = 1024 * 1024;

interface MemTopic {
  meta: TopicMeta;
  partitions: MemPartition[];
}

/** A group's state on one topic. */
interface GroupTopic {
  checkpoints: Map<number, number>;
  members: Map<string, MemberRecord>;
  leases: Map<number, LeaseRecord>;
  parked: Map<string, ParkedMessage>;
}

const logs = new Map<string, MemoryLog>();

/**
 * The in-memory log named `name`, shared by every client of this process that connects to the same
 * `memory://name`. It lives as long as the process (as the temporary directory of earlier versions did).
 */
export function openMemoryLog(name: string): MemoryLog {
  let log = logs.get(name);
  if (!log) {
    log = new MemoryLog(`memory://${name}`);
    logs.set(name, log);
  }
  return log;
}

/** The in-memory log behind `memory://`. */
export class MemoryLog implements EngineLog {
  readonly localMembers = new Set<string>();
  private readonly topics = new Map<string, MemTopic>();
  private readonly groups = new Map<string, Map<string, GroupTopic>>();
  private roundRobin = 0;
  /** Where the values of small appends are copied: one buffer for many appends, not one each. */
  private arena: Buffer = Buffer.alloc(0);
  private arenaAt = 0;

  constructor(readonly path: string) {}

  topic(topic: string): TopicMeta | undefined {
    return this.topics.get(topic)?.meta;
  }

  requireTopic(topic: string): TopicMeta {
    return this.need(topic).meta;
  }

  private need(topic: string): MemTopic {
    const t = this.topics.get(topic);
    if (!t) throw new NotFoundError(`topic ${topic} does not exist in ${this.path}`, { field: 'topic', target: 'memory' });
    return t;
  }

  private partition(topic: string, p: number): MemPartition | undefined {
    return this.topics.get(topic)?.partitions[p];
  }

  ensureTopic(topic: string, partitions: number, retentionHours: number): TopicMeta {
    const existing = this.topics.get(topic);
    if (existing) return existing.meta;
    const meta: TopicMeta = { partitions, retentionHours, createdAt: Date.now() };
    this.topics.set(topic, { meta, partitions: Array.from({ length: partitions }, () => new MemPartition()) });
    return meta;
  }

  growPartitions(topic: string, partitions: number): TopicMeta {
    const t = this.need(topic);
    if (partitions < t.meta.partitions) {
      throw new ConflictError(`topic ${topic} has ${t.meta.partitions} partitions; partitions only grow`, {
        field: 'partitions',
        target: 'memory',
      });
    }
    while (t.partitions.length < partitions) t.partitions.push(new MemPartition());
    t.meta = { ...t.meta, partitions };
    return t.meta;
  }

  /** Deletes a topic with its messages and every group's state of it. */
  deleteTopic(topic: string): void {
    this.topics.delete(topic);
    for (const byTopic of this.groups.values()) byTopic.delete(topic);
  }

  listTopics(): string[] {
    return [...this.topics.keys()].sort();
  }

  highWatermark(topic: string, p: number): number {
    return this.partition(topic, p)?.hw ?? 0;
  }

  lowWatermark(topic: string, p: number): number {
    return this.partition(topic, p)?.lo ?? 0;
  }

  partitionBytes(topic: string, p: number): number {
    return this.partition(topic, p)?.bytes ?? 0;
  }

  highWatermarks(topic: string): Map<number, number> {
    const out = new Map<number, number>();
    const t = this.topics.get(topic);
    if (t) for (let p = 0; p < t.partitions.length; p++) out.set(p, (t.partitions[p] as MemPartition).hw);
    return out;
  }

  /**
   * Appends a whole batch atomically: every record is placed first (a bad partition refuses the batch, nothing
   * stored), then the values are copied into one buffer (the caller may reuse its own) and the records stored.
   */
  append(topic: string, records: readonly ProducerRecord[]): Promise<RecordMetadata[]> {
    try {
      return Promise.resolve(this.appendNow(topic, records));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private appendNow(topic: string, records: readonly ProducerRecord[]): RecordMetadata[] {
    const t = this.need(topic);
    const n = records.length;
    const count = t.meta.partitions;
    const parts = new Int32Array(n);
    let copied = 0;
    for (let i = 0; i < n; i++) {
      const r = records[i] as ProducerRecord;
      let p: number;
      if (r.partition !== undefined) {
        if (r.partition >= count) {
          throw new NotFoundError(`topic ${topic} has no partition ${r.partition}`, { field: 'partition', target: 'memory' });
        }
        p = r.partition;
      } else if (r.key !== undefined && r.key !== null) {
        p = partitionForKey(r.key, count);
      } else {
        p = this.roundRobin++ % count;
      }
      parts[i] = p;
      if (typeof r.value !== 'string') copied += r.value.byteLength;
    }
    const [slab, start] = this.carve(copied);
    let at = start;
    const now = Date.now();
    const out: RecordMetadata[] = new Array(n);
    // records that share one headers object (as every record of a traced send does) share its flat list, which
    // is never changed after this (readers build their own header objects from it)
    let lastHeaders: object | undefined;
    let h: string[] | null = null;
    let headerBytes = 0;
    for (let i = 0; i < n; i++) {
      const r = records[i] as ProducerRecord;
      const k = r.key ?? null;
      if (r.headers !== lastHeaders) {
        lastHeaders = r.headers;
        h = r.headers ? flatHeaders(r.headers) : null;
        headerBytes = 0;
        if (h) for (const s of h) headerBytes += utf8Length(s);
      }
      let bytes: number;
      const p = parts[i] as number;
      const part = t.partitions[p] as MemPartition;
      const offset = part.hw;
      if (typeof r.value === 'string') {
        const v = Buffer.from(r.value, 'utf8');
        bytes = v.byteLength;
        part.push(k, v, 0, bytes, h, r.timestamp ?? now, 0);
      } else {
        bytes = r.value.byteLength;
        slab.set(r.value, at);
        part.push(k, slab, at, bytes, h, r.timestamp ?? now, 0);
        at += bytes;
      }
      if (k !== null) bytes += utf8Length(k);
      bytes += headerBytes;
      part.sizes[part.sizes.length - 1] = bytes;
      part.bytes += bytes;
      out[i] = { partition: p, position: String(offset) };
    }
    return out;
  }

  /** Room for `n` bytes of values: the end of the shared arena, or a buffer of its own for a large append. */
  private carve(n: number): [Buffer, number] {
    if (n > ARENA_BYTES / 4) return [Buffer.allocUnsafeSlow(n), 0];
    if (this.arenaAt + n > this.arena.length) {
      this.arena = Buffer.allocUnsafeSlow(ARENA_BYTES);
      this.arenaAt = 0;
    }
    const at = this.arenaAt;
    this.arenaAt += n;
    return [this.arena, at];
  }

  read(topic: string, p: number, from: number, max: number, maxBytes = Number.POSITIVE_INFINITY): ReadRow[] {
    const part = this.partition(topic, p);
    const out: ReadRow[] = [];
    if (!part) return out;
    let total = 0;
    const end = Math.min(part.hw, Math.max(from, part.lo) + max);
    for (let offset = Math.max(from, part.lo); offset < end; offset++) {
      const i = part.head + offset - part.lo;
      const bytes = part.sizes[i] as number;
      if (out.length > 0 && total + bytes > maxBytes) break;
      total += bytes;
      const at = part.ats[i] as number;
      const v = (part.slabs[i] as Uint8Array).subarray(at, at + (part.lens[i] as number));
      out.push({
        offset,
        msg: { k: part.keys[i] ?? null, v, h: headersOf(part.headers[i] ?? null), ts: part.timestamps[i] as number },
        bytes,
      });
    }
    return out;
  }

  offsetForTimestamp(topic: string, p: number, ts: number): number {
    const part = this.partition(topic, p);
    if (!part) return 0;
    for (let i = part.head; i < part.keys.length; i++) {
      if ((part.timestamps[i] as number) >= ts) return part.lo + i - part.head;
    }
    return part.hw;
  }

  /** Drops messages past the topic's retention or beyond `retentionBytes`, at most `budget` of them. */
  async trim(topic: string, options: { now?: number; retentionBytes?: number; budget?: number } = {}): Promise<number> {
    const t = this.topics.get(topic);
    if (!t) return 0;
    const budget = options.budget ?? 5000;
    const cutoff = (options.now ?? Date.now()) - t.meta.retentionHours * 3_600_000;
    let removed = 0;
    for (const part of t.partitions) {
      while (removed < budget && part.head < part.keys.length) {
        const overBytes = options.retentionBytes !== undefined && part.bytes > options.retentionBytes;
        if ((part.timestamps[part.head] as number) >= cutoff && !overBytes) break;
        part.shift();
        removed++;
      }
    }
    return removed;
  }

  private state(group: string, topic: string): GroupTopic {
    let byTopic = this.groups.get(group);
    if (!byTopic) {
      byTopic = new Map();
      this.groups.set(group, byTopic);
    }
    let s = byTopic.get(topic);
    if (!s) {
      s = { checkpoints: new Map(), members: new Map(), leases: new Map(), parked: new Map() };
      byTopic.set(topic, s);
    }
    return s;
  }

  checkpoint(group: string, topic: string, p: number): number | undefined {
    return this.groups.get(group)?.get(topic)?.checkpoints.get(p);
  }

  /** Writes a checkpoint only while `owner` holds the partition's lease at `epoch` (fencing). */
  async commit(group: string, topic: string, p: number, nextOffset: number, owner: string, epoch: number): Promise<void> {
    const s = this.state(group, topic);
    const lease = s.leases.get(p);
    if (!lease || lease.owner !== owner || lease.epoch !== epoch) {
      throw new ConflictError(`member ${owner} no longer owns partition ${p} of ${topic} in group ${group}; checkpoint refused`, {
        target: 'memory',
      });
    }
    const current = s.checkpoints.get(p);
    if (current === undefined || nextOffset > current) s.checkpoints.set(p, nextOffset);
  }

  async initCheckpoint(group: string, topic: string, p: number, nextOffset: number): Promise<number> {
    const s = this.state(group, topic);
    const current = s.checkpoints.get(p);
    if (current !== undefined) return current;
    s.checkpoints.set(p, nextOffset);
    return nextOffset;
  }

  /** One membership round (see `LocalLog.membershipRound`). */
  async membershipRound(
    group: string,
    topic: string,
    memberId: string,
    sessionTimeoutMs: number,
    record: Omit<MemberRecord, 'expires'>,
  ): Promise<RoundResult> {
    const meta = this.requireTopic(topic);
    const s = this.state(group, topic);
    const now = Date.now();
    s.members.set(memberId, { ...record, expires: now + sessionTimeoutMs });
    const live: string[] = [];
    for (const [id, member] of [...s.members]) {
      if (id !== memberId && (member.expires < now || deadMember(this.localMembers, id, member))) s.members.delete(id);
      else live.push(id);
    }
    return assignRound(meta.partitions, live, memberId, s.leases, (p, epoch) =>
      s.leases.set(p, { owner: memberId, epoch, expires: now + sessionTimeoutMs }),
    );
  }

  async releaseLease(group: string, topic: string, p: number, memberId: string): Promise<void> {
    const s = this.state(group, topic);
    const lease = s.leases.get(p);
    if (lease && lease.owner === memberId) s.leases.set(p, { ...lease, owner: '', expires: 0 });
  }

  leave(group: string, topic: string, memberId: string): void {
    this.groups.get(group)?.get(topic)?.members.delete(memberId);
  }

  leases(group: string, topic: string): Map<number, LeaseRecord> {
    return new Map(this.groups.get(group)?.get(topic)?.leases ?? []);
  }

  async park(group: string, message: ParkedMessage): Promise<void> {
    const value = new Uint8Array(message.value);
    this.state(group, message.topic).parked.set(`${message.partition}:${message.position}`, {
      ...message,
      value,
      headers: headersOf(flatHeaders(message.headers)) ?? {},
    });
  }

  parked(group: string, topic: string): ParkedMessage[] {
    const all = [...(this.groups.get(group)?.get(topic)?.parked.values() ?? [])];
    return all.sort((a, b) => a.partition - b.partition || Number(a.position) - Number(b.position));
  }
}
