/**
 * What the runner drives: a small OMB-like driver SPI (create topic, producer, consumer). The speedlayer
 * driver goes through the stream contract; baseline drivers (in `baselines/`) use a vendor client directly so
 * `--overhead` can compare the two with identical settings. Vendor SDK types stay in each baseline module.
 *
 * @packageDocumentation
 */
import { connect, type StreamClient, type Subscription, ValidationError } from '@speedlayer/core';

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

/** The speedlayer stream contract as a bench driver. */
export class SpeedlayerDriver implements BenchDriver {
  readonly name = 'speedlayer';
  readonly target: string;

  constructor(readonly client: StreamClient) {
    this.target = client.target;
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

/** Connects a speedlayer driver to `uri`. */
export async function speedlayerDriver(uri: string): Promise<SpeedlayerDriver> {
  return new SpeedlayerDriver(await connect(uri));
}
