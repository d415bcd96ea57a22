/**
 * A consumer-group member on Event Hubs: `EventHubConsumerClient.subscribe` with the blob checkpoint store claims
 * and balances partition ownership across members (processes); every claimed partition is driven through core's
 * `PartitionProcessor` (retries, dead-lettering, contiguous checkpoints, per-key order, backpressure). A checkpoint
 * is written with the SDK's `updateCheckpoint` (the blob layout KEDA's scaler reads) only over contiguous successes;
 * a partition whose ownership is lost is stopped and fenced: no checkpoint is written for it after the loss.
 *
 * Hand-over without duplicates: the SDK only learns that a partition was taken when its receiver is detached, and a
 * pump busy in `processEvents` at that moment reconnects with the same owner level and takes the partition back
 * (partitions went back and forth, each time re-reading from the checkpoint). So each member polls the ownership
 * records itself: a partition claimed by another member stops starting handlers at once, checkpoints what its
 * running handlers finish within the first half of `handoverMs`, and its pump is ended (an error it does not
 * retry) instead of reconnecting. A member that takes a partition from a live member waits `handoverMs` before
 * reading and skips what the old owner's last checkpoint covers. Read-ahead is bounded in bytes
 * (`maxBufferedBytesPerPartition`, from the average event size seen) and the link's credit to one batch.
 *
 * @packageDocumentation
 */
import {
  type CheckpointStore,
  CloseReason,
  type EventHubConsumerClient,
  type EventPosition,
  earliestEventPosition,
  latestEventPosition,
  type PartitionContext,
  type ReceivedEventData,
  type Subscription as SdkSubscription,
} from '@azure/event-hubs';
import {
  type ConsumedMessage,
  type DeadLetterSend,
  DeadLetterSink,
  ensureTopicByDescribe,
  type Logger,
  type MessageHandler,
  newStats,
  PartitionProcessor,
  type Producer,
  type StreamAdmin,
  type SubscribeOptions,
  type Subscription,
  type SubscriptionStats,
  sleep,
} from '@speedlayer/core';
import type { EventHubsAmqpConfig } from './config.js';
import { mapAmqpError } from './errors.js';
import { KEY_PROPERTY, RESERVED_PROPERTIES, TIMESTAMP_PROPERTY } from './producer.js';

/** What a subscription needs from its client. */
export interface SubscriptionHost {
  readonly config: EventHubsAmqpConfig;
  readonly logger: Logger;
  readonly admin: StreamAdmin;
  readonly fullyQualifiedNamespace: string;
  producer(): Producer;
}

interface Held {
  partition: number;
  processor: PartitionProcessor;
  context: PartitionContext;
  /** Set when ownership was lost: no checkpoint may be written any more. */
  fenced: boolean;
  /** Set when another member claimed the partition: nothing new starts; checkpoints only until `commitUntil`. */
  lost: boolean;
  /** Epoch ms until which the old owner may still checkpoint after a claim by another member. */
  commitUntil: number;
  /** Events at or before this sequence number were handled by the previous owner (hand-over). */
  skipThrough: number;
  /** When this member started the partition (an ownership list begun earlier may still name the previous owner). */
  since: number;
}

/** What a subscription needs beside the SDK client: the checkpoint store and the ownership expiration. */
export interface OwnershipOptions {
  readonly store: CheckpointStore;
  readonly expirationMs: number;
  /** Partitions of the event hub (bounds the hand-over, see `handoverMs`). */
  readonly partitions: number;
}

/** Ends a pump without the reconnect the SDK does after a retriable error (the partition went to another member). */
class HandedOverError extends Error {
  readonly retryable = false;
  constructor(partition: string) {
    super(`partition ${partition} was claimed by another member`);
    this.name = 'HandedOverError';
  }
}

/** Bytes an event holds in memory, roughly: its body plus a fixed allowance for properties and annotations. */
function eventBytes(m: ConsumedMessage): number {
  return m.value.byteLength + 256;
}

/** Turns an application-property value into a header string. */
function headerValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Date) return v.toISOString();
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

function bodyBytes(body: unknown): Uint8Array {
  if (body instanceof Uint8Array) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body === undefined || body === null) return new Uint8Array(0);
  return Buffer.from(JSON.stringify(body), 'utf8');
}

