/**
 * Azurite (npm `azurite@3.35.0`, the last release that runs on Node 20), blob service only, installed with
 * `npm install --prefix <cache dir>` (never into the repository). Used as the Event Hubs checkpoint store.
 *
 * @packageDocumentation
 */

import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import {
  fingerprint,
  type InstallUnit,
  type PeerRecord,
  run,
  spawnDetached,
  tools,
  withTimeout,
  writePrivateFile,
} from './common.js';
import type { PeerDefinition, StartContext } from './peer.js';
import type { AzuriteStatus } from './types.js';

/** Pinned Azurite version. */
export const AZURITE_VERSION = '3.35.0';

/** Azurite's published development account (documented by Microsoft; not a secret). */
const ACCOUNT = 'devstoreaccount1';
const ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

function blobMain(dir: string): string {
  return join(dir, 'node_modules', 'azurite', 'dist', 'src', 'blob', 'main.js');
}

const unit: InstallUnit = {
  id: `azurite-${AZURITE_VERSION}`,
  fingerprint: () => fingerprint([`azurite@${AZURITE_VERSION}`, 'omit=dev']),
  async install(dir, ctx) {
    await run(
      'npm',
      [
        'install',
        '--prefix',
        dir,
        `azurite@${AZURITE_VERSION}`,
        '--omit=dev',
        '--no-audit',
        '--no-fund',
        '--no-save',
        '--loglevel=error',
      ],
      { cwd: dir, logFile: ctx.logFile, timeoutMs: 20 * 60_000, env: { npm_config_update_notifier: 'false' } },
    );
    if (!existsSync(blobMain(dir))) throw new Error(`npm finished but ${blobMain(dir)} is missing`);
  },
};

async function start(ctx: StartContext): Promise<{ status: AzuriteStatus }> {
  const [dir] = ctx.installDirs as [string];
  const port = ctx.ports.blob as number;
  ctx.track(
    await spawnDetached(
      'azurite-blob',
      process.execPath,
      [
        blobMain(dir),
        '--blobHost',
        '127.0.0.1',
        '--blobPort',
        String(port),
        // On disk under the run directory: containers and blobs (Event Hubs checkpoints) survive `peers down/up`.
        '--location',
        join(ctx.runDir, 'data'),
        '--skipApiVersionCheck',
        '--disableProductStyleUrl',
        '--disableTelemetry',
        '--silent',
      ],
      { cwd: ctx.runDir, log: join(ctx.runDir, 'azurite.log') },
    ),
  );
  const blobEndpoint = `http://127.0.0.1:${port}/${ACCOUNT}`;
  const connectionString = `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${ACCOUNT_KEY};BlobEndpoint=${blobEndpoint};`;
  const connectionStringFile = join(ctx.runDir, 'connection-string');
  await writePrivateFile(connectionStringFile, connectionString);
  return { status: { version: AZURITE_VERSION, blobEndpoint, connectionString, connectionStringFile } };
}

/** List Containers, signed with SharedKey like any storage client. */
function listContainers(blobEndpoint: string): Promise<void> {
  const url = new URL(`${blobEndpoint}?comp=list`);
  const date = new Date().toUTCString();
  const version = '2021-12-02';
  // VERB, then 11 standard headers (all empty here), then canonical x-ms headers and the canonical resource.
  const toSign =
    `GET\n${'\n'.repeat(11)}` + `x-ms-date:${date}\nx-ms-version:${version}\n` + `/${ACCOUNT}${url.pathname}\ncomp:list`;
  const signature = createHmac('sha256', Buffer.from(ACCOUNT_KEY, 'base64')).update(toSign, 'utf8').digest('base64');
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { headers: { 'x-ms-date': date, 'x-ms-version': version, authorization: `SharedKey ${ACCOUNT}:${signature}` } },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => {
          if (res.statusCode === 200 && body.includes('EnumerationResults')) resolve();
          else reject(new Error(`azurite: List Containers answered ${res.statusCode}: ${body.slice(0, 200)}`));
        });
      },
    );
    req.once('error', reject);
    req.end();
  });
}

/** The Azurite peer. */
export const azuritePeer: PeerDefinition = {
  name: 'azurite',
  version: AZURITE_VERSION,
  requirements: [tools.npm],
  units: [unit],
  ports: [{ role: 'blob', preferred: 10000, env: 'SPEEDLAYER_AZURITE_PORT' }],
  data: { kept: true, note: 'containers and blobs (checkpoints) kept on disk in run/azurite/data' },
  startTimeoutMs: 30_000,
  start,
  probe: (record: PeerRecord) => withTimeout(listContainers((record.status as AzuriteStatus).blobEndpoint), 5000, 'azurite'),
};
