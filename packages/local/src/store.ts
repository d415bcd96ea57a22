/**
 * The durable partitioned log behind `local://`, on LMDB (lmdb-js). LMDB serialises writers across OS
 * processes and gives readers consistent snapshots, so several processes can produce to and consume from the
 * same topics; data and checkpoints survive a crash because every write is a committed transaction.
 *
 * Key layout (ordered-binary array keys):
 * - `['t', topic]`                         topic metadata
 * - `['hw', topic, p]`                     next offset of partition p
 * - `['lo', topic, p]`                     first retained offset of partition p
 * - `['sz', topic, p]`                     bytes retained in partition p (keys, values, headers)
 * - in the `speedlayer.batches` database, `[topic, p, first offset]`: a record batch, the binary frames of about
 *   256 KiB of consecutive records, each with its CRC-32 (`frames.ts`): one key per batch, not per record
 * - `['m', topic, p, offset]`              a message stored alone (logs written before record batches; read, trimmed)
 * - `['ck', group, topic, p]`              committed next offset
 * - `['mem', group, topic, memberId]`      live group member (expiry)
 * - `['ls', group, topic, p]`              partition lease (owner, epoch, expiry)
 * - `['pk', group, topic, p, offset]`      a parked message: its dead letter could not be published
 *
 * Writes of records go through lmdb-js's asynchronous transactions: every `append()` queued until the write
 * transaction starts runs in it, committed and fsynced once on lmdb-js's write thread (group commit); the records
 * of all of them are written as a few record batches per partition; each `append()` resolves only once its records
 * are durable, and is atomic on its own (a refused append writes nothing).
 *
 * Files are checked before LMDB maps them (size, magic, version, page size, last page), so a truncated, empty
 * or foreign file gives a {@link @speedlayer/core!StorageError} naming it rather than a SIGBUS or an empty log; each record
 * carries a CRC-32 that is verified on read.
 *
 * @packageDocumentation
 */
