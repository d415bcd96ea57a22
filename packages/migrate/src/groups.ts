/**
 * Group move: translate a source consumer group's position into target positions through the migration's
 * position map, and seed the same (or another) group on the target so its consumers resume there.
 *
 * Within the stream contract a group's position can only be observed and set by consuming:
 * - observe: join the source group, hold the first message of every partition without acknowledging it
 *   (nothing is committed), and note its position; a partition that delivers nothing is at its end;
 * - translate: on each target partition, the start is the earliest target position of any copied message at
 *   or after the group's source position in its source partition (positions on both sides must be numeric
 *   to compare: offsets and sequence numbers are, Pub/Sub message ids are not);
 * - seed: join the target group from the earliest position, acknowledge every message before the start of
 *   its partition, hold the start, and close (the contract commits the acknowledged prefix).
 * The source group's consumers must be stopped while it is observed (as MirrorMaker 2 requires for offset
 * sync). Messages of other source partitions written before a start on the same target partition, and
 * already consumed on the source, are delivered again: those duplicates are counted and reported.
 *
 * @packageDocumentation
 */
import { ConflictError, type ConsumedMessage, type StreamClient, UnsupportedError } from '@speedlayer/core';
import { MAX_HANDLER_ATTEMPTS } from './read.js';
import type { CheckpointStore } from './store.js';

/** Options of {@link moveGroup}. */
export interface MoveGroupOptions {
  /** Source topic. */
  topic: string;
  /** Target topic. @default topic */
  toTopic?: string;
  /** The source consumer group to move. */
  group: string;
  /** The group to seed on the target. @default group */
  targetGroup?: string;
  /** The migration's checkpoint store (holds the position map). */
  store: CheckpointStore;
  /** Idle time that ends observing and seeding, in ms. @default 3000 */
  idleMs?: number;
}

/** Where a target partition's consumers start. */
export interface TargetStart {
  /** Target partition. */
  partition: number;
  /** The first target position the group will read; `null`: everything the migration wrote there was consumed. */
  start: string | null;
  /** The last target position the migration wrote there. */
  lastWritten: string;
  /** Messages delivered again on this partition (consumed on the source, before the start on the target). */
  duplicates: number;
}

/** Result of a group move. */
export interface MoveGroupResult {
  group: string;
  targetGroup: string;
  /** Source position per source partition (`null`: the group was at the end). */
  sourcePositions: Record<string, string | null>;
  /** Start per target partition. */
  targets: TargetStart[];
  /** Total duplicates the target consumers will see. */
  duplicates: number;
  /** Messages acknowledged on the target while seeding. */
  acknowledged: number;
  /** Partitions whose start was not reached while seeding (nothing was lost: they start earlier). */
  unreached: number[];
}

function numeric(pos: string, what: string): bigint {
  if (!/^\d+$/.test(pos))
    throw new UnsupportedError(
      `${what} position "${pos}" is not numeric: group moves need ordered target positions (offsets or sequence numbers)`,
    );
  return BigInt(pos);
}

async function holdFirst(client: StreamClient, topic: string, group: string, idleMs: number): Promise<Map<number, string>> {
  const first = new Map<number, string>();
  const release = new AbortController();
  const released = new Promise<void>((r) => release.signal.addEventListener('abort', () => r(), { once: true }));
  let last = Date.now();
  const sub = await client.subscribe(
    {
      topic,
      group,
      startFrom: 'earliest',
      concurrency: 1,
      maxAttempts: MAX_HANDLER_ATTEMPTS,
      onError: () => {},
      onAssignment: () => {
        last = Date.now();
      },
    },
    async (m: ConsumedMessage) => {
      if (!first.has(m.partition)) {
        first.set(m.partition, m.position);
        last = Date.now();
      }
      await released;
      throw new Error('held: group position observed, not consumed');
    },
  );
  last = Date.now();
  while (Date.now() - last < idleMs) await new Promise((r) => setTimeout(r, 50));
  release.abort();
  await sub.close();
  return first;
}

/**
 * Moves a consumer group from the source topic to the target topic through the position map.
 * @throws `ConflictError` when the group is at a position the migration has not copied yet.
 * @throws `UnsupportedError` when source or target positions are not ordered numbers (Pub/Sub).
 */
