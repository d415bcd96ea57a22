/**
 * An Azure Event Hubs **stand-in**: a protocol-level AMQP 1.0 server (on `rhea`) that the real
 * `@azure/event-hubs` client talks to over plain AMQP when its connection string has
 * `UseDevelopmentEmulator=true`, plus a small HTTP management plane shaped like Azure Resource Manager's
 * Event Hubs REST paths. In memory, per process. It is not Event Hubs: see the README next to this file for
 * what it implements and what it cannot prove.
 *
 * @example
 * ```ts
 * import { startEventHubsStandIn } from '@speedlayer/testing/eventhubs-standin';
 * const standIn = await startEventHubsStandIn();
 * standIn.createHub('orders', 4);
 * const connectionString = standIn.connectionString('orders'); // for EventHubProducerClient
 * await standIn.close();
 * ```
 *
 * @packageDocumentation
 */

import { randomBytes } from 'node:crypto';
import { ConflictError, NotFoundError, ValidationError } from '@speedlayer/core';
import { ManagementSide } from './management-http.js';
import { AmqpSide } from './server.js';
import { Store } from './store.js';

export { createSasToken, verifySasToken } from './sas.js';

/** Largest publication (event or batch) on Standard/Premium: 1 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
/** Largest publication on the Basic tier: 256 KiB. */
export const BASIC_MAX_MESSAGE_BYTES = 256 * 1024;

/** The ARM resource id prefix the management plane answers (any subscription and resource group work). */
export const STANDIN_SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';
/** Resource group used in {@link EventHubsStandIn.namespaceResourceId}. */
export const STANDIN_RESOURCE_GROUP = 'speedlayer-standin';

/** Options of {@link startEventHubsStandIn}. */
export interface EventHubsStandInOptions {
  /** Interface for both servers. @default '127.0.0.1' */
  host?: string;
  /** AMQP port; 0 picks a free one. @default 0 */
  port?: number;
  /** HTTP management plane port; 0 picks a free one. @default 0 */
  managementPort?: number;
  /** Namespace name (used in the management plane's resource ids). @default 'standin' */
  namespace?: string;
  /** Name of the namespace's shared access key. @default 'RootManageSharedAccessKey' */
  keyName?: string;
  /** The shared access key; a random one is generated when absent. Never logged. */
  key?: string;
  /** Largest publication (event or batch) in bytes: 1 MiB like Standard, or 256 KiB like Basic. @default 1048576 */
  maxMessageBytes?: number;
  /**
   * Accept `jwt` put-tokens (Microsoft Entra ID) after checking only their `exp` claim; their signature is
   * NOT verified. @default false (jwt tokens are refused with 401)
   */
  acceptUnverifiedJwt?: boolean;
  /** Progress lines (never secrets). @default none */
  log?: (line: string) => void;
}

/** One hub as {@link EventHubsStandIn.hubs} lists it. */
export interface StandInHubInfo {
  /** Hub name. */
  name: string;
  /** Partition count. */
  partitionCount: number;
  /** Consumer group names (`$Default` first). */
  consumerGroups: string[];
  /** Events stored per partition, by partition id. */
  eventCounts: Record<string, number>;
}

