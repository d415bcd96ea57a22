/**
 * Baseline for `eventhubs://<namespace>?connectionString=file:…|env:…`: raw `@azure/event-hubs` over AMQP,
 * written as Microsoft recommends for throughput: `EventHubBufferedProducerClient` (the SDK batches events per
 * partition, partition keys hashed client-side; 10 ms linger), each send resolving when the SDK reports its batch
 * sent; `EventHubConsumerClient.subscribe` per partition from the earliest event (100 events / 1 s wait: the
 * speedlayer adapter's defaults), on the `$Default` consumer group, without a checkpoint store. Members of one
 * group split partitions by index.
 *
 * Creating and deleting event hubs is a management-plane (ARM) call that the data-plane SDK does not have: the
 * baseline does it through the speedlayer admin of the same URI, outside the measured phase. Azure types stay in
 * this module.
 *
 * @packageDocumentation
 */
import {
  type EventData,
  EventHubBufferedProducerClient,
  EventHubConsumerClient,
  earliestEventPosition,
  type Subscription,
} from '@azure/event-hubs';
import { ConfigError, connect, type ParsedUri, readSecretRef, type StreamClient } from '@speedlayer/core';
import type { BenchConsumer, BenchConsumerCallback, BenchDriver, BenchProducer } from '../driver.js';
import { StaticSplit } from './common.js';

interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
}

class EventHubsBaseline implements BenchDriver {
  readonly name = 'raw-azure-event-hubs';
  readonly target = 'azure-eventhubs-aks';
  private readonly split = new StaticSplit();
  private readonly producers = new Set<EventHubBufferedProducerClient>();
  private readonly consumers = new Set<BenchConsumer>();

  constructor(
    private readonly connectionString: string,
    private readonly admin: StreamClient,
  ) {}

  async createTopic(topic: string, partitions: number): Promise<void> {
    await this.admin.admin.ensureTopic(topic, { partitions });
  }

  async createProducer(topic: string): Promise<BenchProducer> {
    const waiting = new WeakMap<object, Waiter>();
    const settle = (events: readonly unknown[], error?: unknown) => {
      for (const e of events) {
        const w = waiting.get(e as object);
        if (!w) continue;
        waiting.delete(e as object);
        if (error === undefined) w.resolve();
        else w.reject(error);
      }
    };
    const producer = new EventHubBufferedProducerClient(this.connectionString, topic, {
      maxWaitTimeInMs: 10,
      onSendEventsSuccessHandler: ({ events }) => settle(events),
      onSendEventsErrorHandler: ({ error, events }) => settle(events, error),
    });
    this.producers.add(producer);
    return {
      send: (key, value, headers) =>
        new Promise<void>((resolve, reject) => {
          const event: EventData = { body: Buffer.from(value.buffer, value.byteOffset, value.byteLength), properties: headers };
          waiting.set(event, { resolve, reject });
          producer.enqueueEvent(event, key === undefined ? {} : { partitionKey: key }).catch((e: unknown) => {
            waiting.delete(event);
            reject(e);
          });
        }),
      close: async () => {
        this.producers.delete(producer);
        await producer.close({ flush: true });
      },
    };
  }

  async createConsumer(topic: string, group: string, onMessage: BenchConsumerCallback): Promise<BenchConsumer> {
    const member = this.split.join(`${topic}/${group}`);
    const client = new EventHubConsumerClient('$Default', this.connectionString, topic);
    const ids = await client.getPartitionIds();
    const subs: Subscription[] = ids.map((id, index) =>
      client.subscribe(
        id,
        {
          processEvents: async (events) => {
            if (!member.owns(index)) return;
            for (const e of events) {
              const headers: Record<string, string> = {};
              for (const [k, v] of Object.entries(e.properties ?? {})) headers[k] = String(v);
              const body = e.body as Uint8Array | undefined;
              onMessage(headers, body?.byteLength ?? 0);
            }
          },
          processError: async () => undefined,
        },
        { startPosition: earliestEventPosition, maxBatchSize: 100, maxWaitTimeInSeconds: 1 },
      ),
    );
    const consumer: BenchConsumer = {
      close: async () => {
        member.leave();
        await Promise.allSettled(subs.map((s) => s.close()));
        await client.close();
        this.consumers.delete(consumer);
      },
    };
    this.consumers.add(consumer);
    return consumer;
  }

  async deleteTopic(topic: string): Promise<void> {
    await this.admin.admin.deleteTopic(topic);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.consumers].map((c) => c.close()));
    await Promise.allSettled([...this.producers].map((p) => p.close({ flush: false })));
    await this.admin.close();
  }
}

/**
 * Opens raw Event Hubs (AMQP) for `eventhubs://…?connectionString=file:/path|env:VAR&management.…`.
 * @throws `ConfigError` naming `connectionString` when it is missing (the raw client needs a connection string; a
 * workload identity run would use `DefaultAzureCredential` instead).
 */
export async function openEventHubsBaseline(uri: ParsedUri): Promise<BenchDriver> {
  const ref = uri.params.get('connectionString');
  if (!ref) {
    throw new ConfigError('connectionString: the raw Event Hubs baseline needs ?connectionString=file:/path or env:VAR', {
      field: 'connectionString',
    });
  }
  const connectionString = await readSecretRef(ref, 'connectionString');
  return new EventHubsBaseline(connectionString, await connect(uri.raw));
}
