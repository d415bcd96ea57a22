/**
 * Test support: the Event Hubs AMQP **stand-in** (from `@speedlayer/testing`, a rhea-based protocol stand-in; no
 * real Event Hubs server can run locally) started in this process, and the `eventhubs://` config that reaches it
 * plus the real Azurite peer as checkpoint store. The connection string goes to a 0600 file and is passed by
 * reference, as users do.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type EventHubsStandIn,
  STANDIN_RESOURCE_GROUP,
  STANDIN_SUBSCRIPTION,
  startEventHubsStandIn,
} from '@speedlayer/testing/eventhubs-standin';
import type { AzuriteStatus, EventHubsStandInStatus } from '@speedlayer/testing/peers';

/** A running stand-in and how to connect to it. */
export interface StandInTarget {
  /** The in-process stand-in (absent when the `eventhubs-standin` peer process is used). */
  standIn: EventHubsStandIn;
  /** `eventhubs://127.0.0.1:<port>`. */
  uri: string;
  /** Config for `connect(uri, { config })` (JSON-serialisable: references only). */
  config: Record<string, unknown>;
  /** File holding the stand-in's namespace connection string. */
  connectionStringFile: string;
}

/** Timing and balancing settings that make rebalances fast enough for tests. */
const FAST = {
  loadBalancing: 'greedy',
  updateIntervalMs: 300,
  ownershipExpirationMs: 3000,
  maxWaitTimeMs: 200,
  commitIntervalMs: 100,
};

/**
 * The `eventhubs://` URI and config for the `eventhubs-standin` peer (a separate process started by the int
 * project's global setup), with checkpoints in `container` on Azurite.
 */
export function peerTarget(
  peer: EventHubsStandInStatus,
  azurite: AzuriteStatus,
  container: string,
  extra: Record<string, unknown> = {},
): { uri: string; config: Record<string, unknown> } {
  const hostPort = peer.endpoint.replace(/^sb:\/\//, '').replace(/\/+$/, '');
  return {
    uri: `eventhubs://${hostPort}`,
    config: {
      connectionString: `file:${peer.connectionStringFile}`,
      checkpointStore: { connectionString: `file:${azurite.connectionStringFile}`, container, createContainer: true },
      management: {
        endpoint: peer.managementEndpoint,
        subscriptionId: peer.subscriptionId,
        resourceGroup: peer.resourceGroup,
        namespace: peer.namespace,
        auth: 'sas',
      },
      ...FAST,
      ...extra,
    },
  };
}

/** Starts the stand-in in this process and builds the config (checkpoints in `container` on Azurite). */
export async function startStandInTarget(
  azurite: AzuriteStatus,
  container: string,
  extra: Record<string, unknown> = {},
): Promise<StandInTarget> {
  const standIn = await startEventHubsStandIn();
  const dir = mkdtempSync(join(tmpdir(), 'speedlayer-eh-'));
  const connectionStringFile = join(dir, 'connection-string');
  writeFileSync(connectionStringFile, standIn.connectionString(), { mode: 0o600 });
  const config: Record<string, unknown> = {
    connectionString: `file:${connectionStringFile}`,
    checkpointStore: { connectionString: `file:${azurite.connectionStringFile}`, container, createContainer: true },
    management: {
      endpoint: standIn.managementEndpoint,
      subscriptionId: STANDIN_SUBSCRIPTION,
      resourceGroup: STANDIN_RESOURCE_GROUP,
      namespace: standIn.namespace,
      auth: 'sas',
    },
    ...FAST,
    ...extra,
  };
  return { standIn, uri: `eventhubs://127.0.0.1:${standIn.port}`, config, connectionStringFile };
}