/** A received event as a handler sees it. Pure, for tests. */
export function toConsumedMessage(topic: string, partition: number, e: ReceivedEventData): ConsumedMessage {
  const props = e.properties ?? {};
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(props)) if (!RESERVED_PROPERTIES.has(k) && v !== undefined) headers[k] = headerValue(v);
  const keyProp = props[KEY_PROPERTY];
  const key = typeof e.partitionKey === 'string' ? e.partitionKey : typeof keyProp === 'string' ? keyProp : null;
  const ts = Number(props[TIMESTAMP_PROPERTY]);
  return {
    topic,
    partition,
    position: String(e.sequenceNumber),
    key,
    value: bodyBytes(e.body),
    headers,
    timestamp: Number.isFinite(ts) && props[TIMESTAMP_PROPERTY] !== undefined ? ts : e.enqueuedTimeUtc.getTime(),
    deliveryAttempt: 1,
  };
}

/** The SDK start position of a speedlayer one (used when a partition has no checkpoint). */
export function eventPosition(start: SubscribeOptions['startFrom']): EventPosition {
  if (start === undefined || start === 'earliest') return earliestEventPosition;
  if (start === 'latest') return latestEventPosition;
  return { enqueuedOn: new Date(start.timestamp) };
}

/** A running member of a consumer group. */
export class EventHubsSubscription implements Subscription {
  private readonly held = new Map<string, Held>();
  private readonly statsData: SubscriptionStats = newStats();
  private readonly events = new WeakMap<ConsumedMessage, ReceivedEventData>();
  private sdk: SdkSubscription | undefined;
  private closed: Promise<void> | undefined;
  private dlq: DeadLetterSink | undefined;
  private lastAssignment = '';
  /** The last other member seen owning each partition (cleared when it abandons it): decides on a hand-over. */
  private readonly others = new Map<string, { ownerId: string; at: number }>();
  private ownershipPoll: Promise<void> | undefined;
  private ownershipTimer: NodeJS.Timeout | undefined;
  private readonly stopping = new AbortController();
  private bytesSeen = 0;
  private eventsSeen = 0;

  constructor(
    private readonly host: SubscriptionHost,
    private readonly consumer: EventHubConsumerClient,
    private readonly options: SubscribeOptions,
    private readonly handler: MessageHandler,
    private readonly onClose: () => void,
    private readonly ownership: OwnershipOptions,
  ) {}

  assignments(): number[] {
    return [...this.held.values()]
      .filter((h) => !h.lost)
      .map((h) => h.partition)
      .sort((a, b) => a - b);
  }

  /**
   * The hand-over in effect: `handoverMs`, but at most expiration / (2 x partitions). The SDK claims partitions one
   * after another and a settling claim holds its balancing loop (and ownership renewals), so taking every
   * partition from live members must end well within the ownership expiration. Every member computes the same.
   */
  private get handoverMs(): number {
    const { expirationMs, partitions } = this.ownership;
    return Math.min(this.host.config.handoverMs, Math.floor(expirationMs / (2 * Math.max(1, partitions))));
  }

  /** How often ownership records are polled: a quarter of the hand-over, at most once per balancing cycle. */
  private get pollMs(): number {
    const { handoverMs } = this;
    const { updateIntervalMs } = this.host.config;
    return Math.max(100, Math.min(updateIntervalMs, handoverMs > 0 ? Math.floor(handoverMs / 4) : updateIntervalMs));
  }

  /** Reads the ownership records (one list call shared by concurrent callers) and stops partitions taken from us. */
  private refreshOwnership(): Promise<void> {
    this.ownershipPoll ??= (async () => {
      try {
        const listedAt = Date.now();
        const list = await this.ownership.store.listOwnership(
          this.consumer.fullyQualifiedNamespace,
          this.consumer.eventHubName,
          this.options.group,
        );
        const me = this.consumer.identifier;
        for (const o of list) {
          const at = o.lastModifiedTimeInMs ?? 0;
          if (o.ownerId === '') this.others.delete(o.partitionId);
          else if (o.ownerId !== me) this.others.set(o.partitionId, { ownerId: o.ownerId, at });
          const held = this.held.get(o.partitionId);
          if (held && !held.lost && held.since < listedAt && o.ownerId !== '' && o.ownerId !== me) this.lose(held, at);
        }
      } catch (e) {
        this.host.logger.debug('eventhubs ownership poll failed', { error: String((e as Error)?.message ?? e) });
      } finally {
        this.ownershipPoll = undefined;
      }
    })();
    return this.ownershipPoll;
  }

