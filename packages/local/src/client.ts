/**
 * The `local://` and `memory://` stream driver. `connect()` wraps it in core's portable client (batching of
 * concurrent sends, validation of options, middleware, bounded close); the driver itself stays correct when used
 * directly (its own bounds on fetch, close and dead-lettering).
 *
 * @packageDocumentation
 */

import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  backoffDelay,
  ClosedError,
  ConfigError,
  type ConsumedMessage,
  configFromQuery,
  DeadLetterError,
  type DeadLetterSend,
  DeadLetterSink,
  type DriverProducer,
  describeError,
  type EnsureTopicOptions,
  isSpeedlayerError,
  type Logger,
  type MessageHandler,
  newStats,
  type ParsedUri,
  type PartitionLag,
  PartitionProcessor,
  type ProducerRecord,
  type RecordMetadata,
  resolveConfig,
  type StreamAdmin,
  type StreamCapabilities,
  type StreamDriver,
  type SubscribeOptions,
  type Subscription,
  type SubscriptionStats,
  silentLogger,
  sleep,
  TimeoutError,
  type TopicInfo,
  ValidationError,
  validateBatch,
  validatePositiveInt,
  validateTopicName,
  validateUtf8,
  z,
} from '@speedlayer/core';
import { type MemoryLog, openMemoryLog } from './memory.js';
import { DEFAULT_RETENTION_HOURS, type EngineLog, LocalLog, openLog, releaseLog } from './store.js';
import { LOCAL_FLAGS, MEMORY_FLAGS } from './target.js';

/** Config of the local target (`connect(uri, { config })`, or the URI's query: `local://./data?pollIntervalMs=5`). */
export const localConfigSchema = z
  .object({
    /** Largest record in bytes. @default 1048576 */
    maxMessageBytes: z
      .number()
      .int()
      .positive()
      .max(64 * 1024 * 1024)
      .default(1024 * 1024),
    /** Idle poll interval of consumers in ms. @default 20 */
    pollIntervalMs: z.number().int().positive().max(10_000).default(20),
    /** Messages read per fetch (one turn of the event loop). @default 500 */
    fetchMaxMessages: z.number().int().positive().max(100_000).default(500),
    /** Bytes read per fetch, beyond the first message. @default 1048576 */
    fetchMaxBytes: z
      .number()
      .int()
      .positive()
      .default(1024 * 1024),
    /** Bytes of fetched, unfinished messages per partition before fetching pauses (prefetch bound). @default 16777216 */
    maxBufferedBytes: z
      .number()
      .int()
      .positive()
      .default(16 * 1024 * 1024),
    /** How often group members renew their membership, in ms. @default sessionTimeoutMs / 4 */
    heartbeatMs: z.number().int().positive().max(3_600_000).optional(),
    /** Checkpoint interval in ms. @default 200 */
    commitIntervalMs: z.number().int().nonnegative().max(3_600_000).default(200),
    /** How often retention runs in the background, in ms (`0` turns the background sweep off). @default 60000 */
    retentionCheckMs: z.number().int().nonnegative().max(86_400_000).default(60_000),
    /** Most bytes kept per partition; the oldest messages beyond it are dropped by retention. @default unlimited */
    retentionBytes: z.number().int().positive().optional(),
    /** Attempts to publish one dead letter before the failure policy applies. @default 3 */
    deadLetterAttempts: z.number().int().positive().max(100).default(3),
    /**
     * What happens to a message whose dead letter could not be published after `deadLetterAttempts`:
     * `park` keeps it durably in the group's park area (`LocalLog.parked()`), reports a `DeadLetterError` and
     * moves on; `stop` reports a `DeadLetterError` and stops handling that partition until the subscription is
     * restarted (nothing after the message is handled or checkpointed). @default 'park'
     */
    deadLetterFailure: z.enum(['park', 'stop']).default('park'),
  })
  .strict();

/** Resolved local config. */
export type LocalConfig = z.output<typeof localConfigSchema>;

/** Longest consumer group name: it is part of LMDB keys, which are bounded. */
export const MAX_GROUP_CHARS = 255;

/**
 * What the local target (`durable`) or the memory one can do: the flags of its descriptor (`LOCAL_FLAGS`,
 * `MEMORY_FLAGS` in `./target`) and the configured `maxMessageBytes`.
 */
