/**
 * The `eventhubs://<namespace>` stream client over AMQP 1.0 (`@azure/event-hubs`): admin (ARM-shaped management
 * for create/delete/list, AMQP for describe), producers and consumer-group members with blob checkpoints
 * (`@azure/eventhubs-checkpointstore-blob`).
 *
 * @packageDocumentation
 */
import { createHmac } from 'node:crypto';
import {
  type EventHubClientOptions,
  EventHubConsumerClient,
  EventHubProducerClient,
  parseEventHubConnectionString,
  type TokenCredential,
} from '@azure/event-hubs';

import { BlobCheckpointStore } from '@azure/eventhubs-checkpointstore-blob';
import type { ContainerClient } from '@azure/storage-blob';
import {
  ClosedError,
  ConfigError,
  type ConnectOptions,
  type EnsureTopicOptions,
  type Logger,
  type MessageHandler,
  NotFoundError,
  type ParsedUri,
  type PartitionLag,
  type Producer,
  readSecretRef,
  type StreamAdmin,
  type StreamCapabilities,
  type StreamDriver,
  type SubscribeOptions,
  type Subscription,
  silentLogger,
  sleep,
  type TopicInfo,
  UnsupportedError,
  ValidationError,
  validatePositiveInt,
  validateTopicName,
} from '@speedlayer/core';
import { EVENTHUBS_AMQP_FLAGS } from '../target.js';
import {
  type EventHubsAmqpConfig,
  HUB_TIER_LIMITS,
  type NamespaceAddress,
  parseNamespace,
  resolveEventHubsAmqpConfig,
  TARGET,
} from './config.js';
import { mapAmqpError, mapStorageError } from './errors.js';
import { ARM_SCOPE, ManagementClient } from './management.js';
import { EventHubsProducer } from './producer.js';
import { guardLinkAddress } from './sdk-guard.js';
import { EventHubsSubscription } from './subscription.js';

/** What the `eventhubs://` transport can do: the descriptor's flags (`EVENTHUBS_AMQP_FLAGS`) and the tier's. */
export function eventHubsAmqpCapabilities(config: EventHubsAmqpConfig): StreamCapabilities {
  const tier = HUB_TIER_LIMITS[config.tier];
  return { ...EVENTHUBS_AMQP_FLAGS, partitionGrowth: tier.partitionGrowth, maxMessageBytes: tier.maxPublicationBytes };
}

/** How the client authenticates to the namespace: a connection string (in memory only) or a token credential. */
type Auth =
  | { kind: 'connectionString'; value: string; entityPath: string | undefined }
  | { kind: 'credential'; credential: TokenCredential };

const TOPIC_MAX = 256;
const PARTITION_IDS_TTL_MS = 30_000;

/** The Event Hubs (AMQP) stream client. */
export class EventHubsAmqpClient implements StreamDriver {
  readonly target = TARGET;
  readonly capabilities: StreamCapabilities;
  readonly admin: StreamAdmin;
  private closed = false;
  private readonly producers = new Set<EventHubsProducer>();
  private readonly subscriptions = new Set<EventHubsSubscription>();
  private readonly producerClients = new Map<string, EventHubProducerClient>();
  private readonly partitionIdCache = new Map<string, { ids: string[]; at: number }>();
  private readonly checkedGroups = new Set<string>();
  private containerChecked = false;

  constructor(
    readonly uri: string,
    readonly config: EventHubsAmqpConfig,
    readonly fullyQualifiedNamespace: string,
    private readonly auth: Auth,
    readonly management: ManagementClient | undefined,
    private readonly container: ContainerClient | undefined,
    readonly logger: Logger,
  ) {
    this.capabilities = eventHubsAmqpCapabilities(config);
    this.admin = new EventHubsAdmin(this);
  }

  /** Throws `ClosedError` after `close()`. */
  check(what = 'stream client'): void {
    if (this.closed) throw new ClosedError(what, { target: TARGET });
  }

  /** SDK client options. */
  private clientOptions(): EventHubClientOptions {
    return {
      retryOptions: {
        maxRetries: this.config.retries,
        timeoutInMs: this.config.operationTimeoutMs,
        retryDelayInMs: 300,
        maxRetryDelayInMs: 5000,
      },
    };
  }

