/**
 * Baseline for `pubsub://<project>[?emulatorHost=host:port]`: raw `@google-cloud/pubsub`, written as Google's
 * publisher guide recommends for throughput: one `publishMessage()` per message into the client library's own
 * batcher (raised to 1,000 messages / 9 MiB per request, 5 ms linger: the speedlayer adapter's values), and a
 * streaming-pull subscriber with flow control (1,000 outstanding messages), acking each message. Keyed messages
 * carry the key as ordering key and the subscription enables message ordering, as the speedlayer mapping does,
 * so both sides give the same per-key order. No dead-letter policy, no envelope. Google types stay in this module.
 *
 * @packageDocumentation
 */
import { type Message, PubSub, type Subscription, type Topic } from '@google-cloud/pubsub';
import { ConfigError, type ParsedUri } from '@speedlayer/core';
import type { BenchConsumer, BenchConsumerCallback, BenchDriver, BenchProducer } from '../driver.js';

/** gRPC "already exists". */
const ALREADY_EXISTS = 6;

class PubSubBaseline implements BenchDriver {
  readonly name = 'raw-google-cloud-pubsub';
  readonly target = 'gcp-pubsub-gke';
  private readonly subscriptions = new Map<string, Set<string>>();
  private readonly open = new Set<Subscription>();
  private readonly topics = new Set<Topic>();

  constructor(private readonly pubsub: PubSub) {}

  async createTopic(topic: string): Promise<void> {
    try {
      await this.pubsub.createTopic(topic);
    } catch (e) {
      if ((e as { code?: number }).code !== ALREADY_EXISTS) throw e;
    }
  }

  async createProducer(topic: string): Promise<BenchProducer> {
    const t = this.pubsub.topic(topic, {
      batching: { maxMessages: 1000, maxBytes: 9 * 1024 * 1024, maxMilliseconds: 5 },
      messageOrdering: true,
    });
    this.topics.add(t);
    return {
      send: async (key, value, headers) => {
        const data = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
        await t.publishMessage(
          key === undefined ? { data, attributes: headers } : { data, attributes: headers, orderingKey: key },
        );
      },
      close: async () => {
        await t.flush();
        this.topics.delete(t);
      },
    };
  }

  async createConsumer(topic: string, group: string, onMessage: BenchConsumerCallback): Promise<BenchConsumer> {
    const name = `${topic}-${group}`.slice(0, 255);
    try {
      await this.pubsub.topic(topic).createSubscription(name, { enableMessageOrdering: true, ackDeadlineSeconds: 60 });
    } catch (e) {
      if ((e as { code?: number }).code !== ALREADY_EXISTS) throw e;
    }
    const names = this.subscriptions.get(topic) ?? new Set<string>();
    names.add(name);
    this.subscriptions.set(topic, names);
    const sub = this.pubsub.subscription(name, {
      flowControl: { maxMessages: 1000, allowExcessMessages: false },
      batching: { maxMessages: 500, maxMilliseconds: 2 },
    });
    sub.on('message', (m: Message) => {
      onMessage(m.attributes, m.data.byteLength);
      m.ack();
    });
    sub.on('error', () => undefined);
    this.open.add(sub);
    return {
      close: async () => {
        this.open.delete(sub);
        sub.removeAllListeners('message');
        await sub.close();
      },
    };
  }

  async deleteTopic(topic: string): Promise<void> {
    for (const name of this.subscriptions.get(topic) ?? [])
      await this.pubsub
        .subscription(name)
        .delete()
        .catch(() => undefined);
    this.subscriptions.delete(topic);
    await this.pubsub.topic(topic).delete();
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.open].map((s) => s.close()));
    await Promise.allSettled([...this.topics].map((t) => t.flush()));
    await this.pubsub.close();
  }
}

/**
 * Opens raw Pub/Sub for `pubsub://<project>[?emulatorHost=host:port]` (the emulator also from
 * `PUBSUB_EMULATOR_HOST`; without one, Application Default Credentials).
 * @throws `ConfigError` (field `stream`) for a URI without a project id.
 */
export async function openPubSubBaseline(uri: ParsedUri): Promise<BenchDriver> {
  const projectId = decodeURIComponent(uri.location).replace(/\/+$/, '');
  if (!/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(projectId)) {
    throw new ConfigError(`stream: "${projectId}" is not a Google Cloud project id; expected pubsub://<project>`, {
      field: 'stream',
    });
  }
  const emulatorHost = (uri.params.get('emulatorHost') ?? process.env.PUBSUB_EMULATOR_HOST ?? '').replace(/^https?:\/\//, '');
  const pubsub = new PubSub({
    projectId,
    ...(emulatorHost ? { apiEndpoint: emulatorHost, emulatorMode: true, universeDomain: 'googleapis.com' } : {}),
  });
  return new PubSubBaseline(pubsub);
}