export function localCapabilities(config: LocalConfig, durable: boolean): StreamCapabilities {
  return { ...(durable ? LOCAL_FLAGS : MEMORY_FLAGS), maxMessageBytes: config.maxMessageBytes };
}

/** Core's {@link DeadLetterError}, re-exported here for the importers of `@speedlayer/local`. */
export { DeadLetterError };

/** Counters of a local subscription: core's, plus dead letters that could not be published. */
export interface LocalSubscriptionStats extends SubscriptionStats {
  /** Messages whose dead letter failed every attempt (parked, or their partition stopped). */
  deadLetterFailures: number;
}

/**
 * Resolves the data directory of a `local://` URI: `local://./data` (relative to cwd), `local:///abs/path`,
 * `local://` alone means `./.speedlayer/data`. `memory://name` maps to a per-process temporary log.
 */
export function dataDirFor(uri: ParsedUri): { dir: string; ephemeral: boolean } {
  if (uri.scheme === 'memory') {
    const name = uri.location.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || 'default';
    // an unpredictable, private directory per process: another user cannot plant or read it in the shared tmpdir
    memoryRoot ??= mkdtempSync(join(tmpdir(), `speedlayer-memory-${process.pid}-`));
    ephemeralDirs.add(memoryRoot);
    return { dir: join(memoryRoot, name), ephemeral: true };
  }
  if (uri.scheme !== 'local')
    throw new ConfigError(`uri: the local target serves local:// and memory://, not ${uri.scheme}://`, { field: 'uri' });
  const loc = uri.location;
  if (loc === '' || loc === '.') return { dir: resolve('.speedlayer/data'), ephemeral: false };
  return { dir: resolve(loc), ephemeral: false };
}

const ephemeralDirs = new Set<string>();
let memoryRoot: string | undefined;
process.once('exit', () => {
  for (const d of ephemeralDirs) rmSync(d, { recursive: true, force: true });
});

/** Time one partition's fetch and synchronous handling may take in one event-loop turn, in ms. */
const TURN_BUDGET_MS = 8;

/** Yields to the event loop (timers, I/O, signals) before the next bounded piece of work. */
const yieldTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Shares each event-loop turn among the fetch loops of this process: a loop takes a slot, does one bounded fetch
 * and its synchronous handling, and gives the slot back; the next loop runs in the same turn while the turn has
 * budget left (`TURN_BUDGET_MS`), otherwise in the next turn, after timers, I/O and signals had their say.
 * Without it, every partition's loop ran back to back in one turn (8 partitions x one fetch each).
 */
class TurnScheduler {
  private readonly waiting: Array<() => void> = [];
  private busy = false;
  private turnStart = 0;
  private pending = false;

  /** Resolves with a release function when it is this caller's slot. */
  slot(): Promise<() => void> {
    return new Promise((resolve) => {
      this.waiting.push(() => resolve(this.releaser()));
      if (!this.busy && !this.pending) this.nextTurn();
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.busy = false;
      if (this.waiting.length === 0) return;
      if (performance.now() - this.turnStart < TURN_BUDGET_MS) this.grant();
      else this.nextTurn();
    };
  }

  private nextTurn(): void {
    this.pending = true;
    setImmediate(() => {
      this.pending = false;
      this.turnStart = performance.now();
      if (!this.busy) this.grant();
    });
  }

  private grant(): void {
    const next = this.waiting.shift();
    if (!next) return;
    this.busy = true;
    next();
  }
}

const turns = new TurnScheduler();

/** The embedded stream driver. */
export class LocalStreamClient implements StreamDriver {
  readonly target: string;
  readonly capabilities: StreamCapabilities;
  readonly admin: StreamAdmin;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly producers = new Set<LocalProducer>();
  private readonly subscriptions = new Set<LocalSubscription>();
  private retentionTimer: NodeJS.Timeout | undefined;
  private retentionRun: Promise<void> | undefined;

