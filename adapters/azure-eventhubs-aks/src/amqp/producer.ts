/**
 * The Event Hubs producer: whole-batch validation, then one `createBatch({ partitionKey | partitionId })` per key
 * group, filled with `tryAdd` (the SDK's exact AMQP size accounting). Every batch is built before the first one is
 * sent, so an event that cannot fit an empty batch fails the call with nothing sent. Batches of one key go out one
 * after another (order kept); different keys go out concurrently.
 *
 * @packageDocumentation
 */
import type { EventData, EventDataBatch, EventHubProducerClient } from '@azure/event-hubs';
import {
  ClosedError,
  type Producer,
  type ProducerRecord,
  type RecordMetadata,
  recordBytes,
  type StreamCapabilities,
  TimeoutError,
  ValidationError,
  validateBatch,
  validateTopicName,
  valueBytes,
} from '@speedlayer/core';
import { type EventHubsAmqpConfig, TARGET } from './config.js';
import { mapAmqpError, tooLargeForBatch } from './errors.js';
import { partitionForKey } from './hash.js';

/** Application property carrying the key when `keyRouting` is `client` (a partition sender cannot carry a key). */
export const KEY_PROPERTY = 'speedlayer-key';
/** Application property carrying the record's own timestamp (Event Hubs only stamps the enqueued time). */
export const TIMESTAMP_PROPERTY = 'speedlayer-timestamp';
/** Property names the adapter writes itself; refused as user headers. */
export const RESERVED_PROPERTIES: ReadonlySet<string> = new Set([KEY_PROPERTY, TIMESTAMP_PROPERTY]);

/** What the producer needs from its client. */
export interface ProducerHost {
  readonly config: EventHubsAmqpConfig;
  readonly capabilities: StreamCapabilities;
  readonly fullyQualifiedNamespace: string;
  check(what?: string): void;
  producerClient(topic: string): EventHubProducerClient;
  partitionIds(topic: string, fresh?: boolean, abortSignal?: AbortSignal): Promise<string[]>;
}

/** Where one record goes. */
export interface Route {
  /** Lane: records of one lane keep their order (`k:<key>` or `p:<partition>`). */
  lane: string;
  /** Partition index the record lands in. */
  partition: number;
  /** Batch options: the key (service-side hashing) or the partition id. */
  batch: { partitionKey: string } | { partitionId: string };
}

/**
 * Routes records (pure): an explicit partition wins; a key is hashed (by the service, predicted client-side, or by
 * the client); records without key go to one partition per call (`stickyPartition`).
 * @throws `ValidationError` for a partition index the hub does not have.
 */
export function routeRecords(
  records: readonly ProducerRecord[],
  partitionIds: readonly string[],
  keyRouting: EventHubsAmqpConfig['keyRouting'],
  stickyPartition: number,
): Route[] {
  const count = partitionIds.length;
  return records.map((r, i) => {
    if (r.partition !== undefined) {
      if (r.partition >= count) {
        throw new ValidationError(
          `records[${i}].partition ${r.partition} does not exist: the event hub has ${count} partitions`,
          {
            field: `records[${i}].partition`,
            target: TARGET,
          },
        );
      }
      return { lane: `p:${r.partition}`, partition: r.partition, batch: { partitionId: partitionIds[r.partition] as string } };
    }
    if (typeof r.key === 'string') {
      const partition = partitionForKey(r.key, count);
      if (keyRouting === 'service') return { lane: `k:${r.key}`, partition, batch: { partitionKey: r.key } };
      return { lane: `p:${partition}`, partition, batch: { partitionId: partitionIds[partition] as string } };
    }
    const partition = stickyPartition % count;
    return { lane: `p:${partition}`, partition, batch: { partitionId: partitionIds[partition] as string } };
  });
}

/** The Event Hubs event of a record (body as bytes, headers as application properties). */
export function toEventData(record: ProducerRecord, keyRouting: EventHubsAmqpConfig['keyRouting']): EventData {
  const properties: Record<string, string> = { ...(record.headers ?? {}) };
  if (record.timestamp !== undefined) properties[TIMESTAMP_PROPERTY] = String(record.timestamp);
  if (keyRouting === 'client' && typeof record.key === 'string' && record.partition === undefined) {
    properties[KEY_PROPERTY] = record.key;
  }
  const value = valueBytes(record.value);
  return {
    body: Buffer.from(value.buffer, value.byteOffset, value.byteLength),
    ...(Object.keys(properties).length > 0 ? { properties } : {}),
  };
}

