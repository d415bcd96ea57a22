/**
 * The stand-in's in-memory storage: event hubs, their partitions (append-only event lists with sequence
 * numbers, offsets and enqueued times) and consumer groups. Names are case-insensitive, as in Event Hubs.
 *
 * @packageDocumentation
 */

import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Message } from 'rhea';

type KeyMapper = (partitionKey: string, partitionCount: number) => number;

/**
 * The key → partition mapping of `@azure/event-hubs` itself (its buffered producer uses it to send where the service
 * would route a key), loaded from the installed SDK so the stand-in does not carry a copy. The service's own hash is
 * not published: this matches what Microsoft's SDKs compute, which is all a local test can know. Without the SDK
 * installed the stand-in falls back to its own hash (SHA-256 of the UTF-8 key, first 4 bytes, modulo the count).
 */
const sdkKeyMapper: KeyMapper | undefined = await (async () => {
  try {
    const req = createRequire(import.meta.url);
    const pkgDir = dirname(req.resolve('@azure/event-hubs/package.json'));
    const mod = (await import(pathToFileURL(join(pkgDir, 'dist/esm/impl/partitionKeyToIdMapper.js')).href)) as {
      mapPartitionKeyToId?: KeyMapper;
    };
    return typeof mod.mapPartitionKeyToId === 'function' ? mod.mapPartitionKeyToId : undefined;
  } catch {
    return undefined;
  }
})();

/** Which hash the stand-in routes partition keys with. */
export const KEY_HASH: 'azure-sdk' | 'sha256' = sdkKeyMapper ? 'azure-sdk' : 'sha256';

/** The partition index for a partition key, as `@azure/event-hubs` maps keys (see {@link KEY_HASH}). */
export function keyToPartition(partitionKey: string, partitionCount: number): number {
  if (sdkKeyMapper) return sdkKeyMapper(partitionKey, partitionCount);
  return createHash('sha256').update(partitionKey, 'utf8').digest().readUInt32BE(0) % partitionCount;
}

/** One stored event. */
export interface StoredEvent {
  /** Sequence number in its partition, from 0. */
  sequenceNumber: number;
  /** Offset in its partition: the byte position of the event, as a decimal string. */
  offset: string;
  /** Enqueued time, epoch milliseconds (never decreasing within a partition). */
  enqueuedTimeMs: number;
  /** Partition key the publisher gave, if any. */
  partitionKey?: string;
  /** The event as the publisher encoded it (body, properties, application properties, annotations). */
  message: Message;
}

/** One partition: an append-only list of events. */
export class Partition {
  /** Partition id (`"0"`, `"1"`, ...). */
  readonly id: string;
  /** Events in order. */
  readonly events: StoredEvent[] = [];
  private nextOffset = 0;
  private readonly listeners = new Set<() => void>();

  constructor(id: string) {
    this.id = id;
  }

  /** Appends events (all or nothing: the caller validated them) and wakes the receivers. */
  append(items: { message: Message; bytes: number; partitionKey?: string }[], nowMs: number): StoredEvent[] {
    const last = this.events.at(-1);
    const enqueuedTimeMs = Math.max(nowMs, last?.enqueuedTimeMs ?? 0);
    const stored = items.map((item) => {
      const event: StoredEvent = {
        sequenceNumber: this.events.length,
        offset: String(this.nextOffset),
        enqueuedTimeMs,
        message: item.message,
      };
      if (item.partitionKey !== undefined) event.partitionKey = item.partitionKey;
      this.nextOffset += Math.max(1, item.bytes);
      this.events.push(event);
      return event;
    });
    for (const l of [...this.listeners]) l();
    return stored;
  }

  /** Calls `listener` after each append; returns the unsubscribe function. */
  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** One event hub. */
export class Hub {
  /** Name as created. */
  readonly name: string;
  /** Creation time. */
  readonly createdAt: Date;
  /** Partitions by id. */
  readonly partitions: Partition[];
  /** Consumer groups by lower-case name (value: the name as created). */
  readonly consumerGroups = new Map<string, { name: string; createdAt: Date }>();
  private roundRobin = 0;

  constructor(name: string, partitionCount: number, now: Date) {
    this.name = name;
    this.createdAt = now;
    this.partitions = Array.from({ length: partitionCount }, (_, i) => new Partition(String(i)));
    this.consumerGroups.set('$default', { name: '$Default', createdAt: now });
  }

  /** The partition with this id, if any. */
  partition(id: string): Partition | undefined {
    return /^\d+$/.test(id) ? this.partitions[Number(id)] : undefined;
  }

