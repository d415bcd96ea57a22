/**
 * What the runner drives: a small OMB-like driver SPI (create topic, producer, consumer). The speedlayer
 * driver goes through the stream contract; baseline drivers (in `baselines/`) use a vendor client directly so
 * `--overhead` can compare the two with identical settings. Vendor SDK types stay in each baseline module.
 *
 * @packageDocumentation
 */
import {
  connect,
  type Producer,
  type ProducerRecord,
  type StreamClient,
  type Subscription,
  ValidationError,
} from '@speedlayer/core';

/** Header carrying the send time (µs since the epoch, on this host's clock) for end-to-end latency. */
export const SENT_AT_HEADER = 'sl-bench-sent-us';

/** Microseconds since the epoch, with sub-millisecond resolution (monotonic within the process). */
export function nowUs(): number {
  return (performance.timeOrigin + performance.now()) * 1000;
}

/** A producer of one topic. */
export interface BenchProducer {
  /** Sends one message; resolves when the target acknowledged it. */
  send(key: string | undefined, value: Uint8Array, headers: Record<string, string>): Promise<void>;
  /** Releases the producer. */
  close(): Promise<void>;
}

/** Called for each received message with its headers and size. */
export type BenchConsumerCallback = (headers: Readonly<Record<string, string>>, bytes: number) => void;

/** A consumer (one member of a subscription). */
export interface BenchConsumer {
  /** Leaves the subscription. */
  close(): Promise<void>;
}

/** One way of talking to a target. */
export interface BenchDriver {
  /** `speedlayer`, or the baseline's name, e.g. `raw-lmdb`, `raw-kafkajs`. */
  readonly name: string;
  /** Target id (`local`, `memory`, `aws-msk-eks`, ...). */
  readonly target: string;
  /**
   * Creates a topic with `partitions` partitions.
   * @throws `ValidationError` (field `partitionsPerTopic`) when the target cannot hold that many.
   */
  createTopic(topic: string, partitions: number): Promise<void>;
  /** Creates a producer for `topic`. */
  createProducer(topic: string): Promise<BenchProducer>;
  /** Joins subscription `group` on `topic` as one member. */
  createConsumer(topic: string, group: string, onMessage: BenchConsumerCallback): Promise<BenchConsumer>;
  /** Deletes a topic (best effort). */
  deleteTopic(topic: string): Promise<void>;
  /** Closes everything. */
  close(): Promise<void>;
}

/**
 * How the speedlayer driver hands messages to the client: `single` calls `send()` once per message (what OMB and
 * most applications do; the portable client batches across calls), `batched` collects the messages of one
 * event-loop turn into hand-made arrays of up to `batchSize` records per `send()` call.
 */
export type SendMode = 'single' | 'batched';

/** Options of {@link speedlayerDriver}. */
export interface SpeedlayerDriverOptions {
  /** @default 'single' */
  sendMode?: SendMode;
  /** Records per hand-made batch in `batched` mode. @default 500 */
  batchSize?: number;
}

/** The speedlayer stream contract as a bench driver. */
export class SpeedlayerDriver implements BenchDriver {
  readonly name: string;
  readonly target: string;
  private readonly sendMode: SendMode;
  private readonly batchSize: number;

  constructor(
    readonly client: StreamClient,
    options: SpeedlayerDriverOptions = {},
  ) {
    this.target = client.target;
    this.sendMode = options.sendMode ?? 'single';
    this.batchSize = options.batchSize ?? 500;
    this.name = this.sendMode === 'single' ? 'speedlayer' : `speedlayer-batched-${this.batchSize}`;
  }

  async createTopic(topic: string, partitions: number): Promise<void> {
    let info: Awaited<ReturnType<StreamClient['admin']['ensureTopic']>>;
    try {
      info = await this.client.admin.ensureTopic(topic, { partitions });
    } catch (e) {
      const kind = (e as { kind?: string }).kind;
      if (kind === 'validation' || kind === 'config') {
        throw new ValidationError(
          `partitionsPerTopic: ${this.client.uri} (${this.target}) cannot create a topic with ${partitions} partitions: ${(e as Error).message}`,
          { field: 'partitionsPerTopic', target: this.target, cause: e },
        );
      }
      throw e;
    }
    if (info.partitions !== null && info.partitions < partitions) {
      throw new ValidationError(
        `partitionsPerTopic: ${this.client.uri} (${this.target}) holds ${info.partitions} partitions for ${topic}, the workload needs ${partitions}`,
        { field: 'partitionsPerTopic', target: this.target },
      );
    }
  }

  async createProducer(topic: string): Promise<BenchProducer> {
    const producer = this.client.producer();
    if (this.sendMode === 'batched') return handBatched(producer, topic, this.batchSize);
    return {
      send: async (key, value, headers) => {
        await producer.send(topic, key === undefined ? { value, headers } : { key, value, headers });
      },
      close: () => producer.close(),
    };
  }

  async createConsumer(topic: string, group: string, onMessage: BenchConsumerCallback): Promise<BenchConsumer> {
    const sub: Subscription = await this.client.subscribe({ topic, group, startFrom: 'earliest' }, (m) => {
      onMessage(m.headers, m.value.byteLength);
    });
    return { close: () => sub.close() };
  }

  async deleteTopic(topic: string): Promise<void> {
    await this.client.admin.deleteTopic(topic);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/** An application's hand-made batching: the messages of one event-loop turn go out as arrays of `size` records. */
function handBatched(producer: Producer, topic: string, size: number): BenchProducer {
  let pending: Array<{ record: ProducerRecord; resolve: () => void; reject: (e: unknown) => void }> = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const all = pending;
    pending = [];
    for (let i = 0; i < all.length; i += size) {
      const chunk = all.slice(i, i + size);
      producer
        .send(
          topic,
          chunk.map((p) => p.record),
        )
        .then(
          () => {
            for (const p of chunk) p.resolve();
          },
          (e: unknown) => {
            for (const p of chunk) p.reject(e);
          },
        );
    }
  };
  return {
    send: (key, value, headers) =>
      new Promise<void>((resolve, reject) => {
        pending.push({ record: key === undefined ? { value, headers } : { key, value, headers }, resolve, reject });
        if (pending.length >= size) flush();
        else if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      }),
    close: async () => {
      if (pending.length > 0) flush();
      await producer.close();
    },
  };
}

/** Connects a speedlayer driver to `uri`. */
export async function speedlayerDriver(uri: string, options: SpeedlayerDriverOptions = {}): Promise<SpeedlayerDriver> {
  return new SpeedlayerDriver(await connect(uri), options);
}