import {
  chmodSync,
  closeSync,
  existsSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  statfsSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import {
  ConflictError,
  isSpeedlayerError,
  murmur2,
  NotFoundError,
  type ProducerRecord,
  partitionForKey,
  type RecordMetadata,
  StorageError,
} from '@speedlayer/core';
import { type Database, open, type RootDatabase } from 'lmdb';
import {
  CorruptFrameError,
  countFrames,
  decodeFrames,
  type EncodedAppend,
  type EncodedPart,
  encodeAppend,
  splitFrames,
} from './frames.js';

/** Kafka's key partitioning, from core (one implementation for every target): re-exported where it always was. */
export { murmur2, partitionForKey };

/** Stored topic metadata. */
export interface TopicMeta {
  partitions: number;
  retentionHours: number;
  createdAt: number;
}

/** A stored message as read back (headers rebuilt as an own-property object). */
export interface StoredMessage {
  k: string | null;
  v: Uint8Array;
  h: Record<string, string> | null;
  ts: number;
}

/** A message read back with its offset and the bytes it holds for retention and prefetch bounds. */
export interface ReadRow {
  offset: number;
  msg: StoredMessage;
  bytes: number;
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

/** A message whose dead letter could not be published, kept in the group's park area. */
export interface ParkedMessage {
  topic: string;
  partition: number;
  position: string;
  key: string | null;
  value: Uint8Array;
  headers: Record<string, string>;
  timestamp: number;
  /** Why publishing its dead letter failed. */
  reason: string;
}

type Key = (string | number)[];
/** Encoded record: key, value, headers as a flat `[name, value, ...]` list, timestamp, CRC-32. */
type Encoded = [string | null, Uint8Array, string[] | null, number, number];

const END = '\uffff';

interface PendingAppend {
  topic: string;
  records: readonly ProducerRecord[];
  encoded: EncodedAppend;
  now: number;
  resolve: (metadata: RecordMetadata[]) => void;
  reject: (error: unknown) => void;
  result: RecordMetadata[] | undefined;
  error: unknown;
}

/** Records of one partition written by one transaction: where they start and end, their frames and bytes. */
interface PartitionTail {
  first?: number;
  next: number;
  bytes: number;
  parts: EncodedPart[];
}

/** Target size of one stored record batch (one LMDB value, on overflow pages: little slack per page). */
const BATCH_BYTES = 256 * 1024;

/** Default retention when none is asked: 7 days, as Kafka's default. */
export const DEFAULT_RETENTION_HOURS = 168;

/** The LMDB data format this build reads (LMDB 1.0 as built into lmdb-js 3). */
const LMDB_MAGIC = 0xbeefc0de;
const LMDB_VERSION = 2;
/** Byte offsets in an LMDB 1.0 meta page: page header (24 bytes), then `MDB_meta`. */
const META = { magic: 24, version: 28, pageSize: 48, lastPage: 144, txnId: 152 } as const;

const openStores = new Map<string, { store: LocalLog; refs: number }>();

/**
 * Opens (or shares, within one process) the log in `dir`.
 * LMDB must not be opened twice by one process, so handles are reference-counted.
 * @throws {@link @speedlayer/core!StorageError} when the directory or its data file is unusable (named in the error).
 */
export function openLog(dir: string, options: { durable?: boolean } = {}): LocalLog {
  const path = resolve(dir);
  const existing = openStores.get(path);
  if (existing) {
    existing.refs++;
    return existing.store;
  }
  try {
    mkdirSync(path, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw storageError(e, `cannot create the data directory ${path}`, path);
  }
  try {
    checkOwnership(path);
  } catch (e) {
    throw storageError(e, `cannot check the owner and mode of ${path}`, path);
  }
  checkDataFile(path);
  checkSpace(path);
  let store: LocalLog;
  try {
    // the records are readable by this user alone, also in a directory other users may enter: LMDB would create its
    // data file 0664 less the umask, and a reader that opened it then would keep reading through its descriptor, so
    // a new file is created 0600 first (LMDB sets up an empty one as a new log); one left 0644 by an earlier
    // version is tightened
    const data = join(path, 'data.mdb');
    if (process.platform !== 'win32' && !existsSync(data)) {
      try {
        writeFileSync(data, '', { flag: 'wx', mode: 0o600 });
      } catch (e) {
        if ((e as { code?: string }).code !== 'EEXIST') throw e; // another process created it first
      }
    }
    store = new LocalLog(path, options.durable ?? true);
    if (process.platform !== 'win32') chmodSync(data, 0o600);
  } catch (e) {
    throw storageError(e, `cannot open the log in ${path}`, path);
  }
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

/** Maps a thrown value (errno, LMDB code) to a {@link @speedlayer/core!StorageError} naming `path`; typed errors pass through. */
export function storageError(e: unknown, what: string, path: string): Error {
  if (isSpeedlayerError(e)) return e;
  const commitError = (e as { commitError?: unknown })?.commitError;
  if (commitError && typeof (commitError as Promise<unknown>).then === 'function') {
    // lmdb-js keeps the cause of a failed commit in a promise shared by every write of that transaction
    (commitError as Promise<unknown>).catch(() => {});
    return new StorageError(
      `${what}: the write transaction failed to commit (a full disk or an I/O error; nothing of it was stored): check free space on the volume of ${path}`,
      { path, retriable: true, cause: e, target: 'local' },
    );
  }
  const err = e as { code?: string; message?: string };
  const code = err?.code ?? '';
  const text = String(err?.message ?? e);
  // a full disk or map, or a lock held elsewhere, may pass; anything else is a fault of the file
  const retriable = /ENOSPC|EDQUOT|MDB_MAP_FULL|EAGAIN|EBUSY|MDB_READERS_FULL/.test(`${code} ${text}`);
  const hint = /ENOSPC|EDQUOT/.test(`${code} ${text}`)
    ? ' (the disk is full: free space or move the data directory)'
    : /MDB_MAP_FULL/.test(text)
      ? ' (the log reached its map size: let retention trim it or use another directory)'
      : /EACCES|EPERM/.test(code)
        ? ' (permission denied)'
        : '';
  return new StorageError(`${what}: ${code ? `${code}: ` : ''}${text}${hint}`, {
    path,
    retriable,
    cause: e,
    target: 'local',
  });
}

/**
 * Refuses a data directory that another local user could tamper with, before anything in it is opened (as PostgreSQL
 * refuses a data directory with loose permissions):
 * - the directory belongs to this process's user and is not writable by its group or others (else another user
 *   could swap the log for a file of theirs, or a link to one); it may itself be a link (to another volume);
 * - its parent is not writable by all users, unless it has the sticky bit (as /tmp);
 * - `data.mdb` and `lock.mdb`, when present, are regular files of this user (not links).
 *
 * No check on Windows, whose permissions are ACLs.
 * @throws {@link @speedlayer/core!StorageError} naming the path and the fix.
 */
export function checkOwnership(dir: string): void {
  const uid = process.geteuid?.();
  if (process.platform === 'win32' || uid === undefined) return;
  const refuse = (path: string, why: string, fix: string) =>
    new StorageError(`${path} ${why}: another local user could read or replace the log; ${fix}`, { path, target: 'local' });
  const st = statSync(dir);
  if (st.uid !== uid) {
    throw refuse(
      dir,
      `belongs to uid ${st.uid}, not to this process's user (uid ${uid})`,
      `chown it to uid ${uid} or use another directory`,
    );
  }
  if (st.mode & 0o022) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    throw refuse(
      dir,
      `is writable by ${st.mode & 0o002 ? 'all users' : 'its group'} (mode ${mode})`,
      `chmod go-w ${dir}, or 700`,
    );
  }
  // a parent that anyone may write to, without the sticky bit of /tmp, lets anyone rename this directory away
  const parent = statSync(dirname(dir));
  if (parent.mode & 0o002 && !(parent.mode & 0o1000)) {
    throw refuse(
      dirname(dir),
      `(the parent of the data directory) is writable by all users without the sticky bit (mode ${(parent.mode & 0o7777).toString(8).padStart(4, '0')})`,
      `chmod o-w or +t ${dirname(dir)}, or use another directory`,
    );
  }
  for (const name of ['data.mdb', 'lock.mdb']) {
    const file = join(dir, name);
    let f: ReturnType<typeof lstatSync>;
    try {
      f = lstatSync(file);
    } catch {
      continue; // not created yet
    }
    if (!f.isFile()) throw refuse(file, 'is not a regular file (a link or a device)', 'remove it');
    if (f.uid !== uid) {
      throw refuse(file, `belongs to uid ${f.uid}, not to this process's user (uid ${uid})`, `chown it to uid ${uid}`);
    }
  }
}

/**
 * Checks `data.mdb` in `dir` before LMDB maps it: a file that LMDB would map past its end (truncated), a 0-byte
 * file, a file of another format or version, or one LMDB cannot read gives a {@link @speedlayer/core!StorageError} naming it.
 */
export function checkDataFile(dir: string): void {
  const file = join(dir, 'data.mdb');
  if (!existsSync(file)) return;
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    if (size === 0) {
      throw new StorageError(`${file} is empty (0 bytes): not a speedlayer log; move it away or restore it from a backup`, {
        path: file,
        target: 'local',
      });
    }
    const head = Buffer.alloc(4096);
    const got = readSync(fd, head, 0, head.length, 0);
    const meta0 = readMeta(head.subarray(0, got));
    if (!meta0) {
      throw new StorageError(`${file} has no LMDB header (${size} bytes): not a speedlayer log, or its header is corrupt`, {
        path: file,
        target: 'local',
      });
    }
    if (meta0.version !== LMDB_VERSION) {
      throw new StorageError(`${file} is LMDB data format ${meta0.version}; this build reads format ${LMDB_VERSION}`, {
        path: file,
        target: 'local',
      });
    }
    const psize = meta0.pageSize;
    if (size < 2 * psize) {
      throw new StorageError(`${file} is truncated: ${size} bytes, less than its two ${psize}-byte meta pages`, {
        path: file,
        target: 'local',
      });
    }
    const page1 = Buffer.alloc(Math.min(psize, 4096));
    readSync(fd, page1, 0, page1.length, psize);
    const meta1 = readMeta(page1);
    // LMDB uses the meta page with the larger transaction id: every page it names must be in the file
    const current = meta1 && meta1.txnId > meta0.txnId ? meta1 : meta0;
    const needed = (current.lastPage + 1) * psize;
    if (size < needed) {
      throw new StorageError(
        `${file} is truncated: ${size} bytes, but its last committed transaction uses ${needed} bytes; restore it from a backup`,
        { path: file, target: 'local' },
      );
    }
  } catch (e) {
    throw storageError(e, `cannot check ${file}`, file);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Least free space on the volume to open a log: its lock file and first pages must fit. */
const MIN_FREE_BYTES = 1024 * 1024;
/** Size the lock file is preallocated to (LMDB's reader table for 512 readers is ~33 KB; a larger file is used whole). */
const LOCK_FILE_BYTES = 64 * 1024;

/**
 * Refuses to open a log on a volume without room for it, and preallocates LMDB's lock file with real blocks: LMDB
 * maps the lock file, and touching a page of a sparse mapping that the full disk cannot back is a SIGBUS.
 * @throws {@link @speedlayer/core!StorageError} (retriable) when the volume is full.
 */
export function checkSpace(dir: string): void {
  try {
    const fs = statfsSync(dir);
    const free = fs.bavail * fs.bsize;
    if (free < MIN_FREE_BYTES) {
      throw new StorageError(
        `the volume of ${dir} is full (${free} bytes free, at least ${MIN_FREE_BYTES} needed to open a log): free space or move the data directory`,
        { path: dir, retriable: true, target: 'local' },
      );
    }
    const lock = join(dir, 'lock.mdb');
    if (!existsSync(lock)) writeFileSync(lock, Buffer.alloc(LOCK_FILE_BYTES), { flag: 'wx', mode: 0o600 });
  } catch (e) {
    if ((e as { code?: string }).code === 'EEXIST') return; // another process created it first
    throw storageError(e, `cannot prepare ${dir}`, dir);
  }
}

function readMeta(page: Buffer): { version: number; pageSize: number; lastPage: number; txnId: number } | undefined {
  if (page.length < META.txnId + 8) return undefined;
  if (page.readUInt32LE(META.magic) !== LMDB_MAGIC) return undefined;
  const pageSize = page.readUInt32LE(META.pageSize);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) return undefined;
  return {
    version: page.readUInt32LE(META.version),
    pageSize,
    lastPage: Number(page.readBigUInt64LE(META.lastPage)),
    txnId: Number(page.readBigUInt64LE(META.txnId)),
  };
}

/**
 * True when group member `memberId` is known dead: its process on this host has exited, or it has our pid but is
 * not one of `localMembers` (a former process with our pid, or a subscription that closed without leaving).
 */
export function deadMember(localMembers: ReadonlySet<string>, memberId: string, member: MemberRecord): boolean {
  if (member.host !== hostname()) return false;
  if (member.pid === process.pid) return !localMembers.has(memberId);
  try {
    process.kill(member.pid, 0);
    return false;
  } catch (e) {
    return (e as { code?: string }).code === 'ESRCH';
  }
}

/** What a membership round gives back: leases held, partitions to release, live members, partitions waited for. */
export interface RoundResult {
  held: Map<number, number>;
  release: number[];
  members: number;
  waiting: number;
}

/**
 * The partition assignment of one membership round, shared by the LMDB and in-memory logs: partition p belongs to
 * the live member at `p % members` (ids sorted). Takes `mine` partitions whose lease is free or held by a member
 * that is no longer live (calling `take(p, epoch)`), and lists held ones now assigned elsewhere.
 */
export function assignRound(
  partitions: number,
  live: string[],
  memberId: string,
  leases: ReadonlyMap<number, LeaseRecord>,
  take: (p: number, epoch: number) => void,
): RoundResult {
  live.sort();
  const liveSet = new Set(live);
  const index = live.indexOf(memberId);
  const held = new Map<number, number>();
  const release: number[] = [];
  let waiting = 0;
  for (let p = 0; p < partitions; p++) {
    const mine = live.length > 0 && p % live.length === index;
    const lease = leases.get(p);
    if (lease && lease.owner === memberId) {
      held.set(p, lease.epoch);
      if (!mine) release.push(p);
    } else if (mine && (!lease || !liveSet.has(lease.owner))) {
      const epoch = (lease?.epoch ?? 0) + 1;
      take(p, epoch);
      held.set(p, epoch);
    } else if (mine) {
      waiting++;
    }
  }
  return { held, release, members: live.length, waiting };
}

/** Headers as a flat `[name, value, ...]` list (own enumerable names, in order). */
export function flatHeaders(headers: Readonly<Record<string, string>> | undefined): string[] | null {
  if (!headers) return null;
  let h: string[] | null = null;
  for (const name of Object.keys(headers)) {
    h ??= [];
    h.push(name, headers[name] as string);
  }
  return h;
}

/** CRC-32 of a record's fields, stored beside it and verified on read. */
function checksum(k: string | null, v: Uint8Array, h: string[] | null, ts: number): number {
  const meta = `${k === null ? '\u0001' : `k${k}`}\u0000${ts}${h ? `\u0000${h.join('\u0000')}` : ''}`;
  return crc32(meta, crc32(v));
}

/** Bytes a record holds in its partition (for byte retention). */
function encodedBytes(e: Encoded): number {
  let n = e[1].byteLength;
  if (e[0] !== null) n += Buffer.byteLength(e[0]);
  if (e[2]) for (const s of e[2]) n += Buffer.byteLength(s);
  return n;
}

/** Headers as an object with own properties only: `__proto__` and friends are data, never a prototype. */
export function headersOf(flat: string[] | null): Record<string, string> | null {
  if (!flat || flat.length === 0) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) {
    Object.defineProperty(out, flat[i] as string, { value: flat[i + 1], enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * What the driver needs of a log: the LMDB {@link LocalLog} behind `local://` and the in-memory `MemoryLog`
 * behind `memory://` both provide it.
 */
export type EngineLog = Pick<
  LocalLog,
  | 'path'
  | 'localMembers'
  | 'topic'
  | 'requireTopic'
  | 'ensureTopic'
  | 'growPartitions'
  | 'deleteTopic'
  | 'listTopics'
  | 'highWatermark'
  | 'lowWatermark'
  | 'partitionBytes'
  | 'highWatermarks'
  | 'append'
  | 'read'
  | 'offsetForTimestamp'
  | 'trim'
  | 'checkpoint'
  | 'commit'
  | 'initCheckpoint'
  | 'membershipRound'
  | 'releaseLease'
  | 'leave'
  | 'leases'
  | 'park'
  | 'parked'
>;

/** Synchronous reads and batched durable writes on one LMDB environment. */
export class LocalLog {
  readonly db: RootDatabase<unknown, Key>;
  /** Record batches, keyed `[topic, partition, first offset]`: frames back to back (see `frames.ts`). */
  readonly batches: Database<Buffer, Key>;
  /** True when the log holds records stored one key each (written before record batches); they are read too. */
  private readonly legacy: boolean;
  private roundRobin = 0;
  /** Appends waiting for the next write transaction (group commit). */
  private readonly pendingAppends: PendingAppend[] = [];
  private appendTxn: Promise<unknown> | undefined;
  /** Member ids of subscriptions alive in this process (so an id of a former process with our pid is stale). */
  readonly localMembers = new Set<string>();

  constructor(
    readonly path: string,
    durable = true,
  ) {
    this.db = open<unknown, Key>({
      path,
      // always a directory, also when its name has a dot (lmdb-js would take `data.v1` for a file name)
      noSubdir: false,
      // An ephemeral log (memory://) skips fsync; a durable one commits every transaction to disk.
      noSync: !durable,
      encoding: 'msgpack',
      compression: false,
      // Sparse file; grows as needed up to this size.
      mapSize: 2 ** 36,
      maxReaders: 512,
      // commit and fsync before the write lock is released: with overlapping syncs, a commit that fails on a full disk
      // leaves lmdb-js's flush promise unsettled (close() hangs, an unhandled rejection ends the process)
      overlappingSync: false,
    });
    this.batches = this.db.openDB<Buffer, Key>({ name: 'speedlayer.batches', encoding: 'binary', compression: false });
    this.legacy = [...this.db.getKeys({ start: ['m'], end: ['m', END], limit: 1 })].length > 0;
  }

  /** Runs `fn`, mapping disk and LMDB failures to a {@link @speedlayer/core!StorageError} naming this log. */
  guard<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw storageError(e, `${what} in ${this.path}`, this.path);
    }
  }

  topic(topic: string): TopicMeta | undefined {
    return this.guard('reading topic metadata', () => this.db.get(['t', topic]) as TopicMeta | undefined);
  }

  requireTopic(topic: string): TopicMeta {
    const meta = this.topic(topic);
    if (!meta) throw new NotFoundError(`topic ${topic} does not exist in ${this.path}`, { field: 'topic', target: 'local' });
    return meta;
  }

  /** Creates the topic unless it exists; returns what is stored. */
  ensureTopic(topic: string, partitions: number, retentionHours: number): TopicMeta {
    return this.guard('creating a topic', () =>
      this.db.transactionSync(() => {
        const existing = this.db.get(['t', topic]) as TopicMeta | undefined;
        if (existing) return existing;
        const meta: TopicMeta = { partitions, retentionHours, createdAt: Date.now() };
        this.db.putSync(['t', topic], meta);
        for (let p = 0; p < partitions; p++) {
          this.db.putSync(['hw', topic, p], 0);
          this.db.putSync(['lo', topic, p], 0);
        }
        return meta;
      }),
    );
  }

  growPartitions(topic: string, partitions: number): TopicMeta {
    return this.guard('growing partitions', () =>
      this.db.transactionSync(() => {
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
      }),
    );
  }

  /**
   * Deletes a topic with its messages and every group's state of it (checkpoints, members, leases, parked
   * messages), so a topic created again under the same name is read from its start by old groups.
   */
  deleteTopic(topic: string): void {
    this.guard('deleting a topic', () =>
      this.db.transactionSync(() => {
        for (const prefix of ['m', 'hw', 'lo', 'sz']) {
          for (const key of this.db.getKeys({ start: [prefix, topic], end: [prefix, topic, END] })) this.db.removeSync(key);
        }
        for (const key of this.batches.getKeys({ start: [topic], end: [topic, END] })) this.batches.removeSync(key);
        // group state is keyed by group first: scan it and keep other topics'
        for (const prefix of ['ck', 'mem', 'ls', 'pk']) {
          for (const key of this.db.getKeys({ start: [prefix], end: [prefix, END] })) {
            if (key[2] === topic) this.db.removeSync(key);
          }
        }
        this.db.removeSync(['t', topic]);
      }),
    );
  }

  listTopics(): string[] {
    return this.guard('listing topics', () => [...this.db.getKeys({ start: ['t'], end: ['t', END] })].map((k) => String(k[1])));
  }

  highWatermark(topic: string, p: number): number {
    return this.guard('reading a high watermark', () => (this.db.get(['hw', topic, p]) as number | undefined) ?? 0);
  }

  lowWatermark(topic: string, p: number): number {
    return this.guard('reading a low watermark', () => (this.db.get(['lo', topic, p]) as number | undefined) ?? 0);
  }

  /** Bytes retained in a partition. */
  partitionBytes(topic: string, p: number): number {
    return this.guard('reading partition size', () => (this.db.get(['sz', topic, p]) as number | undefined) ?? 0);
  }

  /**
   * Appends a whole batch atomically (all of it is stored, or none). Appends of one event-loop turn share one
   * write transaction and one fsync, off the main thread; resolves once the records are durable. The records are
   * encoded here, before the transaction, while the previous one commits; in the transaction the frames of every
   * append of the turn are written as a few record batches per partition.
   */
  async append(topic: string, records: readonly ProducerRecord[]): Promise<RecordMetadata[]> {
    const now = Date.now();
    const meta = this.requireTopic(topic);
    const encoded = encodeAppend(records, meta.partitions, this.placer(topic, meta), now);
    return new Promise<RecordMetadata[]>((resolve, reject) => {
      this.pendingAppends.push({ topic, records, encoded, now, resolve, reject, result: undefined, error: undefined });
      if (this.appendTxn) return;
      // one write transaction takes every append queued until it starts (group commit); each append is checked
      // whole before any of it is written, so a refused append leaves nothing and does not fail its neighbours
      let taken: PendingAppend[] | undefined;
      const txn = this.db.transaction(() => {
        this.appendTxn = undefined;
        taken = this.pendingAppends.splice(0);
        this.appendAllInTxn(taken);
      });
      this.appendTxn = txn;
      txn.then(
        () => {
          for (const a of taken ?? []) {
            if (a.result) a.resolve(a.result);
            else a.reject(a.error);
          }
        },
        (e: unknown) => {
          const failed = storageError(e, `appending to ${topic}`, this.path);
          // the callback never ran: the queued appends were this transaction's
          if (!taken && this.appendTxn === txn) {
            this.appendTxn = undefined;
            taken = this.pendingAppends.splice(0);
          }
          for (const a of taken ?? []) a.reject(failed);
        },
      );
    });
  }

  /** Partition of a record: its explicit partition, its key's hash, or round robin. */
  private placer(topic: string, meta: TopicMeta): (r: ProducerRecord) => number {
    return (r) => {
      if (r.partition !== undefined) {
        if (r.partition >= meta.partitions) {
          throw new NotFoundError(`topic ${topic} has no partition ${r.partition}`, { field: 'partition', target: 'local' });
        }
        return r.partition;
      }
      if (r.key !== undefined && r.key !== null) return partitionForKey(r.key, meta.partitions);
      return this.roundRobin++ % meta.partitions;
    };
  }

  /**
   * Writes the appends of one transaction: offsets are given in queue order, and the frames of each partition are
   * written as record batches of about {@link BATCH_BYTES} (one key each). A refused append (no such topic or
   * partition) gets its error and writes nothing; a disk or LMDB fault aborts the whole transaction.
   */
  private appendAllInTxn(taken: PendingAppend[]): void {
    const metas = new Map<string, TopicMeta | undefined>();
    const tails = new Map<string, Map<number, PartitionTail>>();
    for (const a of taken) {
      try {
        let meta = metas.get(a.topic);
        if (!metas.has(a.topic)) {
          meta = this.db.get(['t', a.topic]) as TopicMeta | undefined;
          metas.set(a.topic, meta);
        }
        if (!meta)
          throw new NotFoundError(`topic ${a.topic} does not exist in ${this.path}`, { field: 'topic', target: 'local' });
        // partitions grown by another process since the records were placed: place them again
        const enc =
          a.encoded.partitions === meta.partitions
            ? a.encoded
            : encodeAppend(a.records, meta.partitions, this.placer(a.topic, meta), a.now);
        let byPartition = tails.get(a.topic);
        if (!byPartition) {
          byPartition = new Map();
          tails.set(a.topic, byPartition);
        }
        const bases = new Map<number, number>();
        for (const [p, part] of enc.parts) {
          let tail = byPartition.get(p);
          if (!tail) {
            tail = { next: (this.db.get(['hw', a.topic, p]) as number | undefined) ?? 0, bytes: 0, parts: [] };
            tail.first = tail.next;
            byPartition.set(p, tail);
          }
          bases.set(p, tail.next);
          tail.next += part.count;
          tail.bytes += part.bytes;
          tail.parts.push(part);
        }
        const out: RecordMetadata[] = new Array(a.records.length);
        for (let i = 0; i < out.length; i++) {
          const p = enc.partitionOf[i] as number;
          out[i] = { partition: p, position: String((bases.get(p) as number) + (enc.indexInPart[i] as number)) };
        }
        a.result = out;
      } catch (e) {
        if (!isSpeedlayerError(e)) throw e; // a disk or LMDB fault aborts the transaction: all of it fails
        a.error = e;
      }
    }
    for (const [topic, byPartition] of tails) {
      for (const [p, tail] of byPartition) {
        let offset = tail.first as number;
        let pieces: Buffer[] = [];
        let size = 0;
        let count = 0;
        const flush = () => {
          if (count === 0) return;
          this.batches.putSync([topic, p, offset], pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces, size));
          offset += count;
          pieces = [];
          size = 0;
          count = 0;
        };
        for (const part of tail.parts) {
          const chunks =
            part.buf.length > 2 * BATCH_BYTES ? splitFrames(part.buf, BATCH_BYTES) : [{ buf: part.buf, count: part.count }];
          for (const chunk of chunks) {
            pieces.push(chunk.buf);
            size += chunk.buf.length;
            count += chunk.count;
            if (size >= BATCH_BYTES) flush();
          }
        }
        flush();
        this.db.putSync(['hw', topic, p], tail.next);
        this.db.putSync(['sz', topic, p], ((this.db.get(['sz', topic, p]) as number | undefined) ?? 0) + tail.bytes);
      }
    }
  }

  /**
   * Reads messages of a partition from `from` (inclusive, and at least the low watermark): at most `max` of them
   * and, beyond the first, at most `maxBytes` bytes. Each record's checksum is verified: a read stops before a
   * corrupt record, and throws when it is the first one.
   * @throws {@link @speedlayer/core!StorageError} for a record whose checksum does not match (naming topic, partition, offset).
   */
  read(topic: string, p: number, from: number, max: number, maxBytes = Number.POSITIVE_INFINITY): ReadRow[] {
    return this.guard(`reading ${topic}/${p}`, () => {
      const lo = (this.db.get(['lo', topic, p]) as number | undefined) ?? 0;
      const start = Math.max(from, lo);
      if (this.legacy && this.db.get(['m', topic, p, start]) !== undefined)
        return this.readLegacy(topic, p, start, max, maxBytes);
      const out: ReadRow[] = [];
      let total = 0;
      let full = false;
      for (const { key, value } of this.batches.getRange({
        start: [topic, p, this.batchBase(topic, p, start)],
        end: [topic, p, END],
      })) {
        try {
          decodeFrames(value, key[2] as number, start, (offset, r) => {
            if (out.length >= max || (out.length > 0 && total + r.bytes > maxBytes)) {
              full = true;
              return false;
            }
            total += r.bytes;
            out.push({ offset, msg: { k: r.k, v: r.v, h: headersOf(r.h), ts: r.ts }, bytes: r.bytes });
            return true;
          });
        } catch (e) {
          if (!(e instanceof CorruptFrameError)) throw e;
          if (out.length > 0) break; // hand over the intact records first; the next read starts at the bad one
          throw this.corrupt(topic, p, e.index);
        }
        if (full || out.length >= max) break;
      }
      return out;
    });
  }

  /** First offset of the stored batch holding `offset` (`offset` itself when none does). */
  private batchBase(topic: string, p: number, offset: number): number {
    for (const key of this.batches.getKeys({ start: [topic, p, offset], end: [topic, p], reverse: true, limit: 1 })) {
      return key[2] as number;
    }
    return offset;
  }

  private corrupt(topic: string, p: number, offset: number): StorageError {
    return new StorageError(
      `record ${topic}/${p}@${offset} in ${join(this.path, 'data.mdb')} is corrupt (checksum mismatch); restore the log from a backup, or move the group's checkpoint past it`,
      { path: join(this.path, 'data.mdb'), target: 'local', field: `${topic}/${p}@${offset}` },
    );
  }

  /** Reads records stored one key each (logs written before record batches). */
  private readLegacy(topic: string, p: number, from: number, max: number, maxBytes: number): ReadRow[] {
    const out: ReadRow[] = [];
    let total = 0;
    for (const { key, value } of this.db.getRange({
      start: ['m', topic, p, from],
      end: ['m', topic, p, Number.MAX_SAFE_INTEGER],
      limit: max,
    })) {
      const offset = key[3] as number;
      let decoded: { msg: StoredMessage; bytes: number };
      try {
        decoded = this.decodeLegacy(value, topic, p, offset);
      } catch (e) {
        if (out.length > 0) break;
        throw e;
      }
      const { msg, bytes } = decoded;
      if (out.length > 0 && total + bytes > maxBytes) break;
      total += bytes;
      out.push({ offset, msg, bytes });
    }
    return out;
  }

  private decodeLegacy(value: unknown, topic: string, p: number, offset: number): { msg: StoredMessage; bytes: number } {
    if (Array.isArray(value) && value.length === 5) {
      const e = value as Encoded;
      const [k, v, h, ts, c] = e;
      const fieldsOk =
        (k === null || typeof k === 'string') &&
        v instanceof Uint8Array &&
        (h === null || Array.isArray(h)) &&
        typeof ts === 'number';
      if (fieldsOk && checksum(k, v, h, ts) === c) return { msg: { k, v, h: headersOf(h), ts }, bytes: encodedBytes(e) };
    } else if (value && typeof value === 'object' && (value as StoredMessage).v instanceof Uint8Array) {
      // written before checksums (format of speedlayer 0.1): read as is
      const m = value as StoredMessage;
      return { msg: m, bytes: m.v.byteLength };
    }
    throw this.corrupt(topic, p, offset);
  }

  /** First offset whose timestamp is at or after `ts` (the high watermark when none). */
  offsetForTimestamp(topic: string, p: number, ts: number): number {
    const lo = this.lowWatermark(topic, p);
    for (let from = lo; ; ) {
      const rows = this.read(topic, p, from, 1000);
      if (rows.length === 0) return this.highWatermark(topic, p);
      for (const r of rows) if (r.msg.ts >= ts) return r.offset;
      from = (rows[rows.length - 1] as { offset: number }).offset + 1;
    }
  }

  /**
   * One bounded step of retention for a topic: drops messages older than its retention and, with `retentionBytes`,
   * the oldest messages of a partition holding more than that many bytes. Removes at most `budget` messages in one
   * durable transaction. Returns how many were removed (call again while it returns `budget`).
   */
  async trim(topic: string, options: { now?: number; retentionBytes?: number; budget?: number } = {}): Promise<number> {
    const now = options.now ?? Date.now();
    const budget = options.budget ?? 5000;
    try {
      return await this.db.transaction(() => {
        const meta = this.db.get(['t', topic]) as TopicMeta | undefined;
        if (!meta) return 0;
        const cutoff = now - meta.retentionHours * 3_600_000;
        let removed = 0;
        for (let p = 0; p < meta.partitions && removed < budget; p++) {
          const loKey: Key = ['lo', topic, p];
          let lo = (this.db.get(loKey) as number | undefined) ?? 0;
          let size = (this.db.get(['sz', topic, p]) as number | undefined) ?? 0;
          const startLo = lo;
          const drop = (ts: number, bytes: number): boolean => {
            const overBytes = options.retentionBytes !== undefined && size > options.retentionBytes;
            if (ts >= cutoff && !overBytes) return false;
            lo++;
            size = Math.max(0, size - bytes);
            removed++;
            return true;
          };
          let done = false;
          if (this.legacy) {
            // records stored one key each, before record batches
            for (const { key, value } of this.db.getRange({
              start: ['m', topic, p, lo],
              end: ['m', topic, p, Number.MAX_SAFE_INTEGER],
              limit: budget - removed,
            })) {
              if ((key[3] as number) !== lo) break;
              const e = value as Encoded | StoredMessage;
              if (!drop(Array.isArray(e) ? e[3] : e.ts, Array.isArray(e) ? encodedBytes(e) : e.v.byteLength)) {
                done = true;
                break;
              }
              this.db.removeSync(key);
            }
          }
          for (const { key, value } of done
            ? []
            : this.batches.getRange({ start: [topic, p, this.batchBase(topic, p, lo)], end: [topic, p, END] })) {
            const base = key[2] as number;
            if (removed < budget) {
              try {
                // timestamps and sizes only: a corrupt record is reported by reads, not by retention
                const each = (_: number, r: { ts: number; bytes: number }): boolean => {
                  if (drop(r.ts, r.bytes)) return removed < budget;
                  done = true;
                  return false;
                };
                decodeFrames(value, base, lo, each, false);
              } catch (e) {
                if (!(e instanceof CorruptFrameError)) throw e;
                done = true;
              }
            }
            if (base + countFrames(value) <= lo) this.batches.removeSync(key);
            if (done || removed >= budget) break;
          }
          if (lo !== startLo) {
            this.db.putSync(loKey, lo);
            this.db.putSync(['sz', topic, p], size);
          }
        }
        return removed;
      });
    } catch (e) {
      throw storageError(e, `trimming ${topic}`, this.path);
    }
  }

  checkpoint(group: string, topic: string, p: number): number | undefined {
    return this.guard('reading a checkpoint', () => this.db.get(['ck', group, topic, p]) as number | undefined);
  }

  /**
   * Writes a checkpoint only while `owner` holds the partition's lease at `epoch` (fencing), in the shared write
   * transaction of the turn (its fsync off the main thread), or at once with `now` (a handover waits for it).
   */
  async commit(
    group: string,
    topic: string,
    p: number,
    nextOffset: number,
    owner: string,
    epoch: number,
    now = false,
  ): Promise<void> {
    let owned = false;
    try {
      await (now ? <T>(fn: () => T) => this.db.transactionSync(fn) : <T>(fn: () => T) => this.db.transaction(fn))(() => {
        const lease = this.db.get(['ls', group, topic, p]) as LeaseRecord | undefined;
        if (!lease || lease.owner !== owner || lease.epoch !== epoch) return; // refused below, outside the transaction
        owned = true;
        const current = this.db.get(['ck', group, topic, p]) as number | undefined;
        if (current === undefined || nextOffset > current) this.db.putSync(['ck', group, topic, p], nextOffset);
      });
    } catch (e) {
      throw storageError(e, `writing a checkpoint in ${this.path}`, this.path);
    }
    if (!owned) {
      throw new ConflictError(`member ${owner} no longer owns partition ${p} of ${topic} in group ${group}; checkpoint refused`, {
        target: 'local',
      });
    }
  }

  /**
   * Sets a checkpoint if the group has none (used to pin `latest`/timestamp starts). Returns the stored value.
   * Calls of one turn share a write transaction (a group starting on thousands of partitions syncs once).
   */
  async initCheckpoint(group: string, topic: string, p: number, nextOffset: number): Promise<number> {
    try {
      return await this.db.transaction(() => {
        const current = this.db.get(['ck', group, topic, p]) as number | undefined;
        if (current !== undefined) return current;
        this.db.putSync(['ck', group, topic, p], nextOffset);
        return nextOffset;
      });
    } catch (e) {
      throw storageError(e, `writing a checkpoint in ${this.path}`, this.path);
    }
  }

  /** Next offsets of every partition of a topic, in one range scan. */
  highWatermarks(topic: string): Map<number, number> {
    return this.guard('reading high watermarks', () => {
      const out = new Map<number, number>();
      for (const { key, value } of this.db.getRange({ start: ['hw', topic], end: ['hw', topic, END] })) {
        out.set(key[2] as number, value as number);
      }
      return out;
    });
  }

  /**
   * One membership round in a single synchronous write transaction — liveness must not wait behind queued
   * asynchronous batches (whose callbacks need free turns of a busy event loop): renews this member, drops
   * expired members and members whose process has exited, and takes the partitions assigned to it whose lease is
   * free or held by a member that is no longer live (expired or exited, so a restarted worker takes its partitions
   * back at once). A lease is valid while its owner's member record is: a round writes one record, not one per
   * partition, and reads the leases in one range scan, so thousands of partitions stay cheap. Returns the leases it
   * holds, the partitions it should release (assigned to someone else now) and how many assigned to it are still
   * held by another live member (waiting for their handover).
   */
  async membershipRound(
    group: string,
    topic: string,
    memberId: string,
    sessionTimeoutMs: number,
    record: Omit<MemberRecord, 'expires'>,
  ): Promise<RoundResult> {
    let result: RoundResult | undefined;
    try {
      this.db.transactionSync(() => {
        const now = Date.now();
        const meta = this.db.get(['t', topic]) as TopicMeta | undefined;
        if (!meta) return; // thrown below, outside the shared transaction
        this.db.putSync(['mem', group, topic, memberId], { ...record, expires: now + sessionTimeoutMs });
        const live: string[] = [];
        for (const { key, value } of this.db.getRange({ start: ['mem', group, topic], end: ['mem', group, topic, END] })) {
          const id = String(key[3]);
          const member = value as MemberRecord;
          if (id !== memberId && (member.expires < now || deadMember(this.localMembers, id, member))) this.db.removeSync(key);
          else live.push(id);
        }
        const leases = new Map<number, LeaseRecord>();
        for (const { key, value } of this.db.getRange({ start: ['ls', group, topic], end: ['ls', group, topic, END] })) {
          leases.set(key[3] as number, value as LeaseRecord);
        }
        result = assignRound(meta.partitions, live, memberId, leases, (p, epoch) =>
          this.db.putSync(['ls', group, topic, p], { owner: memberId, epoch, expires: now + sessionTimeoutMs }),
        );
      });
    } catch (e) {
      throw storageError(e, `renewing group membership in ${this.path}`, this.path);
    }
    if (!result) throw new NotFoundError(`topic ${topic} does not exist in ${this.path}`, { field: 'topic', target: 'local' });
    return result;
  }

  /**
   * Gives up a lease (after draining and committing); releases of one turn share a write transaction, or it is
   * written at once with `now` (another member waits for it).
   */
  async releaseLease(group: string, topic: string, p: number, memberId: string, now = false): Promise<void> {
    try {
      await (now ? <T>(fn: () => T) => this.db.transactionSync(fn) : <T>(fn: () => T) => this.db.transaction(fn))(() => {
        const lease = this.db.get(['ls', group, topic, p]) as LeaseRecord | undefined;
        if (lease && lease.owner === memberId) this.db.putSync(['ls', group, topic, p], { ...lease, owner: '', expires: 0 });
      });
    } catch (e) {
      throw storageError(e, `releasing a lease in ${this.path}`, this.path);
    }
  }

  /** Removes a member record (leaving the group). */
  leave(group: string, topic: string, memberId: string): void {
    this.guard('leaving a group', () => this.db.transactionSync(() => this.db.removeSync(['mem', group, topic, memberId])));
  }

  /** Leases of a group (for tests and `describe`). */
  leases(group: string, topic: string): Map<number, LeaseRecord> {
    const out = new Map<number, LeaseRecord>();
    for (const { key, value } of this.db.getRange({ start: ['ls', group, topic], end: ['ls', group, topic, END] })) {
      out.set(key[3] as number, value as LeaseRecord);
    }
    return out;
  }

  /** Keeps a message whose dead letter could not be published in the group's park area (durably). */
  async park(group: string, message: ParkedMessage): Promise<void> {
    const flat: string[] = [];
    for (const name of Object.keys(message.headers)) flat.push(name, message.headers[name] as string);
    try {
      await this.db.put(['pk', group, message.topic, message.partition, Number(message.position)], {
        k: message.key,
        v: message.value,
        h: flat,
        ts: message.timestamp,
        reason: message.reason,
      });
    } catch (e) {
      throw storageError(e, `parking ${message.topic}/${message.partition}@${message.position}`, this.path);
    }
  }

  /** Messages of a group whose dead letters could not be published, in partition and position order. */
  parked(group: string, topic: string): ParkedMessage[] {
    return this.guard('reading parked messages', () => {
      const out: ParkedMessage[] = [];
      for (const { key, value } of this.db.getRange({ start: ['pk', group, topic], end: ['pk', group, topic, END] })) {
        const v = value as { k: string | null; v: Uint8Array; h: string[]; ts: number; reason: string };
        out.push({
          topic,
          partition: key[3] as number,
          position: String(key[4]),
          key: v.k,
          value: v.v,
          headers: headersOf(v.h) ?? {},
          timestamp: v.ts,
          reason: v.reason,
        });
      }
      return out;
    });
  }
}
