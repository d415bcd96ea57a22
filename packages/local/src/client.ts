/**
 * The `local://` and `memory://` stream client.
 *
 * @packageDocumentation
 */

import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  ClosedError,
  ConfigError,
  type ConsumedMessage,
  DeadLetterSink,
  type EnsureTopicOptions,
  type Logger,
  type MessageHandler,
  newStats,
  type ParsedUri,
  PartitionProcessor,
  type Producer,
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
  type TopicInfo,
  validateBatch,
  validatePositiveInt,
  validateTopicName,
  z,
} from '@speedlayer/core';
import { DEFAULT_RETENTION_HOURS, type LocalLog, openLog, releaseLog } from './store.js';

/** Config of the local target (`connect(uri, { config })`). */
export const localConfigSchema = z
  .object({
    /** Largest record in bytes. @default 1048576 */
    maxMessageBytes: z
      .number()
      .int()
      .positive()
      .default(1024 * 1024),
    /** Idle poll interval of consumers in ms. @default 20 */
    pollIntervalMs: z.number().int().positive().max(10_000).default(20),
    /** Messages read per fetch. @default 500 */
    fetchMaxMessages: z.number().int().positive().max(100_000).default(500),
    /** How often group members renew their membership, in ms. @default sessionTimeoutMs / 4 */
    heartbeatMs: z.number().int().positive().optional(),
    /** Checkpoint interval in ms. @default 200 */
    commitIntervalMs: z.number().int().nonnegative().default(200),
  })
  .strict();

/** Resolved local config. */
export type LocalConfig = z.output<typeof localConfigSchema>;

/** What the local target can do. */
export function localCapabilities(config: LocalConfig, durable: boolean): StreamCapabilities {
  return {
    nativeHeaders: true,
    partitions: true,
    partitionGrowth: true,
    nativeConsumerGroups: true,
    timestampSeek: true,
    idempotentProduce: true,
    nativeDeadLetter: false,
    maxMessageBytes: config.maxMessageBytes,
    multiProcess: durable,
    durable,
  };
}

/**
 * Resolves the data directory of a `local://` URI: `local://./data` (relative to cwd), `local:///abs/path`,
 * `local://` alone means `./.speedlayer/data`. `memory://name` maps to a per-process temporary log.
 */
export function dataDirFor(uri: ParsedUri): { dir: string; ephemeral: boolean } {
  if (uri.scheme === 'memory') {
    const name = uri.location.replace(/[^A-Za-z0-9._-]/g, '_') || 'default';
    return { dir: join(tmpdir(), `speedlayer-memory-${process.pid}`, name), ephemeral: true };
  }
  if (uri.scheme !== 'local')
    throw new ConfigError(`uri: the local target serves local:// and memory://, not ${uri.scheme}://`, { field: 'uri' });
  const loc = uri.location;
  if (loc === '' || loc === '.') return { dir: resolve('.speedlayer/data'), ephemeral: false };
  return { dir: resolve(loc), ephemeral: false };
}

const ephemeralDirs = new Set<string>();
process.once('exit', () => {
  for (const d of ephemeralDirs) rmSync(d, { recursive: true, force: true });
});

/** The embedded stream client. */
export class LocalStreamClient implements StreamDriver {
  readonly target: string;
  readonly capabilities: StreamCapabilities;
  readonly admin: StreamAdmin;
  private closed = false;
  private readonly producers = new Set<LocalProducer>();
  private readonly subscriptions = new Set<LocalSubscription>();

  constructor(
    readonly uri: string,
    readonly log: LocalLog,
    readonly config: LocalConfig,
    readonly logger: Logger,
    durable: boolean,
  ) {
    this.target = durable ? 'local' : 'memory';
    this.capabilities = localCapabilities(config, durable);
    this.admin = new LocalAdmin(this);
  }

  /** Throws when closed. */
  check(what = 'stream client'): void {
    if (this.closed) throw new ClosedError(what, { target: this.target });
  }

  producer(): Producer {
    this.check();
    const p = new LocalProducer(this, () => this.producers.delete(p));
    this.producers.add(p);
    return p;
  }