  constructor(
    readonly uri: string,
    /** The log: LMDB ({@link LocalLog}) for `local://`, in memory (`MemoryLog`) for `memory://`. */
    readonly log: EngineLog,
    readonly config: LocalConfig,
    readonly logger: Logger,
    durable: boolean,
    /** True when only the portable client sends through {@link producer}: it validated the records already. */
    private readonly recordsValidated = false,
  ) {
    this.target = durable ? 'local' : 'memory';
    this.capabilities = localCapabilities(config, durable);
    this.admin = new LocalAdmin(this);
    if (config.retentionCheckMs > 0) {
      this.retentionTimer = setInterval(() => {
        this.retentionRun ??= this.enforceRetention()
          .then(() => undefined)
          .catch((e: unknown) => this.logger.warn('local retention failed', { error: describeError(e) }))
          .finally(() => {
            this.retentionRun = undefined;
          });
      }, config.retentionCheckMs);
      this.retentionTimer.unref();
    }
  }

  /** Throws when closed. */
  check(what = 'stream client'): void {
    if (this.closed) throw new ClosedError(what, { target: this.target });
  }

  /** The log under this driver: a {@link LocalLog} (LMDB) for `local://`, a `MemoryLog` for `memory://`. */
  native(): LocalLog | MemoryLog {
    return this.log as LocalLog | MemoryLog;
  }

  /** Lag of `group` on `topic`: per partition, the high watermark minus the group's checkpoint (or the low watermark). */
  async lag(topic: string, group: string): Promise<PartitionLag[]> {
    this.check();
    const meta = this.log.requireTopic(topic);
    const now = Date.now();
    const out: PartitionLag[] = [];
    for (let p = 0; p < meta.partitions; p++) {
      const end = this.log.highWatermark(topic, p);
      const committed = this.log.checkpoint(group, topic, p);
      const from = Math.max(committed ?? 0, this.log.lowWatermark(topic, p));
      const lag = Math.max(0, end - from);
      const oldest = lag > 0 ? this.log.read(topic, p, from, 1)[0]?.msg.ts : undefined;
      out.push({
        partition: p,
        lag,
        endPosition: String(end),
        committedPosition: committed === undefined ? null : String(committed),
        ageSeconds: oldest === undefined ? 0 : Math.max(0, (now - oldest) / 1000),
      });
    }
    return out;
  }

  /** Same as {@link native}, for callers that use the driver directly. */
  as<T = unknown>(): T {
    return this.log as T;
  }

  /**
   * Runs retention over every topic now, in bounded steps that yield between them: messages older than the
   * topic's retention, and the oldest beyond `retentionBytes` per partition. Returns how many were removed.
   */
  async enforceRetention(now = Date.now()): Promise<number> {
    let removed = 0;
    for (const topic of this.log.listTopics()) {
      for (;;) {
        if (this.closed) return removed;
        const n = await this.log.trim(topic, {
          now,
          ...(this.config.retentionBytes !== undefined ? { retentionBytes: this.config.retentionBytes } : {}),
          budget: 5000,
        });
        removed += n;
        if (n < 5000) break;
        await yieldTurn();
      }
    }
    return removed;
  }

  /**
   * A batch sender. Behind `connect()` (`streamFactory`) the portable client has validated the records against these
   * capabilities already, so they are not checked twice (the log still refuses a missing topic or partition); a
   * driver created with {@link createLocalStreamClient} and used directly checks every record, and so do dead
   * letters (`validate: true`), which this driver builds itself.
   */
  producer(options: { validate?: boolean } = {}): DriverProducer {
    this.check();
    const p = new LocalProducer(this, options.validate ?? !this.recordsValidated, () => this.producers.delete(p));
    this.producers.add(p);
    return p;
  }

  async subscribe(options: SubscribeOptions, handler: MessageHandler): Promise<Subscription> {
    this.check();
    validateTopicName(options.topic);
    if (typeof options.group !== 'string' || options.group.trim() === '') {
      throw new ValidationError('group must be a non-empty string', { field: 'group', target: this.target });
    }
    if (options.group.length > MAX_GROUP_CHARS) {
      throw new ValidationError(`group is ${options.group.length} characters; ${this.target} allows at most ${MAX_GROUP_CHARS}`, {
        field: 'group',
        target: this.target,
      });
    }
    validateUtf8(options.group, 'group', this.target);
    if (options.deadLetterTopic !== undefined) validateTopicName(options.deadLetterTopic, 'deadLetterTopic');
    if (typeof handler !== 'function')
      throw new ValidationError('handler must be a function', { field: 'handler', target: this.target });
    this.log.requireTopic(options.topic);
    const sub = new LocalSubscription(this, options, handler, () => this.subscriptions.delete(sub));
    this.subscriptions.add(sub);
    try {
      await sub.start();
    } catch (e) {
      await sub.close();
      throw e;
    }
    return sub;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      if (this.retentionTimer) clearInterval(this.retentionTimer);
      await Promise.all([...this.subscriptions].map((s) => s.close()));
      await Promise.all([...this.producers].map((p) => p.close()));
      await this.retentionRun;
      if (this.log instanceof LocalLog) await releaseLog(this.log);
    })();
    return this.closing;
  }
}