  /** The (cached) SDK producer of one event hub. */
  producerClient(topic: string): EventHubProducerClient {
    let p = this.producerClients.get(topic);
    if (!p) {
      this.checkScope(topic);
      p =
        this.auth.kind === 'connectionString'
          ? new EventHubProducerClient(this.auth.value, topic, this.clientOptions())
          : new EventHubProducerClient(this.fullyQualifiedNamespace, topic, this.auth.credential, this.clientOptions());
      this.producerClients.set(topic, p);
    }
    return p;
  }

  /**
   * A connection string with `EntityPath` is scoped to one event hub.
   * @throws `ValidationError` (field `topic`) for another hub.
   */
  checkScope(topic: string): void {
    if (this.auth.kind === 'connectionString' && this.auth.entityPath && this.auth.entityPath !== topic) {
      throw new ValidationError(
        `topic ${topic}: the connection string is scoped to event hub ${this.auth.entityPath} (EntityPath); use a namespace-level connection string`,
        { field: 'topic', target: TARGET },
      );
    }
  }

  /** Forgets the cached producer and partition ids of a hub (after it was deleted). */
  async dropProducerClient(topic: string): Promise<void> {
    const p = this.producerClients.get(topic);
    this.producerClients.delete(topic);
    this.partitionIdCache.delete(topic);
    await p?.close().catch(() => {});
  }

  /**
   * Partition ids of a hub, in index order (cached briefly).
   * @throws `NotFoundError` when the hub does not exist.
   */
  async partitionIds(topic: string, fresh = false, abortSignal?: AbortSignal): Promise<string[]> {
    const cached = this.partitionIdCache.get(topic);
    if (!fresh && cached && Date.now() - cached.at < PARTITION_IDS_TTL_MS) return cached.ids;
    try {
      // an aborted request also clears the SDK's own request timer (which can throw out of a timer after a link
      // was torn down: Azure/azure-sdk-for-js#20569)
      const props = await this.producerClient(topic).getEventHubProperties(abortSignal ? { abortSignal } : {});
      const ids = [...props.partitionIds].sort((a, b) => Number(a) - Number(b));
      this.partitionIdCache.set(topic, { ids, at: Date.now() });
      return ids;
    } catch (e) {
      const err = mapAmqpError(e, { op: `describe event hub ${topic}`, namespace: this.fullyQualifiedNamespace, topic });
      if (err.kind === 'not-found') await this.dropProducerClient(topic);
      throw err;
    }
  }

  producer(): Producer {
    this.check();
    const p: EventHubsProducer = new EventHubsProducer(this, () => this.producers.delete(p));
    this.producers.add(p);
    return p;
  }

  /** Checks (or creates) the checkpoint container once. */
  private async checkpointContainer(): Promise<ContainerClient> {
    const container = this.container;
    if (!container) {
      throw new ConfigError(
        'checkpointStore: subscribing needs a blob checkpoint store (checkpointStore.container with connectionString or accountUrl)',
        { field: 'checkpointStore', target: TARGET },
      );
    }
    if (this.containerChecked) return container;
    const name = this.config.checkpointStore?.container ?? '';
    try {
      if (this.config.checkpointStore?.createContainer) await container.createIfNotExists();
      else if (!(await container.exists())) {
        throw new NotFoundError(
          `checkpointStore.container: blob container "${name}" does not exist; create it or set checkpointStore.createContainer`,
          { field: 'checkpointStore.container', target: TARGET },
        );
      }
    } catch (e) {
      throw mapStorageError(e, 'open the checkpoint store', name);
    }
    this.containerChecked = true;
    return container;
  }

  /** Makes sure the consumer group exists (creating it through management when allowed). */
  private async ensureGroup(topic: string, group: string): Promise<void> {
    if (group.toLowerCase() === '$default' || this.checkedGroups.has(`${topic}/${group}`)) return;
    const m = this.management;
    if (m && this.config.management?.createConsumerGroups) {
      if (!(await m.hasConsumerGroup(topic, group))) await m.putConsumerGroup(topic, group);
    }
    this.checkedGroups.add(`${topic}/${group}`);
  }