/** A running stand-in and its admin API. */
export interface EventHubsStandIn {
  /** `sb://<host>:<port>/`, the connection string's `Endpoint`. */
  readonly endpoint: string;
  /** AMQP port. */
  readonly port: number;
  /** `http://<host>:<port>` of the management plane (real ARM: `https://management.azure.com`). */
  readonly managementEndpoint: string;
  /** ARM resource id of the namespace; append `/eventhubs/<hub>?api-version=...`. */
  readonly namespaceResourceId: string;
  /** Namespace name. */
  readonly namespace: string;
  /** Shared access key name. */
  readonly keyName: string;
  /** Largest publication accepted, bytes. */
  readonly maxMessageBytes: number;
  /**
   * A connection string (`Endpoint=sb://...;SharedAccessKeyName=...;SharedAccessKey=...;UseDevelopmentEmulator=true`
   * and `EntityPath=<hub>` when given). It contains the key: keep it out of logs.
   */
  connectionString(hub?: string): string;
  /**
   * Creates a hub with `partitionCount` partitions and the `$Default` consumer group; idempotent when it
   * exists with the same partition count.
   *
   * @throws `ValidationError` for a bad name or count; `ConflictError` when it exists with another count.
   */
  createHub(name: string, partitionCount: number): void;
  /** Deletes a hub and detaches its links; false when it did not exist. */
  deleteHub(name: string): boolean;
  /**
   * Creates a consumer group (idempotent).
   *
   * @throws `NotFoundError` when the hub does not exist; `ValidationError` for a bad name.
   */
  createConsumerGroup(hub: string, group: string): void;
  /** The hubs, their consumer groups and stored event counts. */
  hubs(): StandInHubInfo[];
  /** Closes every connection and both servers. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts an Event Hubs stand-in (AMQP + management plane) in this process.
 *
 * @throws `ValidationError` for a bad option (`maxMessageBytes`, `namespace`).
 */
export async function startEventHubsStandIn(options: EventHubsStandInOptions = {}): Promise<EventHubsStandIn> {
  const host = options.host ?? '127.0.0.1';
  const namespace = options.namespace ?? 'standin';
  const keyName = options.keyName ?? 'RootManageSharedAccessKey';
  const key = options.key ?? randomBytes(32).toString('base64');
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const log = options.log ?? (() => {});
  if (!Number.isInteger(maxMessageBytes) || maxMessageBytes < 1024) {
    throw new ValidationError(`maxMessageBytes must be an integer >= 1024, got ${maxMessageBytes}`, { field: 'maxMessageBytes' });
  }
  if (!/^[A-Za-z][A-Za-z0-9-]{0,49}$/.test(namespace)) {
    throw new ValidationError(`namespace '${namespace}' is not a valid namespace name`, { field: 'namespace' });
  }
  const keys = new Map([[keyName, key]]);
  const store = new Store();
  const amqp = new AmqpSide(store, {
    host,
    port: options.port ?? 0,
    keys,
    maxMessageBytes,
    acceptUnverifiedJwt: options.acceptUnverifiedJwt ?? false,
    log,
  });
  const port = await amqp.listen();
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const endpoint = `sb://${urlHost}:${port}/`;
  const management = new ManagementSide(store, {
    host,
    port: options.managementPort ?? 0,
    namespace,
    keys,
    serviceBusEndpoint: () => endpoint,
    log,
  });
  let managementPort: number;
  try {
    managementPort = await management.listen();
  } catch (e) {
    await amqp.close();
    throw e;
  }
  log(`Event Hubs stand-in listening on ${endpoint} (management plane http://${urlHost}:${managementPort})`);

  let closed: Promise<void> | undefined;
  return {
    endpoint,
    port,
    managementEndpoint: `http://${urlHost}:${managementPort}`,
    namespaceResourceId: `/subscriptions/${STANDIN_SUBSCRIPTION}/resourceGroups/${STANDIN_RESOURCE_GROUP}/providers/Microsoft.EventHub/namespaces/${namespace}`,
    namespace,
    keyName,
    maxMessageBytes,
    connectionString(hub?: string): string {
      return (
        `Endpoint=${endpoint};SharedAccessKeyName=${keyName};SharedAccessKey=${key};UseDevelopmentEmulator=true` +
        (hub !== undefined ? `;EntityPath=${hub}` : '')
      );
    },
    createHub(name: string, partitionCount: number): void {
      try {
        store.create(name, partitionCount);
      } catch (e) {
        const code = (e as { code?: string }).code;
        const message = (e as Error).message;
        if (code === 'conflict') throw new ConflictError(message, { field: 'partitionCount' });
        throw new ValidationError(message, { field: /partitionCount/.test(message) ? 'partitionCount' : 'name' });
      }
    },
    deleteHub(name: string): boolean {
      return store.delete(name);
    },
    createConsumerGroup(hubName: string, group: string): void {
      const hub = store.hub(hubName);
      if (!hub) throw new NotFoundError(`event hub '${hubName}' does not exist in the stand-in`, { field: 'hub' });
      if (!/^[A-Za-z0-9$][A-Za-z0-9._-]{0,49}$/.test(group)) {
        throw new ValidationError(`invalid consumer group name '${group}'`, { field: 'group' });
      }
      if (!hub.consumerGroups.has(group.toLowerCase())) {
        hub.consumerGroups.set(group.toLowerCase(), { name: group, createdAt: new Date() });
      }
    },
    hubs(): StandInHubInfo[] {
      return store.list().map((h) => ({
        name: h.name,
        partitionCount: h.partitions.length,
        consumerGroups: [...h.consumerGroups.values()].map((g) => g.name),
        eventCounts: Object.fromEntries(h.partitions.map((p) => [p.id, p.events.length])),
      }));
    },
    close(): Promise<void> {
      closed ??= (async () => {
        await amqp.close();
        await management.close();
      })();
      return closed;
    },
  };
}