export async function moveGroup(from: StreamClient, to: StreamClient, options: MoveGroupOptions): Promise<MoveGroupResult> {
  const idleMs = options.idleMs ?? 3000;
  const toTopic = options.toTopic ?? options.topic;
  const targetGroup = options.targetGroup ?? options.group;
  const store = options.store;
  const observed = await holdFirst(from, options.topic, options.group, idleMs);
  const partitions = [...new Set([...store.mapPartitions(), ...observed.keys()])].sort((a, b) => a - b);
  // The map is in write order, which is not source order (keyless messages are written concurrently), so
  // "at or after the group's position" compares source positions as numbers.
  const groupPos = new Map<number, bigint | null>();
  for (const p of partitions) {
    const pos = observed.get(p);
    groupPos.set(p, pos === undefined ? null : numeric(pos, 'source'));
  }
  // pass 1: per target partition, the earliest target position of a message the group has not consumed
  const starts = new Map<number, bigint>();
  const lastWritten = new Map<number, bigint>();
  for (const p of partitions) {
    const gp = groupPos.get(p) ?? null;
    let found = gp === null;
    for await (const e of store.readMap(p)) {
      const sp = numeric(e.source, 'source');
      if (gp !== null && sp === gp) found = true;
      if (e.targetPartition < 0) continue;
      const t = numeric(e.target, 'target');
      const lw = lastWritten.get(e.targetPartition);
      if (lw === undefined || t > lw) lastWritten.set(e.targetPartition, t);
      if (gp !== null && sp >= gp) {
        const s0 = starts.get(e.targetPartition);
        if (s0 === undefined || t < s0) starts.set(e.targetPartition, t);
      }
    }
    if (!found)
      throw new ConflictError(
        `group ${options.group} is at source partition ${p} position ${observed.get(p)}, which the migration has not copied yet; run the copy first (with the group's producers stopped, to the end)`,
        { field: 'group' },
      );
  }
  // pass 2: duplicates = messages the group consumed on the source, at or after the start on the target
  const dup = new Map<number, number>();
  for (const p of partitions) {
    const gp = groupPos.get(p) ?? null;
    const seenSource = new Set<string>();
    for await (const e of store.readMap(p)) {
      if (e.targetPartition < 0 || seenSource.has(e.source)) continue;
      seenSource.add(e.source);
      const consumed = gp === null || BigInt(e.source) < gp;
      const s0 = starts.get(e.targetPartition);
      if (consumed && s0 !== undefined && BigInt(e.target) >= s0)
        dup.set(e.targetPartition, (dup.get(e.targetPartition) ?? 0) + 1);
    }
  }
  // seed the target group
  const pending = new Set(lastWritten.keys());
  const release = new AbortController();
  const released = new Promise<void>((r) => release.signal.addEventListener('abort', () => r(), { once: true }));
  let acknowledged = 0;
  let last = Date.now();
  let ahead: string | undefined;
  const firstSeen = new Set<number>();
  const sub = await to.subscribe(
    {
      topic: toTopic,
      group: targetGroup,
      startFrom: 'earliest',
      concurrency: 1,
      maxAttempts: MAX_HANDLER_ATTEMPTS,
      onError: () => {},
      onAssignment: () => {
        last = Date.now();
      },
    },
    async (m: ConsumedMessage) => {
      last = Date.now();
      const pos = numeric(m.position, 'target');
      const start = starts.get(m.partition);
      const lw = lastWritten.get(m.partition);
      const isFirst = !firstSeen.has(m.partition);
      firstSeen.add(m.partition);
      if (start !== undefined ? pos < start : lw !== undefined && pos <= lw) {
        acknowledged++;
        if (start === undefined && pos === lw) pending.delete(m.partition);
        return;
      }
      if (isFirst && start !== undefined && pos > start)
        ahead = `target group ${targetGroup} is already past the start on partition ${m.partition} (${m.position} > ${start}); it was not moved back`;
      pending.delete(m.partition);
      await released;
      throw new Error('held: the target group starts here');
    },
  );
  last = Date.now();
  while (pending.size > 0 && Date.now() - last < idleMs) await new Promise((r) => setTimeout(r, 50));
  release.abort();
  await sub.close();
  if (ahead) throw new ConflictError(ahead, { field: 'group' });
  const targets: TargetStart[] = [...lastWritten.keys()]
    .sort((a, b) => a - b)
    .map((tp) => ({
      partition: tp,
      start: starts.has(tp) ? String(starts.get(tp)) : null,
      lastWritten: String(lastWritten.get(tp)),
      duplicates: dup.get(tp) ?? 0,
    }));
  return {
    group: options.group,
    targetGroup,
    sourcePositions: Object.fromEntries(partitions.map((p) => [String(p), observed.get(p) ?? null])),
    targets,
    duplicates: targets.reduce((a, t) => a + t.duplicates, 0),
    acknowledged,
    unreached: [...pending].sort((a, b) => a - b),
  };
}
