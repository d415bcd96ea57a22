/**
 * Cloud profile of the `eventhubs://` (AMQP) transport: the stream conformance suite against a real Event Hubs
 * namespace and a real storage account, when `SPEEDLAYER_CLOUD=azure`. It proves what the local stand-in cannot:
 * the real service's AMQP behaviour, service-side partition-key hashing (the round-trip step checks the partition
 * the producer predicts against the one the service chose), ARM administration with DefaultAzureCredential,
 * ownership hand-over between members, and throttling answers.
 *
 * Environment:
 * - `EVENTHUBS_NAMESPACE`: namespace name or host.
 * - `EVENTHUBS_CONNECTION_STRING`: namespace connection string (read by reference, `env:`).
 * - `STORAGE_CONNECTION_STRING` (by reference) or `STORAGE_ACCOUNT_URL` (with DefaultAzureCredential), and
 *   `STORAGE_CONTAINER` (default `speedlayer-conformance`, created when missing).
 * - `AZURE_SUBSCRIPTION_ID`, `AZURE_RESOURCE_GROUP`: ARM path of the namespace (hubs are created and deleted
 *   through ARM with DefaultAzureCredential).
 * - `EVENTHUBS_TIER`: `premium` (default) or `dedicated`. The suite creates about 15 hubs: Basic and Standard allow
 *   10 per namespace, so use a Premium or Dedicated namespace.
 */
import { connect } from '@speedlayer/core';
import { streamConformance } from '@speedlayer/testing/conformance';
import { afterAll, describe, it } from 'vitest';

const env = process.env;
const required = ['EVENTHUBS_NAMESPACE', 'EVENTHUBS_CONNECTION_STRING', 'AZURE_SUBSCRIPTION_ID', 'AZURE_RESOURCE_GROUP'];
const missing = required.filter((k) => !env[k]);
if (!env.STORAGE_CONNECTION_STRING && !env.STORAGE_ACCOUNT_URL) missing.push('STORAGE_CONNECTION_STRING or STORAGE_ACCOUNT_URL');

const uri = `eventhubs://${env.EVENTHUBS_NAMESPACE ?? ''}`;
const config = {
  connectionString: 'env:EVENTHUBS_CONNECTION_STRING',
  tier: env.EVENTHUBS_TIER ?? 'premium',
  checkpointStore: {
    ...(env.STORAGE_CONNECTION_STRING
      ? { connectionString: 'env:STORAGE_CONNECTION_STRING' }
      : { accountUrl: env.STORAGE_ACCOUNT_URL }),
    container: env.STORAGE_CONTAINER ?? 'speedlayer-conformance',
    createContainer: true,
  },
  management: { subscriptionId: env.AZURE_SUBSCRIPTION_ID, resourceGroup: env.AZURE_RESOURCE_GROUP },
  loadBalancing: 'greedy',
  updateIntervalMs: 2000,
  ownershipExpirationMs: 15_000,
};

describe.runIf(env.SPEEDLAYER_CLOUD === 'azure')('azure-eventhubs-aks (eventhubs:// over AMQP) on Azure', () => {
  if (missing.length > 0) {
    it.skip(`needs ${missing.join(', ')} in the environment`, () => {});
    return;
  }
  afterAll(async () => {
    // the suite's hubs are named conf-*: remove them so the namespace's hub quota is not used up
    const c = await connect(uri, { config });
    try {
      for (const t of await c.admin.listTopics()) if (t.startsWith('conf-')) await c.admin.deleteTopic(t);
    } finally {
      await c.close();
    }
  }, 300_000);

  streamConformance({
    name: 'eventhubs (azure)',
    nativeClient: false,
    uri,
    connectOptions: { config },
    subscribeDefaults: { sessionTimeoutMs: 15_000 },
    slowness: 4,
  });
});
