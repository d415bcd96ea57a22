/**
 * The checkpoint store of a migration run: a directory holding the run's identity, the position map (one
 * append-only file per source partition: `source-position TAB target-partition TAB target-position`), and
 * dead-lettered messages. The source's own consumer group holds the copy's progress; this store holds what
 * the contract cannot: where every copied message landed.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { ConflictError } from '@speedlayer/core';

/** One line of the position map. */
export interface MapEntry {
  /** Source position. */
  source: string;
  /** Target partition, or -1 when the message was dead-lettered instead of copied. */
  targetPartition: number;
  /** Target position ('' when dead-lettered). */
  target: string;
}

/** What identifies a run; a store refuses to be reused for another one. */
export interface RunIdentity {
  /** Source stream URI. */
  from: string;
  /** Target stream URI. */
  to: string;
  /** Source topic. */
  topic: string;
  /** Target topic. */
  toTopic: string;
  /** Source consumer group holding the copy's progress. */
  group: string;
}

/** A dead-lettered message (too large for the target), kept whole. */
export interface DeadLetterRecord {
  /** Source partition. */
  partition: number;
  /** Source position. */
  position: string;
  /** Key, or null. */
  key: string | null;
  /** Base64 of the value. */
  value: string;
  /** Headers as on the source. */
  headers: Record<string, string>;
  /** Event time, epoch ms. */
  timestamp: number;
  /** Size as the target counts it (with the provenance header). */
  bytes: number;
  /** The target's limit in bytes. */
  limit: number;
  /** Why it could not be written. */
  reason: string;
}

/** Default store directory of a run: `.speedlayer/migrate/<topic>-<hash of from, to, topics>`. */
export function defaultStoreDir(id: Omit<RunIdentity, 'group'>): string {
  const h = createHash('sha256').update(`${id.from}\n${id.to}\n${id.topic}\n${id.toTopic}`).digest('hex').slice(0, 10);
  return resolve('.speedlayer', 'migrate', `${id.topic.replace(/[^A-Za-z0-9._-]/g, '_')}-${h}`);
}

/** Resolves `--checkpoint <path|file://path>` to a directory. */
export function storeDirFor(spec: string): string {
  return resolve(spec.startsWith('file://') ? spec.slice('file://'.length) : spec);
}

/** The checkpoint store of one run. */
export class CheckpointStore {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = resolve(dir);
    mkdirSync(join(this.dir, 'map'), { recursive: true });
  }

  /** Records the run identity, or checks it against the recorded one. @throws `ConflictError` when the store belongs to another run. */
  claim(id: RunIdentity): void {
    const file = join(this.dir, 'run.json');
    if (existsSync(file)) {
      const old = JSON.parse(readFileSync(file, 'utf8')) as RunIdentity;
      for (const k of ['from', 'to', 'topic', 'toTopic', 'group'] as const) {
        if (old[k] !== id[k])
          throw new ConflictError(
            `checkpoint store ${this.dir} belongs to another run (${k}: ${old[k]} vs ${id[k]}); use another --checkpoint`,
            {
              field: 'checkpoint',
            },
          );
      }
      return;
    }
    this.writeJson('run.json', { ...id, createdAt: new Date().toISOString() });
  }

  /**
   * Takes the store's lock (`lock` holding pid, host and start time), so two runs never write one store at once.
   * A lock left by a process that no longer runs on this host is taken over. Returns the release function
   * (also run at process exit).
   * @throws `ConflictError` (field `checkpoint`) when another live run holds it.
   */
  lock(): () => void {
    const file = join(this.dir, 'lock');
    const mine = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
    for (let attempt = 0; ; attempt++) {
      try {
        writeFileSync(file, `${JSON.stringify(mine)}\n`, { flag: 'wx' });
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
        let held: { pid?: number; host?: string; startedAt?: string } = {};
        try {
          held = JSON.parse(readFileSync(file, 'utf8'));
        } catch {
          // a lock being written right now, or a torn one: treated as held
        }
        const stale = held.host === mine.host && typeof held.pid === 'number' && !processAlive(held.pid);
        if (!stale)
          throw new ConflictError(
            `checkpoint store ${this.dir} is in use by another migration (pid ${held.pid ?? '?'} on ${held.host ?? '?'} since ${
              held.startedAt ?? '?'
            }); wait for it to finish or use another --checkpoint`,
            { field: 'checkpoint' },
          );
        rmSync(file, { force: true });
      }
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      process.off('exit', release);
      try {
        const held = JSON.parse(readFileSync(file, 'utf8')) as { pid?: number };
        if (held.pid === process.pid) rmSync(file, { force: true });
      } catch {
        // already gone
      }
    };
    process.on('exit', release);
    return release;
  }

  /** Writes a JSON file atomically. */
  writeJson(name: string, value: unknown): void {
    const file = join(this.dir, name);
    writeFileSync(`${file}.tmp`, `${JSON.stringify(value, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
  }

  /** Reads a JSON file, or undefined. */
  readJson<T>(name: string): T | undefined {
    const file = join(this.dir, name);
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined;
  }

  /** Appends map lines for one source partition (written before the source checkpoint can cover them). */
  appendMap(partition: number, entries: readonly MapEntry[]): void {
    if (entries.length === 0) return;
    let text = '';
    for (const e of entries) text += `${e.source}\t${e.targetPartition}\t${e.target}\n`;
    appendFileSync(join(this.dir, 'map', `${partition}.tsv`), text);
  }

  /** Source partitions with a map. */
  mapPartitions(): number[] {
    return readdirSync(join(this.dir, 'map'))
      .filter((f) => /^\d+\.tsv$/.test(f))
      .map((f) => Number(f.slice(0, -4)))
      .sort((a, b) => a - b);
  }

  /** Streams one source partition's map in write order. */
  async *readMap(partition: number): AsyncGenerator<MapEntry> {
    const file = join(this.dir, 'map', `${partition}.tsv`);
    if (!existsSync(file)) return;
    const rl = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
    for await (const line of rl) {
      if (!line) continue;
      const [source = '', tp = '-1', target = ''] = line.split('\t');
      yield { source, targetPartition: Number(tp), target };
    }
  }

  /** Appends a dead-lettered message. */
  appendDeadLetter(record: DeadLetterRecord): void {
    appendFileSync(join(this.dir, 'dead-letter.jsonl'), `${JSON.stringify(record)}\n`);
  }

  /** Path of the dead-letter file. */
  get deadLetterFile(): string {
    return join(this.dir, 'dead-letter.jsonl');
  }

  /** Dead-lettered messages as `<partition>:<position>` ids. */
  deadLetterIds(): Set<string> {
    const ids = new Set<string>();
    if (!existsSync(this.deadLetterFile)) return ids;
    for (const line of readFileSync(this.deadLetterFile, 'utf8').split('\n')) {
      if (!line) continue;
      const r = JSON.parse(line) as DeadLetterRecord;
      ids.add(`${r.partition}:${r.position}`);
    }
    return ids;
  }

  /** Per source partition: map lines, distinct source positions, and whether `position` is in the map. */
  async mapSummary(partition: number, find?: string): Promise<{ lines: number; distinct: number; found: boolean }> {
    const seen = new Set<string>();
    let lines = 0;
    let found = false;
    for await (const e of this.readMap(partition)) {
      lines++;
      seen.add(e.source);
      if (find !== undefined && e.source === find) found = true;
    }
    return { lines, distinct: seen.size, found };
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
