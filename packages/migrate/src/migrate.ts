/**
 * One call for migration scripts: plan, create the target topic, copy, move groups and verify.
 *
 * @packageDocumentation
 */
import { createHash, randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import {
  ConfigError,
  ConflictError,
  type ConnectOptions,
  connect,
  parseUri,
  type StreamClient,
  ValidationError,
  validateTopicName,
} from '@speedlayer/core';
import { type CopyOptions, type CopyProgress, type CopyResult, copyTopic, type OnOversize, type Until } from './copy.js';
import { type MoveGroupResult, moveGroup } from './groups.js';
import { applyPlan, type MigrationPlan, planBlocked, planMigration } from './plan.js';
import { CheckpointStore, defaultStoreDir, storeDirFor } from './store.js';
import { prepareReader, type VerifyReport, verifyTopic } from './verify.js';

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /** Source stream URI (or a connected client). */
  from: string | StreamClient;
  /** Target stream URI (or a connected client). */
  to: string | StreamClient;
  /** Source topic. */
  topic: string;
  /** Target topic. @default topic */
  toTopic?: string;
  /** Checkpoint store directory (`path` or `file://path`). @default `.speedlayer/migrate/<topic>-<hash>` */
  checkpoint?: string;
  /** Source consumer group holding the copy's progress. @default `speedlayer-migrate-<topic>-<hash of target and target topic>` */
  group?: string;
  /** When the copy stops. @default 'now' */
  until?: Until;
  /** Largest write rate in messages per second. */
  rate?: number;
  /** Only plan: no topic is created and nothing is copied. */
  dryRun?: boolean;
  /** Verify after the copy. */
  verify?: boolean;
  /** Skip the copy (e.g. only verify or move groups). */
  skipCopy?: boolean;
  /** Oversize messages: stop, or dead-letter into the checkpoint store. @default 'stop' */
  onOversize?: OnOversize;
  /** Source consumer groups to move to the target after the copy. */
  moveGroups?: string[];
  /** Partitions for the target topic. @default the source's */
  partitions?: number;
  /** Write the provenance header (`speedlayer-migrate-source`). @default true */
  provenance?: boolean;
  /** Messages in flight per partition (and largest batch). @default 100 */
  batchSize?: number;
  /** Idle time meaning "read to the end", ms. @default 3000 */
  idleMs?: number;
  /** Stops the copy cleanly. */
  signal?: AbortSignal;
  /** Copy progress. */
  onProgress?: (p: CopyProgress) => void;
  /**
   * Groups that read the source and the target for verification. @default fresh throwaway groups; on a target
   * without seek (Pub/Sub emulator) a target reader is created before the copy, so verify sees this run's copies.
   */
  verifyGroups?: { source?: string; target?: string };
  /** Options for `connect()` of URIs. */
  connectOptions?: { from?: ConnectOptions; to?: ConnectOptions };
}

/** Result of {@link migrate}. */
export interface MigrateResult {
  plan: MigrationPlan;
  /** Checkpoint store directory. */
  checkpoint: string;
  group: string;
  dryRun: boolean;
  copy?: CopyResult;
  groups?: MoveGroupResult[];
  verify?: VerifyReport;
  /** True when the copy reached its end (or was not run), moved groups and, if asked, verify passed. */
  ok: boolean;
}

/**
 * Migrates a topic between any two stream targets.
 *
 * @example
 * ```ts
 * import { migrate } from '@speedlayer/migrate';
 * const r = await migrate({ from: 'local://./old', to: 'memory://new', topic: 'orders', verify: true });
 * if (!r.ok) process.exitCode = 1;
 * ```
 * @throws `ConfigError` for an unknown target URI.
 * @throws `NotFoundError` when the source topic does not exist.
 * @throws `ConfigError` (field `to`) when the target is the source stream and topic itself.
 * @throws `ConflictError` when the target topic is incompatible, or the checkpoint store belongs to another run or
 * is locked by a running one.
 */