class LocalAdmin implements StreamAdmin {
  constructor(private readonly client: LocalStreamClient) {}

  private info(topic: string): TopicInfo {
    const log = this.client.log;
    const meta = log.requireTopic(topic);
    let bytes = 0;
    for (let p = 0; p < meta.partitions; p++) bytes += log.partitionBytes(topic, p);
    return {
      name: topic,
      partitions: meta.partitions,
      retentionHours: meta.retentionHours,
      details: {
        createdAt: meta.createdAt,
        bytes,
        ...(this.client.config.retentionBytes !== undefined
          ? { retentionBytesPerPartition: this.client.config.retentionBytes }
          : {}),
      },
    };
  }

  async ensureTopic(topic: string, options: EnsureTopicOptions = {}): Promise<TopicInfo> {
    this.client.check();
    validateTopicName(topic);
    const partitions = validatePositiveInt(options.partitions ?? 1, 'partitions', 10_000);
    const retention = validatePositiveInt(options.retentionHours ?? DEFAULT_RETENTION_HOURS, 'retentionHours', 24 * 365 * 10);
    this.client.log.ensureTopic(topic, partitions, retention);
    return this.info(topic);
  }

  async describeTopic(topic: string): Promise<TopicInfo> {
    this.client.check();
    validateTopicName(topic);
    return this.info(topic);
  }

  async growPartitions(topic: string, partitions: number): Promise<TopicInfo> {
    this.client.check();
    validateTopicName(topic);
    validatePositiveInt(partitions, 'partitions', 10_000);
    this.client.log.growPartitions(topic, partitions);
    return this.info(topic);
  }

  async deleteTopic(topic: string): Promise<void> {
    this.client.check();
    validateTopicName(topic);
    this.client.log.deleteTopic(topic);
  }

  async listTopics(): Promise<string[]> {
    this.client.check();
    return this.client.log.listTopics();
  }
}

/**
 * Sends batches. Concurrent `send()` calls made in one event-loop turn share one LMDB write transaction and one
 * fsync (group commit, on lmdb-js's write thread); each resolves once its records are durable.
 */
class LocalProducer implements DriverProducer {
  private closed = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  constructor(
    private readonly client: LocalStreamClient,
    /** False behind the portable client, which validated topic and records (the driver SPI's contract). */
    private readonly validate: boolean,
    private readonly onClose: () => void,
  ) {}

  async send(topic: string, records: ProducerRecord | readonly ProducerRecord[]): Promise<RecordMetadata[]> {
    if (this.closed) throw new ClosedError('producer', { target: this.client.target });
    this.client.check();
    let list: readonly ProducerRecord[];
    if (this.validate) {
      validateTopicName(topic);
      list = validateBatch(records, this.client.capabilities, this.client.target);
    } else {
      list = Array.isArray(records) ? records : [records as ProducerRecord];
    }
    if (list.length === 0) return [];
    const done = this.client.log.append(topic, list);
    this.inFlight.add(done);
    try {
      return await done;
    } finally {
      this.inFlight.delete(done);
    }
  }

  async flush(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flush();
    this.onClose();
  }
}

interface Owned {
  epoch: number;
  /** Being handed over to another member: its last checkpoint and release are written at once. */
  handover: boolean;
  processor: PartitionProcessor;
  loop: Promise<void>;
  stop: AbortController;
}