  private pollOwnership(): void {
    if (this.stopping.signal.aborted) return;
    this.ownershipTimer = setTimeout(() => {
      void this.refreshOwnership().finally(() => this.pollOwnership());
    }, this.pollMs);
    this.ownershipTimer.unref?.();
  }

  /** Another member claimed the partition at `claimedAt`: start nothing new, checkpoint only in the first half. */
  private lose(held: Held, claimedAt: number): void {
    held.lost = true;
    held.commitUntil = (claimedAt || Date.now()) + Math.floor(this.handoverMs / 2);
    this.host.logger.info('eventhubs partition ownership lost', {
      topic: this.options.topic,
      partition: String(held.partition),
      reason: 'claimed by another member',
    });
    void held.processor.stop().catch((e) => this.report(e));
    this.notifyAssignment();
  }

  stats(): SubscriptionStats {
    return { ...this.statsData };
  }

  private report(e: unknown): void {
    if (this.options.onError) this.options.onError(e);
    else this.host.logger.warn('eventhubs subscription error', { error: String((e as Error)?.message ?? e) });
  }

  private notifyAssignment(): void {
    const now = this.assignments().join(',');
    if (now === this.lastAssignment) return;
    this.lastAssignment = now;
    this.options.onAssignment?.(this.assignments());
  }

  /** Starts the SDK's load-balanced subscription (after a first look at the ownership records). */
  async start(): Promise<void> {
    const { config } = this.host;
    await this.refreshOwnership();
    this.pollOwnership();
    this.sdk = this.consumer.subscribe(
      {
        processInitialize: (ctx) => this.initialize(ctx),
        processEvents: (events, ctx) => this.process(events, ctx),
        processError: async (err, ctx) => {
          if (err instanceof HandedOverError) return;
          this.report(
            mapAmqpError(err, {
              op: `receive from partition ${ctx.partitionId || '(load balancing)'} of ${this.options.topic}`,
              namespace: this.host.fullyQualifiedNamespace,
              topic: this.options.topic,
              group: this.options.group,
            }),
          );
        },
        processClose: (reason, ctx) => this.closePartition(reason, ctx),
      },
      {
        startPosition: eventPosition(this.options.startFrom),
        maxBatchSize: config.maxBatchSize,
        // link credit of one batch (the SDK's default is three): the read-ahead bound is the processor's
        prefetchCount: config.maxBatchSize,
        maxWaitTimeInSeconds: config.maxWaitTimeMs / 1000,
        skipParsingBodyAsJson: true,
      },
    );
  }

  private async initialize(ctx: PartitionContext): Promise<void> {
    const partition = Number(ctx.partitionId);
    const skipThrough = await this.settle(ctx.partitionId);
    const held: Held = {
      partition,
      context: ctx,
      fenced: false,
      lost: false,
      commitUntil: 0,
      skipThrough,
      since: Date.now(),
      processor: new PartitionProcessor({
        topic: this.options.topic,
        group: this.options.group,
        partition,
        handler: this.handler,
        ...(this.options.maxAttempts !== undefined ? { maxAttempts: this.options.maxAttempts } : {}),
        ...(this.options.retryBackoff !== undefined ? { backoff: this.options.retryBackoff } : {}),
        ...(this.options.concurrency !== undefined ? { concurrency: this.options.concurrency } : {}),
        commitIntervalMs: this.host.config.commitIntervalMs,
        stats: this.statsData,
        deadLetter: (m, err, attempts, send) => this.deadLetter(m, err, attempts, send),
        commit: (m) => this.commit(held, m),
        onError: (e) => this.report(e),
      }),
    };
    this.held.set(ctx.partitionId, held);
    this.notifyAssignment();
  }

