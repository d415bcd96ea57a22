/**
 * The `kinesis://<region>` stream client: admin, producer and consumer-group members over
 * `@aws-sdk/client-kinesis` and DynamoDB lease tables.
 *
 * @packageDocumentation
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  IncreaseStreamRetentionPeriodCommand,
  KinesisClient,
  type KinesisClientConfig,
  ListStreamsCommand,
  UpdateShardCountCommand,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import {
  ClosedError,
  ConfigError,
  type ConnectOptions,
  type DriverProducer,
  type EnsureTopicOptions,
  type Logger,
  type MessageHandler,
  type ParsedUri,
  type PartitionLag,
  type StreamAdmin,
  type StreamCapabilities,
  type StreamDriver,
  type StreamFactory,
  type SubscribeOptions,
  type Subscription,
  silentLogger,
  type TopicInfo,
  ValidationError,
  validatePositiveInt,
  validateTopicName,
} from '@speedlayer/core';
import { KINESIS_FLAGS } from '../target.js';
import { type KinesisConfig, resolveKinesisConfig } from './config.js';
import { awsErrorName, classifyAwsError, TARGET } from './errors.js';
import { kinesisLag } from './lag.js';
import { LeaseTable, leaseTableName } from './leases.js';
import { KinesisProducer } from './producer.js';
import { listShards, openShards, streamSummary, waitForActive } from './shards.js';
import { KinesisSubscription } from './subscription.js';

/** What the Kinesis target can do: its descriptor's flags (`KINESIS_FLAGS`) and the configured record size. */
export function kinesisCapabilities(config: KinesisConfig): StreamCapabilities {
  return { ...KINESIS_FLAGS, maxMessageBytes: config.maxRecordBytes };
}

/** A Smithy request handler (the HTTP layer of an AWS SDK client). */
export type RequestHandlerLike = NonNullable<KinesisClientConfig['requestHandler']>;

/** Programmatic extras of {@link createKinesisStreamClient}, not expressible as config data. */
export interface KinesisClientExtras {
  /** HTTP handler of the Kinesis client, e.g. a fault-injecting wrapper in tests. @default a NodeHttpHandler (HTTP/1.1) */
  kinesisRequestHandler?: RequestHandlerLike;
  /** HTTP handler of the DynamoDB client. @default the SDK's */
  dynamodbRequestHandler?: RequestHandlerLike;
}

/** The Kinesis stream client. */
export class KinesisStreamClient implements StreamDriver {
  readonly target = TARGET;
  readonly capabilities: StreamCapabilities;
  readonly admin: StreamAdmin;
  private closed = false;
  private readonly producers = new Set<KinesisProducer>();
  private readonly subscriptions = new Set<KinesisSubscription>();

  constructor(
    readonly uri: string,
    readonly region: string,
    readonly config: KinesisConfig,
    readonly kinesis: KinesisClient,
    readonly dynamodb: DynamoDBClient,
    readonly logger: Logger,
  ) {
    this.capabilities = kinesisCapabilities(config);
    this.admin = new KinesisAdmin(this);
  }

  /** Throws `ClosedError` after `close()` (the portable client checks before each call; this is for a close while a call waits). */
  check(what = 'stream client'): void {
    if (this.closed) throw new ClosedError(what, { target: TARGET });
  }

  producer(): DriverProducer {
    const p = new KinesisProducer(this, () => this.producers.delete(p));
    this.producers.add(p);
    return p;
  }

  /** The lease table a group uses on `topic`. */
  leaseTableFor(topic: string, group: string): string {
    return this.config.leaseTableName ?? leaseTableName(this.config.leaseTablePrefix, topic, group);
  }

  /** Joins the group. Options and handler were validated by the portable client (zod); a blank group is refused here. */
  async subscribe(options: SubscribeOptions, handler: MessageHandler): Promise<Subscription> {
    if (options.group.trim() === '') throw new ConfigError('group must not be blank', { field: 'group', target: TARGET });
    await waitForActive(this.kinesis, options.topic, this.config.streamWaitMs);
    const table = new LeaseTable(this.dynamodb, this.leaseTableFor(options.topic, options.group));
    await table.ensure(this.config.createLeaseTable, this.config.streamWaitMs);
    this.check();
    const sub = new KinesisSubscription(this, table, options, handler, () => this.subscriptions.delete(sub));
    this.subscriptions.add(sub);
    try {
      await sub.start();
    } catch (e) {
      await sub.close();
      throw e;
    }
    return sub;
  }

  /** For `client.as()`: the AWS SDK `KinesisClient`. */
  native(): unknown {
    return this.kinesis;
  }

  /** Lag of `group` on `topic`: its lease table's checkpoints against each shard's end. */
  lag(topic: string, group: string): Promise<PartitionLag[]> {
    return kinesisLag(this.kinesis, this.dynamodb, topic, this.leaseTableFor(topic, group));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    await Promise.all([...this.producers].map((p) => p.close()));
    this.kinesis.destroy();
    this.dynamodb.destroy();
  }
}

const MAX_SHARDS = 10_000;

class KinesisAdmin implements StreamAdmin {
  constructor(private readonly client: KinesisStreamClient) {}

  private async info(topic: string): Promise<TopicInfo> {
    const summary = await streamSummary(this.client.kinesis, topic);
    const shards = await listShards(this.client.kinesis, topic);
    const open = openShards(shards);
    return {
      name: topic,
      partitions: open.length,
      ...(summary.retentionHours !== undefined ? { retentionHours: summary.retentionHours } : {}),
      details: {
        status: summary.status,
        arn: summary.arn,
        mode: summary.mode,
        openShards: open.map((s) => s.shardId),
        closedShards: shards.filter((s) => s.endingSequenceNumber !== undefined).map((s) => s.shardId),
      },
    };
  }