export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  validateTopicName(options.topic);
  const toTopic = options.toTopic ?? options.topic;
  validateTopicName(toTopic, 'toTopic');
  if (options.rate !== undefined && !(options.rate > 0))
    throw new ValidationError('rate must be above 0 messages per second', { field: 'rate' });
  const owned: StreamClient[] = [];
  let release: (() => void) | undefined;
  const open = async (c: string | StreamClient, o: ConnectOptions | undefined) => {
    if (typeof c !== 'string') return c;
    const client = await connect(c, o ?? {});
    owned.push(client);
    return client;
  };
  try {
    const from = await open(options.from, options.connectOptions?.from);
    const to = await open(options.to, options.connectOptions?.to);
    if (toTopic === options.topic && (from === to || sameStream(from.uri, to.uri))) {
      throw new ConfigError(
        `to: ${to.uri} and topic ${toTopic} are the source itself; copying a topic onto itself would double it (name another --to or --to-topic)`,
        { field: 'to' },
      );
    }
    const group = options.group ?? defaultGroup(options.topic, to.uri, toTopic);
    const plan = await planMigration(from, to, {
      topic: options.topic,
      toTopic,
      ...(options.partitions !== undefined ? { partitions: options.partitions } : {}),
      ...(options.provenance !== undefined ? { provenance: options.provenance } : {}),
    });
    const dir = options.checkpoint
      ? storeDirFor(options.checkpoint)
      : defaultStoreDir({ from: from.uri, to: to.uri, topic: options.topic, toTopic });
    const result: MigrateResult = { plan, checkpoint: dir, group, dryRun: !!options.dryRun, ok: true };
    if (options.dryRun) return result;
    if (planBlocked(plan)) {
      throw new ConflictError(
        `cannot migrate ${options.topic}: ${plan.notes
          .filter((n) => n.level === 'error')
          .map((n) => n.message)
          .join('; ')}`,
        { field: 'toTopic' },
      );
    }
    const store = new CheckpointStore(dir);
    release = store.lock();
    store.claim({ from: from.uri, to: to.uri, topic: options.topic, toTopic, group });
    store.writeJson('plan.json', plan);
    let targetReader = options.verifyGroups?.target;
    if (!options.skipCopy) {
      await applyPlan(to, plan);
      if (options.verify && targetReader === undefined && !to.capabilities.timestampSeek) {
        targetReader = `speedlayer-migrate-verify-${randomUUID().slice(0, 8)}`;
        await prepareReader(to, toTopic, targetReader);
      }
      const copyOptions: CopyOptions = {
        plan,
        store,
        group,
        ...(options.until !== undefined ? { until: options.until } : {}),
        ...(options.rate !== undefined ? { rate: options.rate } : {}),
        ...(options.onOversize !== undefined ? { onOversize: options.onOversize } : {}),
        ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
        ...(options.idleMs !== undefined ? { idleMs: options.idleMs } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      };
      result.copy = await copyTopic(from, to, copyOptions);
      store.writeJson('last-copy.json', { ...result.copy, at: new Date().toISOString() });
      // following ends on a signal by design; otherwise only reaching the end positions is success
      const ended = result.copy.stoppedBy === 'caught-up' || (options.until === 'follow' && result.copy.stoppedBy === 'signal');
      if (!ended) result.ok = false;
    }
    if (result.ok && options.moveGroups?.length) {
      result.groups = [];
      for (const g of options.moveGroups) {
        result.groups.push(
          await moveGroup(from, to, {
            topic: options.topic,
            toTopic,
            group: g,
            store,
            ...(options.idleMs !== undefined ? { idleMs: options.idleMs } : {}),
          }),
        );
      }
      store.writeJson('groups.json', result.groups);
    }
    if (options.verify && result.ok) {
      result.verify = await verifyTopic(from, to, {
        topic: options.topic,
        toTopic,
        deadLettered: store.deadLetterIds(),
        ...(options.verifyGroups?.source ? { sourceGroup: options.verifyGroups.source } : {}),
        ...(targetReader ? { targetGroup: targetReader } : {}),
        ...(options.idleMs !== undefined ? { idleMs: options.idleMs } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      store.writeJson('verify.json', result.verify);
      if (!result.verify.ok) result.ok = false;
    }
    return result;
  } finally {
    for (const c of owned.reverse()) await c.close();
    release?.();
  }
}

/**
 * Whether two stream URIs name the same stream: same scheme family, location and parameters; a `local://` path
 * is compared resolved (`local://./data` and `local:///abs/data` are one stream).
 */
export function sameStream(a: string, b: string): boolean {
  return streamIdentity(a) === streamIdentity(b);
}

function streamIdentity(uri: string): string {
  const p = parseUri(uri);
  const scheme = p.scheme === 'msk' ? 'kafka' : p.scheme;
  let location = p.location.replace(/\/+$/, '');
  if (scheme === 'local') location = location === '' || location === '.' ? resolve('.speedlayer/data') : resolve(location);
  else location = location.toLowerCase();
  const params = [...p.params.entries()].map(([k, v]) => `${k}=${v}`).sort();
  return `${scheme}://${location}?${params.join('&')}`;
}

/**
 * The default source group of a run: `speedlayer-migrate-<topic>-<6 hex of target URI and topic>`. The suffix
 * keeps two migrations of one topic to different targets from sharing (and skipping) progress.
 */
export function defaultGroup(topic: string, to: string, toTopic: string): string {
  return `speedlayer-migrate-${topic}-${createHash('sha256').update(`${to}\n${toTopic}`).digest('hex').slice(0, 6)}`;
}