const SEND_CONCURRENCY = 8;

/** The producer of an `eventhubs://` client. */
export class EventHubsProducer implements Producer {
  private closed = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  private sticky = Math.floor(Math.random() * 1024);

  constructor(
    private readonly host: ProducerHost,
    private readonly onClose: () => void,
  ) {}

  async send(topic: string, records: ProducerRecord | readonly ProducerRecord[]): Promise<RecordMetadata[]> {
    if (this.closed) throw new ClosedError('producer', { target: TARGET });
    this.host.check();
    validateTopicName(topic);
    const list = validateBatch(records, this.host.capabilities, TARGET, (r, i) => {
      for (const name of Object.keys(r.headers ?? {})) {
        if (RESERVED_PROPERTIES.has(name)) {
          throw new ValidationError(`records[${i}].headers["${name}"] is reserved by speedlayer's Event Hubs adapter`, {
            field: `records[${i}].headers.${name}`,
            target: TARGET,
          });
        }
      }
    });
    if (list.length === 0) return [];
    const run = this.sendWithin(topic, list);
    this.inFlight.add(run);
    try {
      return await run;
    } finally {
      this.inFlight.delete(run);
    }
  }

  /** `sendValidated` bounded by `sendTimeoutMs`: on expiry the SDK calls are aborted and a TimeoutError is thrown. */
  private async sendWithin(topic: string, list: ProducerRecord[]): Promise<RecordMetadata[]> {
    const { sendTimeoutMs } = this.host.config;
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        reject(
          new TimeoutError(
            `send to event hub ${topic}: not acknowledged within sendTimeoutMs (${sendTimeoutMs} ms); the batch may or may not have been written`,
            { field: 'sendTimeoutMs', target: TARGET },
          ),
        );
      }, sendTimeoutMs);
    });
    const run = this.sendValidated(topic, list, abort.signal);
    run.catch(() => {}); // after expiry its own (abort) error is not wanted
    try {
      return await Promise.race([run, expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async sendValidated(topic: string, list: ProducerRecord[], abortSignal: AbortSignal): Promise<RecordMetadata[]> {
    const ctx = { op: `send to event hub ${topic}`, namespace: this.host.fullyQualifiedNamespace, topic };
    const ids = await this.host.partitionIds(topic, false, abortSignal);
    const routes = routeRecords(list, ids, this.host.config.keyRouting, this.sticky++);
    const client = this.host.producerClient(topic);
    // Build every batch first: nothing is sent unless every event fits.
    const lanes = new Map<string, { options: Route['batch']; batches: EventDataBatch[] }>();
    try {
      for (let i = 0; i < list.length; i++) {
        const route = routes[i] as Route;
        let lane = lanes.get(route.lane);
        if (!lane) {
          lane = { options: route.batch, batches: [await client.createBatch({ ...route.batch, abortSignal })] };
          lanes.set(route.lane, lane);
        }
        const event = toEventData(list[i] as ProducerRecord, this.host.config.keyRouting);
        let batch = lane.batches[lane.batches.length - 1] as EventDataBatch;
        if (batch.tryAdd(event)) continue;
        if (batch.count === 0) throw tooLargeForBatch(i, recordBytes(list[i] as ProducerRecord), batch.maxSizeInBytes);
        batch = await client.createBatch({ ...lane.options, abortSignal });
        lane.batches.push(batch);
        if (!batch.tryAdd(event)) throw tooLargeForBatch(i, recordBytes(list[i] as ProducerRecord), batch.maxSizeInBytes);
      }
    } catch (e) {
      throw mapAmqpError(e, ctx);
    }
    const queue = [...lanes.values()];
    const worker = async () => {
      for (let lane = queue.shift(); lane; lane = queue.shift()) {
        for (const batch of lane.batches) await client.sendBatch(batch, { abortSignal });
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(SEND_CONCURRENCY, queue.length) }, worker));
    } catch (e) {
      throw mapAmqpError(e, ctx);
    }
    // Event Hubs does not return where events landed: the partition is known (explicit, or the key's hash), the
    // offset is not, so the position is empty.
    return routes.map((r) => ({ partition: r.partition, position: '' }));
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
