/**
 * A consumer-group member on Event Hubs: `EventHubConsumerClient.subscribe` with the blob checkpoint store claims
 * and balances partition ownership across members (processes); every claimed partition is driven through core's
 * `PartitionProcessor` (retries, dead-lettering, contiguous checkpoints, per-key order, backpressure). A checkpoint
 * is written with the SDK's `updateCheckpoint` (the blob layout KEDA's scaler reads) only over contiguous successes;
 * a partition whose ownership is lost is stopped and fenced: no checkpoint is written for it after the loss.
 *
 * @packageDocumentation
 */
import {
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

  constructor(
    private readonly host: SubscriptionHost,
    private readonly consumer: EventHubConsumerClient,
    private readonly options: SubscribeOptions,
    private readonly handler: MessageHandler,
    private readonly onClose: () => void,
  ) {}

  assignments(): number[] {
    return [...this.held.values()].map((h) => h.partition).sort((a, b) => a - b);
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

  /** Starts the SDK's load-balanced subscription. */
  start(): void {
    const { config } = this.host;
    this.sdk = this.consumer.subscribe(
      {
        processInitialize: (ctx) => this.initialize(ctx),
        processEvents: (events, ctx) => this.process(events, ctx),
        processError: async (err, ctx) => {
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
        maxWaitTimeInSeconds: config.maxWaitTimeMs / 1000,
        skipParsingBodyAsJson: true,
      },
    );
  }

  private async initialize(ctx: PartitionContext): Promise<void> {
    const partition = Number(ctx.partitionId);
    const held: Held = {
      partition,
      context: ctx,
      fenced: false,
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
        deadLetter: (m, err, attempts) => this.deadLetter(m, err, attempts),
        commit: (m) => this.commit(held, m),
        onError: (e) => this.report(e),
      }),
    };
    this.held.set(ctx.partitionId, held);
    this.notifyAssignment();
  }

  private async process(events: ReceivedEventData[], ctx: PartitionContext): Promise<void> {
    const held = this.held.get(ctx.partitionId);
    if (!held || held.processor.isStopped || events.length === 0) return;
    const messages = events.map((e) => {
      const m = toConsumedMessage(this.options.topic, held.partition, e);
      this.events.set(m, e);
      return m;
    });
    held.processor.enqueue(messages);
    await held.processor.waitForSpace(this.options.maxBufferedPerPartition ?? 1000);
  }

  private async commit(held: Held, m: ConsumedMessage): Promise<void> {
    if (held.fenced) return; // ownership lost: the next owner checkpoints from here on
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

  private async deadLetter(m: ConsumedMessage, error: unknown, attempts: number): Promise<void> {
    this.dlq ??= new DeadLetterSink({
      topic: this.options.topic,
      group: this.options.group,
      deadLetterTopic: this.options.deadLetterTopic,
      ensureTopic: (dlq) => ensureTopicByDescribe(this.host.admin, dlq),
      producer: () => this.host.producer(),
    });
    await this.dlq.publish(m, error, attempts);
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
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