  /**
   * The partition a publication sent to the hub (not to a partition) goes to: by partition key, or round-robin
   * without a key. Keys are mapped with {@link keyToPartition}.
   */
  pickPartition(partitionKey: string | undefined): Partition {
    const n = this.partitions.length;
    const index = partitionKey === undefined ? this.roundRobin++ % n : keyToPartition(partitionKey, n);
    return this.partitions[index] as Partition;
  }
}

/** All hubs of one stand-in namespace. */
export class Store {
  private readonly hubs = new Map<string, Hub>();
  private readonly listeners = new Set<(hub: string) => void>();

  /** The hub, if it exists (case-insensitive). */
  hub(name: string): Hub | undefined {
    return this.hubs.get(name.toLowerCase());
  }

  /** All hubs. */
  list(): Hub[] {
    return [...this.hubs.values()];
  }

  /**
   * Creates a hub, or returns the existing one when the partition count matches.
   *
   * @throws Error with `code` `'conflict'` when it exists with another partition count, `'invalid'` for a bad
   *   name or count.
   */
  create(name: string, partitionCount: number): { hub: Hub; created: boolean } {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,255}$/.test(name)) {
      throw Object.assign(new Error(`invalid event hub name '${name}'`), { code: 'invalid' });
    }
    if (!Number.isInteger(partitionCount) || partitionCount < 1 || partitionCount > 1024) {
      throw Object.assign(new Error(`partitionCount must be an integer in 1..1024, got ${partitionCount}`), { code: 'invalid' });
    }
    const existing = this.hub(name);
    if (existing) {
      if (existing.partitions.length !== partitionCount) {
        throw Object.assign(
          new Error(
            `event hub '${existing.name}' exists with ${existing.partitions.length} partitions; the stand-in models the Standard tier, where the partition count is fixed`,
          ),
          { code: 'conflict' },
        );
      }
      return { hub: existing, created: false };
    }
    const hub = new Hub(name, partitionCount, new Date());
    this.hubs.set(name.toLowerCase(), hub);
    return { hub, created: true };
  }

  /** Deletes a hub; true when it existed. Open links to it are detached by the server. */
  delete(name: string): boolean {
    const existed = this.hubs.delete(name.toLowerCase());
    if (existed) for (const l of [...this.listeners]) l(name.toLowerCase());
    return existed;
  }

  /** Calls `listener` with the lower-case name of each deleted hub. */
  onDelete(listener: (hub: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Where a receiver starts, parsed from the `apache.org:selector-filter:string` filter. */
export type StartPosition =
  | { kind: 'offset'; offset: bigint; inclusive: boolean }
  | { kind: 'latest' }
  | { kind: 'sequence'; sequenceNumber: number; inclusive: boolean }
  | { kind: 'enqueued'; timeMs: number; inclusive: boolean };

/**
 * Parses a selector such as `amqp.annotation.x-opt-offset > '-1'`, `... >= '120'`, `... > '@latest'`,
 * `amqp.annotation.x-opt-sequence-number >= '5'` or `amqp.annotation.x-opt-enqueued-time > '1700000000000'`.
 * Returns undefined for anything else.
 */
export function parseSelector(selector: string): StartPosition | undefined {
  const m = /^\s*amqp\.annotation\.(x-opt-offset|x-opt-sequence-number|x-opt-enqueued-time)\s*(>=|>)\s*'([^']*)'\s*$/i.exec(
    selector,
  );
  if (!m) return undefined;
  const [, field = '', op, value = ''] = m;
  const inclusive = op === '>=';
  switch (field.toLowerCase()) {
    case 'x-opt-offset':
      if (value === '@latest') return { kind: 'latest' };
      return /^-?\d+$/.test(value) ? { kind: 'offset', offset: BigInt(value), inclusive } : undefined;
    case 'x-opt-sequence-number':
      return /^-?\d+$/.test(value) ? { kind: 'sequence', sequenceNumber: Number(value), inclusive } : undefined;
    default:
      return /^-?\d+$/.test(value) ? { kind: 'enqueued', timeMs: Number(value), inclusive } : undefined;
  }
}

/** Index of the first event of `partition` a receiver starting at `position` gets. */
export function startIndex(partition: Partition, position: StartPosition): number {
  const events = partition.events;
  let i: number;
  switch (position.kind) {
    case 'latest':
      return events.length;
    case 'offset':
      i = events.findIndex((e) =>
        position.inclusive ? BigInt(e.offset) >= position.offset : BigInt(e.offset) > position.offset,
      );
      break;
    case 'sequence':
      i = events.findIndex((e) =>
        position.inclusive ? e.sequenceNumber >= position.sequenceNumber : e.sequenceNumber > position.sequenceNumber,
      );
      break;
    default:
      i = events.findIndex((e) =>
        position.inclusive ? e.enqueuedTimeMs >= position.timeMs : e.enqueuedTimeMs > position.timeMs,
      );
  }
  return i === -1 ? events.length : i;
}