  async subscribe(options: SubscribeOptions, handler: MessageHandler): Promise<Subscription> {
    this.check();
    validateTopicName(options.topic);
    if (typeof options.group !== 'string' || !/^[A-Za-z0-9$][A-Za-z0-9._$-]{0,49}$/.test(options.group)) {
      throw new ValidationError('group must be a consumer group name: 1-50 of letters, digits, ".", "_", "-" (or $Default)', {
        field: 'group',
        target: TARGET,
      });
    }
    if (typeof handler !== 'function')
      throw new ValidationError('handler must be a function', { field: 'handler', target: TARGET });
    const start = options.startFrom;
    if (typeof start === 'object' && (typeof start?.timestamp !== 'number' || !Number.isFinite(start.timestamp))) {
      throw new ValidationError('startFrom.timestamp must be epoch milliseconds', { field: 'startFrom', target: TARGET });
    }
    this.checkScope(options.topic);
    const container = await this.checkpointContainer();
    const ids = await this.partitionIds(options.topic, true); // NotFoundError for a missing hub
    await this.ensureGroup(options.topic, options.group);
    this.check();
    const checkpointStore = new BlobCheckpointStore(container);
    if (options.startFrom === 'latest') await this.pinLatest(checkpointStore, options.topic, options.group, ids);
    const expiration = options.sessionTimeoutMs ?? this.config.ownershipExpirationMs;
    const consumerOptions = {
      ...this.clientOptions(),
      loadBalancingOptions: {
        strategy: this.config.loadBalancing,
        updateIntervalInMs: Math.min(this.config.updateIntervalMs, Math.max(50, Math.floor(expiration / 3))),
        partitionOwnershipExpirationIntervalInMs: expiration,
      },
    };
    const consumer =
      this.auth.kind === 'connectionString'
        ? new EventHubConsumerClient(options.group, this.auth.value, options.topic, checkpointStore, consumerOptions)
        : new EventHubConsumerClient(
            options.group,
            this.fullyQualifiedNamespace,
            options.topic,
            this.auth.credential,
            checkpointStore,
            consumerOptions,
          );
    const sub: EventHubsSubscription = new EventHubsSubscription(
      this,
      consumer,
      options,
      handler,
      () => this.subscriptions.delete(sub),
      { store: checkpointStore, expirationMs: expiration, partitions: ids.length },
    );
    this.subscriptions.add(sub);
    await sub.start();
    return sub;
  }

  /**
   * `latest` is pinned once: partitions of the group without a checkpoint get one at their last enqueued event (or
   * before the first, when empty), so the member that claims a partition first, and any member that takes it over
   * later, start at the same place, never at their own "latest".
   */
  private async pinLatest(store: BlobCheckpointStore, topic: string, group: string, ids: string[]): Promise<void> {
    // the namespace as the SDK names it in the blob layout (host only, no port)
    const producer = this.producerClient(topic);
    const fullyQualifiedNamespace = producer.fullyQualifiedNamespace;
    try {
      const existing = new Set((await store.listCheckpoints(fullyQualifiedNamespace, topic, group)).map((c) => c.partitionId));
      for (const partitionId of ids) {
        if (existing.has(partitionId)) continue;
        const p = await producer.getPartitionProperties(partitionId);
        await store.updateCheckpoint({
          fullyQualifiedNamespace,
          eventHubName: topic,
          consumerGroup: group,
          partitionId,
          sequenceNumber: p.isEmpty ? -1 : p.lastEnqueuedSequenceNumber,
          offset: p.isEmpty ? '-1' : p.lastEnqueuedOffset,
        });
      }
    } catch (e) {
      const ctx = { op: `pin the latest position of ${topic}`, namespace: fullyQualifiedNamespace, topic, group };
      throw (e as { name?: string }).name === 'RestError'
        ? mapStorageError(e, ctx.op, this.config.checkpointStore?.container ?? '')
        : mapAmqpError(e, ctx);
    }
  }

