/**
 * Baseline for `kinesis://<region>[?endpoint=...]`: raw `@aws-sdk/client-kinesis`, written as AWS's developer
 * guide recommends for throughput: PutRecords with up to 500 records / 5 MiB per request, failed records
 * (`FailedRecordCount`) retried with backoff, several requests in flight; consumers poll GetRecords per shard
 * (1,000 records a call, 200 ms between empty polls: the speedlayer adapter's defaults, within AWS's 5 calls per
 * second per shard). No lease table, no checkpoints, no envelope: the send time travels in an 8-byte prefix of the
 * data blob. Members of one group split shards by index. AWS SDK types stay in this module.
 *
 * Credentials: the SDK's default chain; against a loopback endpoint (the moto peer) with no credentials in the
 * environment, fixed test credentials are used, as moto accepts any.
 *
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
  type PutRecordsRequestEntry,
  ResourceInUseException,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { ConfigError, type ParsedUri, sleep, TimeoutError } from '@speedlayer/core';
import {
  type BenchConsumer,
  type BenchConsumerCallback,
  type BenchDriver,
  type BenchProducer,
  SENT_AT_HEADER,
} from '../driver.js';
import { RecordBatcher } from './batch.js';
import { isLoopbackUrl, StaticSplit } from './common.js';

const MiB = 1024 * 1024;
const POLL_MS = 200;
const GET_LIMIT = 1000;

/** Data blob of the baseline: the send time (µs, float64 big-endian) then the payload. */
export function frameRecord(sentAtUs: number, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + value.byteLength);
  new DataView(out.buffer).setFloat64(0, sentAtUs);
  out.set(value, 8);
  return out;
}

/** Reads {@link frameRecord}'s frame: the send time and the payload size. */
export function unframeRecord(data: Uint8Array): { sentAtUs: number; bytes: number } | undefined {
  if (data.byteLength < 8) return undefined;
  return { sentAtUs: new DataView(data.buffer, data.byteOffset, 8).getFloat64(0), bytes: data.byteLength - 8 };
}

class KinesisBaseline implements BenchDriver {
  readonly name = 'raw-aws-sdk-kinesis';
  readonly target = 'aws-kinesis-ecs';
  private readonly split = new StaticSplit();
  private readonly consumers = new Set<BenchConsumer>();

  constructor(private readonly kinesis: KinesisClient) {}

  async createTopic(topic: string, partitions: number): Promise<void> {
    try {
      await this.kinesis.send(new CreateStreamCommand({ StreamName: topic, ShardCount: partitions }));
    } catch (e) {
      if (!(e instanceof ResourceInUseException)) throw e;
    }
    const until = Date.now() + 60_000;
    for (;;) {
      const d = await this.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: topic }));
      if (d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
      if (Date.now() > until) throw new TimeoutError(`stream ${topic} did not become ACTIVE within 60 s`);
      await sleep(100);
    }
  }

  async createProducer(topic: string): Promise<BenchProducer> {
    const batcher = new RecordBatcher<PutRecordsRequestEntry>(
      (entries) => this.putAll(topic, entries),
      { maxRecords: 500, maxBytes: 5 * MiB, maxInFlight: 4 },
      (e) => (e.Data?.byteLength ?? 0) + (e.PartitionKey?.length ?? 0),
    );
    return {
      send: (key, value, headers) => {
        const at = Number(headers[SENT_AT_HEADER] ?? 0);
        return batcher.add({ PartitionKey: key ?? randomBytes(8).toString('hex'), Data: frameRecord(at, value) });
      },
      close: () => batcher.flush(),
    };
  }

  /** PutRecords, retrying the records that failed (throttled) until all are in or 120 s passed. */
  private async putAll(topic: string, entries: PutRecordsRequestEntry[]): Promise<void> {
    let pending = entries;
    let backoff = 100;
    const until = Date.now() + 120_000;
    for (;;) {
      const out = await this.kinesis.send(new PutRecordsCommand({ StreamName: topic, Records: pending }));
      if (!out.FailedRecordCount) return;
      const results = out.Records ?? [];
      pending = pending.filter((_, i) => results[i]?.ErrorCode !== undefined);
      if (Date.now() > until) throw new TimeoutError(`${pending.length} records still failing after 120 s`);
      await sleep(backoff + Math.random() * backoff);
      backoff = Math.min(backoff * 2, 2000);
    }
  }

  async createConsumer(topic: string, group: string, onMessage: BenchConsumerCallback): Promise<BenchConsumer> {
    const member = this.split.join(`${topic}/${group}`);
    const shards = (await this.kinesis.send(new ListShardsCommand({ StreamName: topic }))).Shards ?? [];
    let stopped = false;
    const loops = shards.map(async (shard, index) => {
      let iterator: string | undefined;
      while (!stopped) {
        if (!member.owns(index)) {
          await sleep(POLL_MS);
          continue;
        }
        iterator ??= (
          await this.kinesis.send(
            new GetShardIteratorCommand({ StreamName: topic, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
          )
        ).ShardIterator;
        if (!iterator) return;
        const out = await this.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: GET_LIMIT }));
        iterator = out.NextShardIterator;
        const records = out.Records ?? [];
        for (const r of records) {
          const f = r.Data ? unframeRecord(r.Data) : undefined;
          if (f) onMessage({ [SENT_AT_HEADER]: String(f.sentAtUs) }, f.bytes);
        }
        if (records.length === 0) await sleep(POLL_MS);
      }
    });
    const consumer: BenchConsumer = {
      close: async () => {
        stopped = true;
        member.leave();
        await Promise.allSettled(loops);
        this.consumers.delete(consumer);
      },
    };
    this.consumers.add(consumer);
    return consumer;
  }

  async deleteTopic(topic: string): Promise<void> {
    await this.kinesis.send(new DeleteStreamCommand({ StreamName: topic, EnforceConsumerDeletion: true }));
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.close()));
    this.kinesis.destroy();
  }
}

/**
 * Opens raw Kinesis for `kinesis://<region>[?endpoint=...]`.
 * @throws `ConfigError` (field `stream`) for a URI without a region.
 */
export async function openKinesisBaseline(uri: ParsedUri): Promise<BenchDriver> {
  const region = decodeURIComponent(uri.location).replace(/\/+$/, '');
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
    throw new ConfigError(`stream: "${region}" is not an AWS region; expected kinesis://<region>`, { field: 'stream' });
  }
  const endpoint = uri.params.get('endpoint') ?? undefined;
  const needsTestCredentials =
    endpoint !== undefined && isLoopbackUrl(endpoint) && !process.env.AWS_ACCESS_KEY_ID && !process.env.AWS_PROFILE;
  const kinesis = new KinesisClient({
    region,
    // Kinesis' client defaults to HTTP/2; local peers speak HTTP/1.1 (as the speedlayer adapter does everywhere).
    requestHandler: new NodeHttpHandler({ connectionTimeout: 10_000, requestTimeout: 30_000 }),
    ...(endpoint ? { endpoint } : {}),
    ...(needsTestCredentials ? { credentials: { accessKeyId: 'test', secretAccessKey: 'test' } } : {}),
  });
  return new KinesisBaseline(kinesis);
}