  async ensureTopic(topic: string, options: EnsureTopicOptions = {}): Promise<TopicInfo> {
    validateTopicName(topic);
    if (topic.length > 128)
      throw new ValidationError('topic: a Kinesis stream name has at most 128 characters', { field: 'topic', target: TARGET });
    const shards = validatePositiveInt(options.partitions ?? 1, 'partitions', MAX_SHARDS);
    const retention = options.retentionHours;
    if (retention !== undefined) validatePositiveInt(retention, 'retentionHours', 8760);
    if (retention !== undefined && retention < 24) {
      throw new ValidationError('retentionHours: Kinesis keeps records for 24 to 8760 hours', {
        field: 'retentionHours',
        target: TARGET,
      });
    }
    const { kinesis, config } = this.client;
    let created = false;
    try {
      await kinesis.send(
        new CreateStreamCommand({ StreamName: topic, ShardCount: shards, StreamModeDetails: { StreamMode: 'PROVISIONED' } }),
      );
      created = true;
    } catch (e) {
      if (awsErrorName(e) !== 'ResourceInUseException') throw classifyAwsError(e, `CreateStream "${topic}"`);
    }
    await waitForActive(kinesis, topic, config.streamWaitMs);
    if (created && retention !== undefined && retention > 24) {
      try {
        await kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: topic, RetentionPeriodHours: retention }));
      } catch (e) {
        throw classifyAwsError(e, `IncreaseStreamRetentionPeriod of "${topic}"`);
      }
      await waitForActive(kinesis, topic, config.streamWaitMs);
    }
    return this.info(topic);
  }

  async describeTopic(topic: string): Promise<TopicInfo> {
    validateTopicName(topic);
    return this.info(topic);
  }

  /** UpdateShardCount (UNIFORM_SCALING) in steps of at most 2x, waiting for ACTIVE after each. */
  async growPartitions(topic: string, partitions: number): Promise<TopicInfo> {
    validateTopicName(topic);
    validatePositiveInt(partitions, 'partitions', MAX_SHARDS);
    const { kinesis, config } = this.client;
    for (;;) {
      await waitForActive(kinesis, topic, config.streamWaitMs);
      const current = openShards(await listShards(kinesis, topic)).length;
      if (current >= partitions) break;
      const next = Math.min(partitions, current * 2);
      try {
        await kinesis.send(
          new UpdateShardCountCommand({ StreamName: topic, TargetShardCount: next, ScalingType: 'UNIFORM_SCALING' }),
        );
      } catch (e) {
        throw classifyAwsError(e, `UpdateShardCount of "${topic}" to ${next}`);
      }
    }
    return this.info(topic);
  }

  async deleteTopic(topic: string): Promise<void> {
    validateTopicName(topic);
    try {
      await this.client.kinesis.send(new DeleteStreamCommand({ StreamName: topic, EnforceConsumerDeletion: true }));
    } catch (e) {
      if (awsErrorName(e) === 'ResourceNotFoundException') return;
      throw classifyAwsError(e, `DeleteStream "${topic}"`);
    }
  }

  async listTopics(): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    let after: string | undefined;
    for (;;) {
      try {
        const res = await this.client.kinesis.send(
          new ListStreamsCommand({
            ...(token ? { NextToken: token } : after ? { ExclusiveStartStreamName: after } : {}),
            Limit: 1000,
          }),
        );
        const names = res.StreamNames ?? [];
        out.push(...names);
        if (!res.HasMoreStreams || names.length === 0) break;
        token = res.NextToken;
        after = names[names.length - 1];
      } catch (e) {
        throw classifyAwsError(e, 'ListStreams');
      }
    }
    return out;
  }
}

/**
 * Creates the driver for `kinesis://<region>[?endpoint=...]`. Credentials come from the AWS SDK's default chain.
 * Applications use `connect()`, which wraps it in the portable client (validation, batching, lifecycle).
 * @throws `ConfigError` for a bad URI or config.
 */
export async function createKinesisStreamClient(
  uri: ParsedUri,
  options: ConnectOptions = {},
  extras: KinesisClientExtras = {},
): Promise<KinesisStreamClient> {
  const { region, config } = resolveKinesisConfig(uri, options.config);
  // Kinesis' SDK client defaults to HTTP/2; local peers (moto, kinesalite) speak HTTP/1.1 only, and so does
  // every other AWS SDK client here, so HTTP/1.1 is used everywhere.
  // A request that gets no answer must not hang a member forever: time out and retry instead.
  const http = () => new NodeHttpHandler({ connectionTimeout: 10_000, requestTimeout: config.requestTimeoutMs });
  const kinesis = new KinesisClient({
    region,
    requestHandler: extras.kinesisRequestHandler ?? http(),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
  });
  const ddbEndpoint = config.dynamodbEndpoint ?? config.endpoint;
  const dynamodb = new DynamoDBClient({
    region,
    requestHandler: extras.dynamodbRequestHandler ?? http(),
    ...(ddbEndpoint ? { endpoint: ddbEndpoint } : {}),
  });
  return new KinesisStreamClient(uri.raw, region, config, kinesis, dynamodb, options.logger ?? silentLogger);
}

/** The factory `connect()` loads for `kinesis://`. */
export const streamFactory: StreamFactory = (uri, options) => createKinesisStreamClient(uri, options);