  /**
   * Lag of `group` on the event hub `topic`: each partition's last enqueued sequence number against the group's
   * blob checkpoint (the layout KEDA's scaler reads); a partition without a checkpoint counts from its beginning.
   */
  async lag(topic: string, group: string): Promise<PartitionLag[]> {
    this.check();
    const ids = await this.partitionIds(topic, true); // NotFoundError for a missing hub
    const container = await this.checkpointContainer();
    const store = new BlobCheckpointStore(container);
    const producer = this.producerClient(topic);
    const fullyQualifiedNamespace = producer.fullyQualifiedNamespace;
    try {
      const checkpoints = new Map(
        (await store.listCheckpoints(fullyQualifiedNamespace, topic, group)).map((c) => [c.partitionId, c.sequenceNumber]),
      );
      return await Promise.all(
        ids.map(async (id) => {
          const p = await producer.getPartitionProperties(id);
          const done = checkpoints.get(id);
          const last = p.lastEnqueuedSequenceNumber;
          const lag = p.isEmpty ? 0 : Math.max(0, last - (done ?? p.beginningSequenceNumber - 1));
          return {
            partition: Number(id),
            lag,
            endPosition: String(last + 1),
            committedPosition: done === undefined ? null : String(done + 1),
          };
        }),
      );
    } catch (e) {
      const ctx = { op: `read the lag of group ${group}`, namespace: fullyQualifiedNamespace, topic, group };
      throw (e as { name?: string }).name === 'RestError'
        ? mapStorageError(e, ctx.op, this.config.checkpointStore?.container ?? '')
        : mapAmqpError(e, ctx);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    await Promise.all([...this.producers].map((p) => p.close()));
    await Promise.all([...this.producerClients.values()].map((p) => p.close().catch(() => {})));
    this.producerClients.clear();
  }
}

/** Administration: ARM-shaped management for create/grow/delete/list, AMQP for describe. */
class EventHubsAdmin implements StreamAdmin {
  constructor(private readonly client: EventHubsAmqpClient) {}

  private management(op: string): ManagementClient {
    const m = this.client.management;
    if (!m) {
      throw new UnsupportedError(
        `${op} is a management-plane (ARM) operation: configure management (subscriptionId, resourceGroup, endpoint)`,
        { field: 'management', target: TARGET },
      );
    }
    return m;
  }

  private validateName(topic: string): void {
    validateTopicName(topic);
    if (topic.length > TOPIC_MAX || !/^[A-Za-z0-9].*[A-Za-z0-9]$|^[A-Za-z0-9]$/.test(topic)) {
      throw new ValidationError(
        `topic "${topic}": an event hub name has 1-${TOPIC_MAX} characters and starts and ends with a letter or digit`,
        {
          field: 'topic',
          target: TARGET,
        },
      );
    }
  }

  private async info(topic: string): Promise<TopicInfo> {
    const c = this.client;
    const ids = await c.partitionIds(topic, true);
    const producer = c.producerClient(topic);
    const ctx = { op: `describe event hub ${topic}`, namespace: c.fullyQualifiedNamespace, topic };
    let props: Awaited<ReturnType<typeof producer.getEventHubProperties>>;
    let partitions: Array<Awaited<ReturnType<typeof producer.getPartitionProperties>>>;
    try {
      props = await producer.getEventHubProperties();
      partitions = await Promise.all(ids.map((id) => producer.getPartitionProperties(id)));
    } catch (e) {
      throw mapAmqpError(e, ctx);
    }
    const hub = c.management ? await c.management.getHub(topic).catch(() => undefined) : undefined;
    return {
      name: topic,
      partitions: ids.length,
      ...(hub?.retentionHours !== undefined ? { retentionHours: hub.retentionHours } : {}),
      details: {
        createdOn: props.createdOn.toISOString(),
        partitionIds: ids,
        ...(hub?.status ? { status: hub.status } : {}),
        partitionProperties: partitions.map((p) => ({
          id: p.partitionId,
          beginningSequenceNumber: p.beginningSequenceNumber,
          lastEnqueuedSequenceNumber: p.lastEnqueuedSequenceNumber,
          lastEnqueuedOffset: p.lastEnqueuedOffset,
          lastEnqueuedOn: p.lastEnqueuedOnUtc?.toISOString(),
          isEmpty: p.isEmpty,
        })),
      },
    };
  }