/** A member of a consumer group on the local log: leases partitions, fetches, and checkpoints with fencing. */
class LocalSubscription implements Subscription {
  private readonly memberId = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly owned = new Map<number, Owned>();
  private readonly releasing = new Set<number>();
  private readonly statsData: LocalSubscriptionStats = { ...newStats(), deadLetterFailures: 0 };
  private readonly sessionTimeoutMs: number;
  private readonly heartbeatMs: number;
  private readonly closing = new AbortController();
  /** Wakes the heartbeat loop early (a handover is pending). */
  private wake: (() => void) | undefined;
  private heartbeat: Promise<void> | undefined;
  private closed: Promise<void> | undefined;
  private dlq: DeadLetterSink | undefined;
  /** Idle partitions waiting for data past a position, woken by one shared poller. */
  private readonly dataWaiters = new Map<number, { pos: number; wake: () => void }>();
  private idleTimer: NodeJS.Timeout | undefined;
  private idleBackoff = 1;

  constructor(
    private readonly client: LocalStreamClient,
    private readonly options: SubscribeOptions,
    private readonly handler: MessageHandler,
    private readonly onClose: () => void,
  ) {
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? 10_000;
    this.heartbeatMs = client.config.heartbeatMs ?? Math.max(20, Math.floor(this.sessionTimeoutMs / 4));
    client.log.localMembers.add(this.memberId);
  }

  assignments(): number[] {
    return [...this.owned.keys()].sort((a, b) => a - b);
  }

  stats(): LocalSubscriptionStats {
    return { ...this.statsData };
  }

  async start(): Promise<void> {
    const waiting = await this.round();
    this.heartbeat = this.heartbeatLoop(waiting);
  }

