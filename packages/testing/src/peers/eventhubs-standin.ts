/**
 * The Event Hubs **stand-in** peer: this package's own AMQP 1.0 server (see `../eventhubs-standin/README.md`),
 * run from the built `dist/eventhubs-standin/main.js` with this Node. No real Event Hubs AMQP server can run
 * here, so it stands in for one; nothing is installed into the cache. Each start generates a new shared access
 * key, written only into the connection string file (mode 0600).
 *
 * @packageDocumentation
 */

import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import rhea from 'rhea';
import { createSasToken } from '../eventhubs-standin/sas.js';
import { type PeerRecord, randomSecret, spawnDetached, withTimeout, writePrivateFile } from './common.js';
import type { PeerDefinition, StartContext } from './peer.js';
import type { EventHubsStandInStatus } from './types.js';

const PACKAGE_JSON = fileURLToPath(new URL('../../package.json', import.meta.url));
const MAIN = fileURLToPath(new URL('../../dist/eventhubs-standin/main.js', import.meta.url));
const NAMESPACE = 'standin';
const KEY_NAME = 'RootManageSharedAccessKey';
const SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';
const RESOURCE_GROUP = 'speedlayer-standin';

/** Version of the stand-in: that of this package. */
export const EVENTHUBS_STANDIN_VERSION = `standin-${(JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version: string }).version}`;

async function start(ctx: StartContext): Promise<{ status: EventHubsStandInStatus }> {
  if (!existsSync(MAIN)) {
    throw new Error(`${MAIN} is missing: build the testing package first (npx tsc -b packages/testing)`);
  }
  const port = ctx.ports.amqp as number;
  const managementPort = ctx.ports.management as number;
  const key = randomSecret(32);
  const endpoint = `sb://127.0.0.1:${port}/`;
  const connectionStringFile = join(ctx.runDir, 'connection-string');
  await writePrivateFile(
    connectionStringFile,
    `Endpoint=${endpoint};SharedAccessKeyName=${KEY_NAME};SharedAccessKey=${key};UseDevelopmentEmulator=true`,
  );
  ctx.track(
    await spawnDetached(
      'eventhubs-standin',
      process.execPath,
      [
        MAIN,
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--management-port',
        String(managementPort),
        '--namespace',
        NAMESPACE,
        '--key-name',
        KEY_NAME,
      ],
      {
        cwd: ctx.runDir,
        log: join(ctx.runDir, 'eventhubs-standin.log'),
        env: { SPEEDLAYER_EVENTHUBS_STANDIN_KEY: key },
      },
    ),
  );
  return {
    status: {
      version: EVENTHUBS_STANDIN_VERSION,
      endpoint,
      managementEndpoint: `http://127.0.0.1:${managementPort}`,
      subscriptionId: SUBSCRIPTION,
      resourceGroup: RESOURCE_GROUP,
      namespace: NAMESPACE,
      namespaceResourceId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.EventHub/namespaces/${NAMESPACE}`,
      keyName: KEY_NAME,
      connectionStringFile,
      maxMessageBytes: 1024 * 1024,
    },
  };
}

/** The key in a connection string file. */
function keyOf(file: string): string {
  const m = /SharedAccessKey=([^;]+)/.exec(readFileSync(file, 'utf8'));
  if (!m?.[1]) throw new Error(`eventhubs-standin: no SharedAccessKey in ${file}`);
  return m[1];
}

/** GET of the namespace on the management plane, with a SAS token (a real, authenticated request). */
function getNamespace(status: EventHubsStandInStatus): Promise<void> {
  const token = createSasToken(
    status.endpoint,
    status.keyName,
    keyOf(status.connectionStringFile),
    Math.floor(Date.now() / 1000) + 300,
  );
  return new Promise((resolve, reject) => {
    const req = request(
      `${status.managementEndpoint}${status.namespaceResourceId}?api-version=2024-01-01`,
      { headers: { authorization: token } },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => {
          if (res.statusCode === 200 && body.includes('serviceBusEndpoint')) resolve();
          else reject(new Error(`eventhubs-standin: GET namespace answered ${res.statusCode}: ${body.slice(0, 200)}`));
        });
      },
    );
    req.once('error', reject);
    req.end();
  });
}

/** An AMQP connection (SASL ANONYMOUS, open, close) to the stand-in. */
function amqpOpen(status: EventHubsStandInStatus): Promise<void> {
  const port = Number(new URL(status.endpoint.replace(/^sb:/, 'http:')).port);
  return new Promise((resolve, reject) => {
    const container = rhea.create_container();
    const connection = container.connect({ host: '127.0.0.1', port, reconnect: false, username: status.keyName });
    connection.on('connection_open', () => {
      connection.close();
      resolve();
    });
    connection.on('connection_error', () => reject(new Error('eventhubs-standin: the AMQP open was refused')));
    connection.on('disconnected', (ctx) => reject(new Error(`eventhubs-standin: AMQP disconnected: ${String(ctx.error ?? '')}`)));
  });
}

/** The Event Hubs stand-in peer. */
export const eventhubsStandinPeer: PeerDefinition = {
  name: 'eventhubs-standin',
  version: EVENTHUBS_STANDIN_VERSION,
  requirements: [],
  units: [],
  ports: [
    { role: 'amqp', preferred: 5672, env: 'SPEEDLAYER_EVENTHUBS_STANDIN_PORT' },
    { role: 'management', preferred: 5673, env: 'SPEEDLAYER_EVENTHUBS_STANDIN_MANAGEMENT_PORT' },
  ],
  data: { kept: false, note: 'in memory: event hubs, events and consumer groups are lost on restart' },
  startTimeoutMs: 30_000,
  start,
  probe: async (record: PeerRecord) => {
    const status = record.status as EventHubsStandInStatus;
    await withTimeout(getNamespace(status), 5000, 'eventhubs-standin');
    await withTimeout(amqpOpen(status), 5000, 'eventhubs-standin');
  },
};