  /** Waits until the AMQP side sees a hub the management plane created. */
  private async waitVisible(topic: string, partitions?: number): Promise<TopicInfo> {
    const deadline = Date.now() + 120_000;
    for (let attempt = 1; ; attempt++) {
      try {
        const info = await this.info(topic);
        if (partitions === undefined || (info.partitions ?? 0) >= partitions || Date.now() > deadline) return info;
      } catch (e) {
        if ((e as { kind?: string }).kind !== 'not-found' || Date.now() > deadline) throw e;
      }
      await sleep(Math.min(2000, 100 * attempt));
    }
  }

  async ensureTopic(topic: string, options: EnsureTopicOptions = {}): Promise<TopicInfo> {
    this.client.check();
    this.validateName(topic);
    const tier = this.client.config.tier;
    const limits = HUB_TIER_LIMITS[tier];
    const partitions = validatePositiveInt(options.partitions ?? 1, 'partitions', limits.maxPartitions);
    if (options.retentionHours !== undefined) validatePositiveInt(options.retentionHours, 'retentionHours', 90 * 24);
    const m = this.client.management;
    if (!m) {
      try {
        return await this.info(topic);
      } catch (e) {
        if ((e as { kind?: string }).kind !== 'not-found') throw e;
        this.management(`create event hub ${topic}`);
      }
    }
    const mgmt = this.management(`create event hub ${topic}`);
    const existing = await mgmt.getHub(topic);
    if (!existing) await mgmt.putHub(topic, partitions, options.retentionHours);
    return this.waitVisible(topic);
  }

  async describeTopic(topic: string): Promise<TopicInfo> {
    this.client.check();
    this.validateName(topic);
    return this.info(topic);
  }

  async growPartitions(topic: string, partitions: number): Promise<TopicInfo> {
    this.client.check();
    this.validateName(topic);
    const { tier } = this.client.config;
    if (!this.client.capabilities.partitionGrowth) {
      throw new UnsupportedError(
        `growPartitions: Event Hubs ${tier} cannot add partitions after creation (premium and dedicated can)`,
        {
          field: 'partitions',
          target: TARGET,
        },
      );
    }
    validatePositiveInt(partitions, 'partitions', HUB_TIER_LIMITS[tier].maxPartitions);
    const mgmt = this.management(`grow event hub ${topic}`);
    const current = await mgmt.getHub(topic);
    if (!current) throw new NotFoundError(`event hub ${topic} does not exist`, { field: 'topic', target: TARGET });
    if ((current.partitionCount ?? 0) < partitions) await mgmt.putHub(topic, partitions);
    return this.waitVisible(topic, partitions);
  }

  async deleteTopic(topic: string): Promise<void> {
    this.client.check();
    this.validateName(topic);
    await this.management(`delete event hub ${topic}`).deleteHub(topic);
    await this.client.dropProducerClient(topic);
  }