  private async heartbeatLoop(initiallyWaiting: number): Promise<void> {
    let waiting = initiallyWaiting;
    while (!this.closing.signal.aborted) {
      // while partitions assigned to us are still held by a member handing them over, look again soon
      const interval = waiting > 0 ? Math.min(this.heartbeatMs, 50) : this.heartbeatMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, interval);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
        this.closing.signal.addEventListener('abort', this.wake, { once: true });
      });
      this.wake = undefined;
      if (this.closing.signal.aborted) break;
      try {
        waiting = await this.round();
      } catch (e) {
        this.report(e);
      }
    }
  }

  private report(e: unknown): void {
    if (this.options.onError) this.options.onError(e);
    else this.client.logger.warn('local subscription error', { error: describeError(e) });
  }

  /** One membership round: renew, take new partitions, release the ones now assigned elsewhere. */
  private async round(): Promise<number> {
    const { topic, group } = this.options;
    const { held, release, waiting } = await this.client.log.membershipRound(group, topic, this.memberId, this.sessionTimeoutMs, {
      pid: process.pid,
      host: hostname(),
    });
    let changed = false;
    // Leases lost without releasing them (expired while we were stalled): stop at once.
    for (const [p, owned] of this.owned) {
      if (!held.has(p) || held.get(p) !== owned.epoch) {
        changed = true;
        void this.stopPartition(p, false);
      }
    }
    for (const [p, epoch] of held) {
      if (!this.owned.has(p) && !release.includes(p) && !this.releasing.has(p)) {
        this.startPartition(p, epoch);
        changed = true;
      }
    }
    for (const p of release) {
      if (this.releasing.has(p)) continue;
      changed = true;
      const owned = this.owned.get(p);
      if (owned) owned.handover = true;
      void this.stopPartition(p, true);
    }
    if (changed) this.options.onAssignment?.(this.assignments());
    return waiting;
  }

  private async startPosition(p: number): Promise<number> {
    const { topic, group } = this.options;
    const log = this.client.log;
    const existing = log.checkpoint(group, topic, p);
    if (existing !== undefined) return Math.max(existing, log.lowWatermark(topic, p));
    const start = this.options.startFrom ?? 'earliest';
    let pos: number;
    if (start === 'earliest') pos = log.lowWatermark(topic, p);
    else if (start === 'latest') pos = log.highWatermark(topic, p);
    else pos = log.offsetForTimestamp(topic, p, start.timestamp);
    // Pin the start so that a later owner of this partition begins at the same place.
    return log.initCheckpoint(group, topic, p, pos);
  }

  private startPartition(p: number, epoch: number): void {
    const { topic, group } = this.options;
    const log = this.client.log;
    const stop = new AbortController();
    const processor = new PartitionProcessor({
      topic,
      group,
      partition: p,
      handler: this.handler,
      ...(this.options.maxAttempts !== undefined ? { maxAttempts: this.options.maxAttempts } : {}),
      ...(this.options.retryBackoff !== undefined ? { backoff: this.options.retryBackoff } : {}),
      ...(this.options.concurrency !== undefined ? { concurrency: this.options.concurrency } : {}),
      commitIntervalMs: this.client.config.commitIntervalMs,
      stats: this.statsData,
      deadLetter: (m, err, attempts, send) => this.deadLetter(m, err, attempts, stop.signal, send),
      commit: async (m) =>
        log.commit(group, topic, p, Number(m.position) + 1, this.memberId, epoch, this.owned.get(p)?.handover === true),
      onError: (e) => this.report(e),
    });
    const loop = this.fetchLoop(p, processor, stop.signal);
    this.owned.set(p, { epoch, handover: false, processor, loop, stop });
  }

  /**
   * Resolves when partition `p` has data at or after `pos` (or `signal` aborts). Idle partitions do not poll one by
   * one: one poller per subscription reads every high watermark in one range scan, every `pollIntervalMs` while
   * data keeps coming and backing off to 5x when none does, and wakes the partitions that have new data.
   */
  private waitForData(p: number, pos: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        this.dataWaiters.delete(p);
        signal.removeEventListener('abort', done);
        resolve();
      };
      if (signal.aborted) return resolve();
      this.dataWaiters.set(p, { pos, wake: done });
      signal.addEventListener('abort', done, { once: true });
      this.scheduleIdlePoll();
    });
  }

  private scheduleIdlePoll(): void {
    if (this.idleTimer || this.dataWaiters.size === 0) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      this.idlePoll();
    }, this.client.config.pollIntervalMs * this.idleBackoff);
  }

  private idlePoll(): void {
    let woke = 0;
    try {
      const log = this.client.log;
      const { topic } = this.options;
      // a few waiters: one get each; many: one range scan over every partition's high watermark
      const all = this.dataWaiters.size > 16 ? log.highWatermarks(topic) : undefined;
      for (const [p, w] of [...this.dataWaiters]) {
        const hw = all ? (all.get(p) ?? 0) : log.highWatermark(topic, p);
        if (hw > w.pos) {
          w.wake();
          woke++;
        }
      }
    } catch {
      // let every loop meet the error on its own read (and report it there)
      for (const w of [...this.dataWaiters.values()]) w.wake();
      woke++;
    }
    this.idleBackoff = woke > 0 ? 1 : Math.min(this.idleBackoff + 1, 5);
    this.scheduleIdlePoll();
  }

  /**
   * Fetches a partition into its processor. Each turn does bounded work — one fetch of at most `fetchMaxMessages`
   * and `fetchMaxBytes` — and then yields to the event loop, so timers (heartbeats, commits, health probes) and
   * signals run on time while a backlog drains. Prefetch is bounded by count (`maxBufferedPerPartition`) and bytes
   * (`maxBufferedBytes`).
   */
  private async fetchLoop(p: number, processor: PartitionProcessor, signal: AbortSignal): Promise<void> {
    const { topic } = this.options;
    const log = this.client.log;
    const config = this.client.config;
    const maxBuffered = this.options.maxBufferedPerPartition ?? 1000;
    const batch = Math.min(config.fetchMaxMessages, maxBuffered);
    // cumulative bytes of enqueued messages: the unfinished ones are always the last `processor.buffered`
    const cumulative: number[] = [0];
    let enqueued = 0;
    let dropped = 0; // entries of `cumulative` compacted away
    const bufferedBytes = () => {
      const firstUnfinished = enqueued - processor.buffered;
      const at = cumulative[firstUnfinished - dropped] ?? 0;
      return (cumulative[cumulative.length - 1] ?? 0) - at;
    };
    let pos: number;
    try {
      pos = await this.startPosition(p);
    } catch (e) {
      this.report(e);
      return;
    }
    let chunk = batch;
    while (!signal.aborted) {
      await processor.waitForSpace(maxBuffered);
      // one bounded fetch per slot: a synchronous handler would otherwise drain the whole backlog in microtasks
      const release = await turns.slot();
      let next = 'more' as 'more' | 'full' | 'empty' | 'error';
      try {
        if (signal.aborted || processor.isStopped) break;
        const room = config.maxBufferedBytes - bufferedBytes();
        if (room <= 0) {
          next = 'full';
          continue;
        }
        let rows: ReturnType<LocalLog['read']>;
        try {
          const lo = log.lowWatermark(topic, p);
          if (pos < lo) pos = lo; // retention removed what we had not read
          rows = log.read(
            topic,
            p,
            pos,
            Math.max(1, Math.min(chunk, maxBuffered - processor.buffered)),
            Math.min(room, config.fetchMaxBytes),
          );
        } catch (e) {
          this.report(e);
          next = 'error';
          continue;
        }
        if (rows.length === 0) {
          next = 'empty';
          continue;
        }
        // compact the byte index of finished messages
        const firstUnfinished = enqueued - processor.buffered;
        if (firstUnfinished - dropped > 4096) {
          cumulative.splice(0, firstUnfinished - dropped);
          dropped = firstUnfinished;
        }
        const messages: ConsumedMessage[] = new Array(rows.length);
        let total = cumulative[cumulative.length - 1] ?? 0;
        for (let i = 0; i < rows.length; i++) {
          const { offset, msg, bytes } = rows[i] as (typeof rows)[number];
          total += bytes;
          cumulative.push(total);
          messages[i] = {
            topic,
            partition: p,
            position: String(offset),
            key: msg.k,
            value: msg.v,
            headers: msg.h ?? {},
            timestamp: msg.ts,
            deliveryAttempt: 1,
          };
        }
        enqueued += rows.length;
        pos = (rows[rows.length - 1] as (typeof rows)[number]).offset + 1;
        // synchronous handlers run inside enqueue: size the next fetch so that one slot stays near TURN_BUDGET_MS
        const started = performance.now();
        processor.enqueue(messages);
        const took = performance.now() - started;
        if (took > TURN_BUDGET_MS && chunk > 1) chunk = Math.max(1, Math.floor(chunk / 2));
        else if (took < TURN_BUDGET_MS / 4 && rows.length === chunk) chunk = Math.min(batch, chunk * 2);
      } finally {
        release();
        if (next === 'full') await sleep(Math.max(1, Math.floor(config.pollIntervalMs / 4)), signal);
        else if (next === 'error') await sleep(config.pollIntervalMs * 5, signal);
        else if (next === 'empty') await this.waitForData(p, pos, signal);
      }
    }
  }

  /**
   * Stops a partition: fetch stops, in-flight handlers finish (bounded by `drainTimeoutMs`), the contiguous prefix
   * is committed, the lease released.
   */
  private async stopPartition(p: number, release: boolean, drainMs = Number.POSITIVE_INFINITY): Promise<void> {
    const owned = this.owned.get(p);
    if (!owned) return;
    this.releasing.add(p);
    try {
      owned.stop.abort();
      const stopped = owned.processor.stop().then(() => owned.loop);
      let timer: NodeJS.Timeout | undefined;
      const finished = Number.isFinite(drainMs)
        ? await Promise.race([
            stopped.then(() => true),
            new Promise<boolean>((r) => {
              timer = setTimeout(() => r(false), drainMs);
            }),
          ]).finally(() => clearTimeout(timer))
        : await stopped.then(() => true);
      if (!finished) {
        // a handler that does not return: what it holds is not checkpointed and is delivered again
        this.report(
          new TimeoutError(
            `partition ${p} of ${this.options.topic} (group ${this.options.group}): a handler still runs after drainTimeoutMs ${drainMs}; its message is not checkpointed and will be delivered again`,
            { field: 'drainTimeoutMs', retriable: false, target: this.client.target },
          ),
        );
        stopped.catch((e: unknown) => this.report(e));
      }
      if (release) await this.client.log.releaseLease(this.options.group, this.options.topic, p, this.memberId, owned.handover);
    } catch (e) {
      this.report(e);
    } finally {
      this.owned.delete(p);
      this.releasing.delete(p);
    }
  }

  /**
   * Publishes a dead letter, with bounded attempts (retriable failures only), then applies `deadLetterFailure`:
   * `park` keeps the message in the group's park area and moves on; `stop` stops the partition. Either way a
   * {@link DeadLetterError} goes to `onError` (or the logger) and `deadLetterFailures` counts it.
   */
  private async deadLetter(
    m: ConsumedMessage,
    error: unknown,
    attempts: number,
    signal: AbortSignal,
    send: DeadLetterSend | undefined,
  ): Promise<void> {
    const log = this.client.log;
    this.dlq ??= new DeadLetterSink({
      topic: this.options.topic,
      group: this.options.group,
      deadLetterTopic: this.options.deadLetterTopic,
      ensureTopic: async (dlq) => {
        validateTopicName(dlq, 'deadLetterTopic');
        if (!log.topic(dlq)) log.ensureTopic(dlq, 1, DEFAULT_RETENTION_HOURS);
      },
      producer: () => this.client.producer({ validate: true }),
    });
    const config = this.client.config;
    let last: unknown;
    for (let attempt = 1; attempt <= config.deadLetterAttempts; attempt++) {
      try {
        await this.dlq.publish(m, error, attempts, send);
        return;
      } catch (e) {
        last = e;
        if (isSpeedlayerError(e) && !e.retriable) break; // the same record cannot succeed on a retry
        if (attempt < config.deadLetterAttempts) await sleep(backoffDelay(attempt, { initialMs: 50, maxMs: 2000 }), signal);
        if (signal.aborted) throw e; // stopping: left unfinished for the next owner
      }
    }
    this.statsData.deadLetterFailures++;
    const policy = config.deadLetterFailure;
    const where = `${m.topic}/${m.partition}@${m.position}`;
    const failure = new DeadLetterError(
      `dead letter of ${where} (group ${this.options.group}) could not be published to ${this.dlq.topic}: ${describeError(last)}; ${
        policy === 'park'
          ? 'the message is parked in the local log (LocalLog.parked) and the partition moves on'
          : 'the partition is stopped (deadLetterFailure=stop) until the subscription restarts'
      }`,
      { topic: m.topic, partition: m.partition, position: m.position, policy, cause: last, target: 'local' },
    );
    this.client.logger.error(failure.message, { group: this.options.group, position: where });
    if (policy === 'park') {
      await log.park(this.options.group, {
        topic: m.topic,
        partition: m.partition,
        position: m.position,
        key: m.key,
        value: m.value,
        headers: m.headers,
        timestamp: m.timestamp,
        reason: describeError(last),
      });
      this.report(failure);
      // core's engine counts a resolved dead-letter call as dead-lettered; this one was parked instead
      this.statsData.deadLettered--;
      return;
    }
    this.report(failure);
    // stop: never resolve until the partition stops, so nothing after the message is handled or checkpointed
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    throw failure;
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing.abort();
      if (this.idleTimer) clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
      await this.heartbeat;
      const drainMs = this.options.drainTimeoutMs ?? 30_000;
      await Promise.all([...this.owned.keys()].map((p) => this.stopPartition(p, true, drainMs)));
      try {
        this.client.log.leave(this.options.group, this.options.topic, this.memberId);
      } catch (e) {
        this.report(e);
      }
      this.client.log.localMembers.delete(this.memberId);
      await this.dlq?.close();
      this.onClose();
    })();
    return this.closed;
  }
}

/** Creates a driver for `local://` or `memory://`; the URI's query parameters are config fields. */
export async function createLocalStreamClient(
  uri: ParsedUri,
  options: {
    config?: Record<string, unknown>;
    logger?: Logger;
    /**
     * Set by `streamFactory` (the driver behind `connect()`): the portable client validates every record before it
     * reaches {@link LocalStreamClient.producer}, so the driver does not check them again. @default false
     */
    recordsValidated?: boolean;
  } = {},
): Promise<LocalStreamClient> {
  const input = { ...configFromQuery(localConfigSchema, uri.params), ...(options.config ?? {}) };
  const config = resolveConfig(localConfigSchema, input, { target: 'local' });
  if (uri.scheme === 'memory') {
    return new LocalStreamClient(
      uri.raw,
      openMemoryLog(uri.location || 'default'),
      config,
      options.logger ?? silentLogger,
      false,
      options.recordsValidated ?? false,
    );
  }
  const { dir } = dataDirFor(uri);
  return new LocalStreamClient(
    uri.raw,
    openLog(dir),
    config,
    options.logger ?? silentLogger,
    true,
    options.recordsValidated ?? false,
  );
}