  /**
   * Before reading a partition just claimed from a live member, waits `handoverMs` from the claim so the old owner
   * stops and checkpoints, then returns the sequence number that checkpoint covers (-1: nothing to skip).
   */
  private async settle(partitionId: string): Promise<number> {
    const { handoverMs } = this;
    const before = this.others.get(partitionId);
    const live = before !== undefined && Date.now() - before.at < this.ownership.expirationMs;
    if (handoverMs === 0 || !live) return -1;
    const { fullyQualifiedNamespace, eventHubName } = this.consumer;
    const { group } = this.options;
    try {
      const mine = (await this.ownership.store.listOwnership(fullyQualifiedNamespace, eventHubName, group)).find(
        (o) => o.partitionId === partitionId,
      );
      const claimedAt = mine?.lastModifiedTimeInMs ?? Date.now();
      const wait = Math.min(handoverMs, claimedAt + handoverMs - Date.now());
      if (wait > 0) await sleep(wait, this.stopping.signal);
      const checkpoint = (await this.ownership.store.listCheckpoints(fullyQualifiedNamespace, eventHubName, group)).find(
        (c) => c.partitionId === partitionId,
      );
      return checkpoint?.sequenceNumber ?? -1;
    } catch (e) {
      this.report(e);
      return -1;
    }
  }

  private async process(events: ReceivedEventData[], ctx: PartitionContext): Promise<void> {
    const held = this.held.get(ctx.partitionId);
    if (!held) return;
    if (held.lost) throw new HandedOverError(ctx.partitionId); // ends the pump: no reconnect, no take-back
    if (held.processor.isStopped) return;
    const messages: ConsumedMessage[] = [];
    for (const e of events) {
      if (e.sequenceNumber <= held.skipThrough) continue; // handled and checkpointed by the previous owner
      const m = toConsumedMessage(this.options.topic, held.partition, e);
      this.events.set(m, e);
      this.bytesSeen += eventBytes(m);
      this.eventsSeen++;
      messages.push(m);
    }
    if (messages.length === 0) return;
    held.processor.enqueue(messages);
    const started = Date.now();
    await held.processor.waitForSpace(this.spaceLimit());
    // after a long wait, make sure the partition is still ours before the SDK receives (or reconnects) again
    if (!held.lost && Date.now() - started > this.pollMs) await this.refreshOwnership();
    if (held.lost) throw new HandedOverError(ctx.partitionId);
  }

  /** Events a partition may buffer: `maxBufferedBytesPerPartition` over the average event size, capped by count. */
  private spaceLimit(): number {
    const count = this.options.maxBufferedPerPartition ?? 1000;
    if (this.eventsSeen === 0) return count;
    const average = this.bytesSeen / this.eventsSeen;
    return Math.max(1, Math.min(count, Math.floor(this.host.config.maxBufferedBytesPerPartition / average)));
  }

  private async commit(held: Held, m: ConsumedMessage): Promise<void> {
    if (held.fenced) return; // ownership lost: the next owner checkpoints from here on
    // claimed by another member: it reads the checkpoint after the hand-over, so only its first half may write one
    if (held.lost && Date.now() > held.commitUntil) return;
    const event = this.events.get(m);
    if (!event) return;
    await held.context.updateCheckpoint(event);
  }

  private async closePartition(reason: CloseReason, ctx: PartitionContext): Promise<void> {
    const held = this.held.get(ctx.partitionId);
    if (!held) return;
    if (reason === CloseReason.OwnershipLost) {
      held.fenced = true;
      this.host.logger.info('eventhubs partition ownership lost', { topic: this.options.topic, partition: ctx.partitionId });
    }
    try {
      await held.processor.stop();
    } finally {
      if (this.held.get(ctx.partitionId) === held) this.held.delete(ctx.partitionId);
      this.notifyAssignment();
    }
  }

  private async deadLetter(m: ConsumedMessage, error: unknown, attempts: number, send?: DeadLetterSend): Promise<void> {
    this.dlq ??= new DeadLetterSink({
      topic: this.options.topic,
      group: this.options.group,
      deadLetterTopic: this.options.deadLetterTopic,
      ensureTopic: (dlq) => ensureTopicByDescribe(this.host.admin, dlq),
      producer: () => this.host.producer(),
    });
    await this.dlq.publish(m, error, attempts, send);
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      this.stopping.abort();
      clearTimeout(this.ownershipTimer);
      try {
        // The SDK stops every pump with CloseReason.Shutdown (each drains and commits in closePartition), then
        // gives up its ownerships so other members claim them at once.
        await this.sdk?.close();
      } catch (e) {
        this.report(e);
      }
      await Promise.all([...this.held.values()].map((h) => h.processor.stop().catch((e) => this.report(e))));
      this.held.clear();
      try {
        await this.consumer.close();
      } catch (e) {
        this.report(e);
      }
      await this.dlq?.close();
      this.notifyAssignment();
      this.onClose();
    })();
    return this.closed;
  }
}