  async listTopics(): Promise<string[]> {
    this.client.check();
    return this.management('list event hubs').listHubs();
  }
}

/**
 * A SharedAccessSignature for `resource` (Event Hubs' SAS format: HMAC-SHA256 of the URL-encoded resource, a
 * newline and the expiry, with the named key). Valid for one hour.
 */
export function sharedAccessSignature(resource: string, keyName: string, key: string, nowMs = Date.now()): string {
  const expiry = Math.floor(nowMs / 1000) + 3600;
  const encoded = encodeURIComponent(resource);
  const sig = createHmac('sha256', key).update(`${encoded}\n${expiry}`, 'utf8').digest('base64');
  return `SharedAccessSignature sr=${encoded}&sig=${encodeURIComponent(sig)}&se=${expiry}&skn=${encodeURIComponent(keyName)}`;
}

async function defaultCredential(): Promise<TokenCredential> {
  const { DefaultAzureCredential } = await import('@azure/identity');
  return new DefaultAzureCredential();
}

/** Resolves namespace auth: a connection-string reference (never logged), else DefaultAzureCredential. */
async function resolveAuth(config: EventHubsAmqpConfig, address: NamespaceAddress): Promise<{ auth: Auth; fqns: string }> {
  if (config.connectionString) {
    const value = await readSecretRef(config.connectionString, 'connectionString');
    let fqns: string;
    try {
      fqns = parseEventHubConnectionString(value).fullyQualifiedNamespace;
    } catch {
      throw new ConfigError(
        'connectionString: the referenced value is not an Event Hubs connection string (Endpoint=sb://…;SharedAccessKeyName=…;SharedAccessKey=…)',
        {
          field: 'connectionString',
          target: TARGET,
        },
      );
    }
    const entityPath = parseEventHubConnectionString(value).eventHubName;
    return { auth: { kind: 'connectionString', value, entityPath }, fqns };
  }
  return { auth: { kind: 'credential', credential: await defaultCredential() }, fqns: address.fullyQualifiedNamespace };
}

async function resolveContainer(config: EventHubsAmqpConfig): Promise<ContainerClient | undefined> {
  const cs = config.checkpointStore;
  if (!cs) return undefined;
  const { BlobServiceClient, ContainerClient: Container } = await import('@azure/storage-blob');
  if (cs.connectionString) {
    const value = await readSecretRef(cs.connectionString, 'checkpointStore.connectionString');
    try {
      return BlobServiceClient.fromConnectionString(value).getContainerClient(cs.container);
    } catch {
      throw new ConfigError('checkpointStore.connectionString: the referenced value is not a storage connection string', {
        field: 'checkpointStore.connectionString',
        target: TARGET,
      });
    }
  }
  if (cs.accountUrl) return new Container(`${cs.accountUrl.replace(/\/+$/, '')}/${cs.container}`, await defaultCredential());
  throw new ConfigError('checkpointStore: give connectionString (env:/file: reference) or accountUrl', {
    field: 'checkpointStore',
    target: TARGET,
  });
}

/**
 * Creates a client for `eventhubs://<namespace>`.
 * @throws `ConfigError` for a bad URI or config (a literal secret is refused naming its field).
 */
export async function createEventHubsAmqpClient(uri: ParsedUri, options: ConnectOptions = {}): Promise<StreamDriver> {
  if (uri.scheme !== 'eventhubs') {
    throw new ConfigError(`uri: the AMQP transport serves eventhubs://, not ${uri.scheme}://`, { field: 'uri', target: TARGET });
  }
  const config = resolveEventHubsAmqpConfig(uri, options.config);
  const address = parseNamespace(uri.location);
  guardLinkAddress(); // a TypeError thrown from a timer of the AMQP stack would end the process (see sdk-guard.ts)
  const logger = options.logger ?? silentLogger;
  const { auth, fqns } = await resolveAuth(config, address);
  let management: ManagementClient | undefined;
  if (config.management) {
    let token: (() => Promise<string>) | undefined;
    if (config.management.auth === 'azure') {
      const credential = auth.kind === 'credential' ? auth.credential : await defaultCredential();
      token = async () => {
        const t = await credential.getToken(ARM_SCOPE);
        if (!t) throw new Error('no ARM token');
        return `Bearer ${t.token}`;
      };
    } else if (config.management.auth === 'sas') {
      if (auth.kind !== 'connectionString') {
        throw new ConfigError('management.auth: "sas" signs with the key of connectionString, which is not set', {
          field: 'management.auth',
          target: TARGET,
        });
      }
      const parsed = parseEventHubConnectionString(auth.value);
      if (!parsed.sharedAccessKeyName || !parsed.sharedAccessKey) {
        throw new ConfigError('management.auth: "sas" needs a connection string with SharedAccessKeyName and SharedAccessKey', {
          field: 'management.auth',
          target: TARGET,
        });
      }
      const { endpoint, sharedAccessKeyName, sharedAccessKey } = parsed;
      token = async () => sharedAccessSignature(endpoint, sharedAccessKeyName, sharedAccessKey);
    }
    management = new ManagementClient(config.management, address.name, token, logger);
  }
  const container = await resolveContainer(config);
  logger.debug('eventhubs client created', { namespace: fqns, auth: auth.kind, tier: config.tier });
  return new EventHubsAmqpClient(uri.raw, config, fqns, auth, management, container, logger);
}