  async subscribe(options: SubscribeOptions, handler: MessageHandler): Promise<Subscription> {
    this.check();
    validateTopicName(options.topic);
    if (typeof options.group !== 'string' || options.group.trim() === '') {
      throw new ConfigError('group must be a non-empty string', { field: 'group', target: this.target });
    }
    if (typeof handler !== 'function')
      throw new ConfigError('handler must be a function', { field: 'handler', target: this.target });
    this.log.requireTopic(options.topic);
    const sub = new LocalSubscription(this, options, handler, () => this.subscriptions.delete(sub));
    this.subscriptions.add(sub);
    await sub.start();
    return sub;
  }

  /** For `client.as()`: the LMDB log (`LocalLog`). */
  native(): unknown {
    return this.log;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    await Promise.all([...this.producers].map((p) => p.close()));
    await releaseLog(this.log);
  }
}

class LocalAdmin implements StreamAdmin {
  constructor(private readonly client: LocalStreamClient) {}

  private info(topic: string): TopicInfo {
    const meta = this.client.log.requireTopic(topic);
    return {
      name: topic,
      partitions: meta.partitions,
      retentionHours: meta.retentionHours,
      details: { createdAt: meta.createdAt },
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

class LocalProducer implements Producer {
  private closed = false;
  constructor(
    private readonly client: LocalStreamClient,
    private readonly onClose: () => void,
  ) {}

  async send(topic: string, records: ProducerRecord | readonly ProducerRecord[]): Promise<RecordMetadata[]> {
    if (this.closed) throw new ClosedError('producer', { target: this.client.target });
    this.client.check();
    validateTopicName(topic);
    const list = validateBatch(records, this.client.capabilities, this.client.target);
    if (list.length === 0) return [];
    return this.client.log.append(topic, list);
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
  }
}

interface Owned {
  epoch: number;
  processor: PartitionProcessor;
  loop: Promise<void>;
  stop: AbortController;
}

/** A member of a consumer group on the local log: leases partitions, fetches, and checkpoints with fencing. */
class LocalSubscription implements Subscription {
  private readonly memberId = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly owned = new Map<number, Owned>();
  private readonly releasing = new Set<number>();
  private readonly statsData: SubscriptionStats = newStats();
  private readonly sessionTimeoutMs: number;
  private readonly heartbeatMs: number;
  private readonly closing = new AbortController();
  private heartbeat: Promise<void> | undefined;
  private closed: Promise<void> | undefined;
  private dlq: DeadLetterSink | undefined;

  constructor(
    private readonly client: LocalStreamClient,
    private readonly options: SubscribeOptions,
    private readonly handler: MessageHandler,
    private readonly onClose: () => void,
  ) {
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? 10_000;
    this.heartbeatMs = client.config.heartbeatMs ?? Math.max(20, Math.floor(this.sessionTimeoutMs / 4));
  }

  assignments(): number[] {
    return [...this.owned.keys()].sort((a, b) => a - b);
  }

  stats(): SubscriptionStats {
    return { ...this.statsData };
  }

  async start(): Promise<void> {
    await this.round();
    this.heartbeat = this.heartbeatLoop();
  }

  private async heartbeatLoop(): Promise<void> {
    while (!this.closing.signal.aborted) {
      await sleep(this.heartbeatMs, this.closing.signal);
      if (this.closing.signal.aborted) break;
      try {
        await this.round();
      } catch (e) {
        this.report(e);
      }
    }
  }

  private report(e: unknown): void {
    if (this.options.onError) this.options.onError(e);
    else this.client.logger.warn('local subscription error', { error: String((e as Error)?.message ?? e) });
  }

  /** One membership round: renew, take new partitions, release the ones now assigned elsewhere. */
  private async round(): Promise<void> {
    const { topic, group } = this.options;
    const { held, release } = this.client.log.membershipRound(group, topic, this.memberId, this.sessionTimeoutMs, {
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
      void this.stopPartition(p, true);
    }
    if (changed) this.options.onAssignment?.(this.assignments());
  }

  private startPosition(p: number): number {
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
      deadLetter: (m, err, attempts) => this.deadLetter(m, err, attempts),
      commit: async (m) => log.commit(group, topic, p, Number(m.position) + 1, this.memberId, epoch),
      onError: (e) => this.report(e),
    });
    const loop = this.fetchLoop(p, processor, stop.signal);
    this.owned.set(p, { epoch, processor, loop, stop });
  }

  private async fetchLoop(p: number, processor: PartitionProcessor, signal: AbortSignal): Promise<void> {
    const { topic } = this.options;
    const log = this.client.log;
    const maxBuffered = this.options.maxBufferedPerPartition ?? 1000;
    const batch = Math.min(this.client.config.fetchMaxMessages, maxBuffered);
    let pos: number;
    try {
      pos = this.startPosition(p);
    } catch (e) {
      this.report(e);
      return;
    }
    let idle = 0;
    while (!signal.aborted) {
      await processor.waitForSpace(maxBuffered);
      if (signal.aborted) break;
      let rows: ReturnType<LocalLog['read']>;
      try {
        const lo = log.lowWatermark(topic, p);
        if (pos < lo) pos = lo; // retention removed what we had not read
        rows = log.read(topic, p, pos, Math.max(1, Math.min(batch, maxBuffered - processor.buffered)));
      } catch (e) {
        this.report(e);
        await sleep(this.client.config.pollIntervalMs * 5, signal);
        continue;
      }
      if (rows.length === 0) {
        idle = Math.min(idle + 1, 5);
        await sleep(this.client.config.pollIntervalMs * idle, signal);
        continue;
      }
      idle = 0;
      const messages: ConsumedMessage[] = rows.map(({ offset, msg }) => ({
        topic,
        partition: p,
        position: String(offset),
        key: msg.k,
        value: msg.v,
        headers: msg.h ?? {},
        timestamp: msg.ts,
        deliveryAttempt: 1,
      }));
      processor.enqueue(messages);
      pos = rows[rows.length - 1]!.offset + 1;
    }
  }

  /** Stops a partition: fetch stops, in-flight handlers finish, contiguous prefix committed, lease released. */
  private async stopPartition(p: number, release: boolean): Promise<void> {
    const owned = this.owned.get(p);
    if (!owned) return;
    this.releasing.add(p);
    try {
      owned.stop.abort();
      await owned.processor.stop();
      await owned.loop;
      if (release) this.client.log.releaseLease(this.options.group, this.options.topic, p, this.memberId);
    } catch (e) {
      this.report(e);
    } finally {
      this.owned.delete(p);
      this.releasing.delete(p);
    }
  }

  private async deadLetter(m: ConsumedMessage, error: unknown, attempts: number): Promise<void> {
    this.dlq ??= new DeadLetterSink({
      topic: this.options.topic,
      group: this.options.group,
      deadLetterTopic: this.options.deadLetterTopic,
      ensureTopic: async (dlq) => {
        if (!this.client.log.topic(dlq)) this.client.log.ensureTopic(dlq, 1, DEFAULT_RETENTION_HOURS);
      },
      producer: () => this.client.producer(),
    });
    await this.dlq.publish(m, error, attempts);
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing.abort();
      await this.heartbeat;
      await Promise.all([...this.owned.keys()].map((p) => this.stopPartition(p, true)));
      try {
        this.client.log.leave(this.options.group, this.options.topic, this.memberId);
      } catch (e) {
        this.report(e);
      }
      await this.dlq?.close();
      this.onClose();
    })();
    return this.closed;
  }
}

/** Creates a client for `local://` or `memory://`. */
export async function createLocalStreamClient(
  uri: ParsedUri,
  options: { config?: Record<string, unknown>; logger?: Logger } = {},
): Promise<LocalStreamClient> {
  const config = resolveConfig(localConfigSchema, options.config ?? {}, { target: 'local' });
  const { dir, ephemeral } = dataDirFor(uri);
  if (ephemeral) ephemeralDirs.add(dir);
  const log = openLog(dir, { durable: !ephemeral });
  return new LocalStreamClient(uri.raw, log, config, options.logger ?? silentLogger, !ephemeral);
}
