/**
 * moto server (PyPI `moto[server]`, pinned 5.x) in a venv in the cache: one loopback endpoint for Kinesis,
 * DynamoDB, ECS, MSK (`kafka`), EKS, CloudFormation, IAM and STS. Clients use any static credentials.
 * `@aws-sdk/client-kinesis` needs `requestHandler: new NodeHttpHandler()` against it (HTTP/1.1 only).
 *
 * @packageDocumentation
 */

import { request } from 'node:http';
import { join } from 'node:path';
import { type PeerRecord, spawnDetached, tools, withTimeout } from './common.js';
import type { PeerDefinition, StartContext } from './peer.js';
import { venvBin, venvUnit } from './python.js';
import type { MotoStatus } from './types.js';

/** Pinned moto version. */
export const MOTO_VERSION = '5.2.5';
const REGION = 'us-east-1';

const unit = venvUnit(`moto-${MOTO_VERSION}`, [`moto[server]==${MOTO_VERSION}`], ['moto_server']);

async function start(ctx: StartContext): Promise<{ status: MotoStatus }> {
  const [dir] = ctx.installDirs as [string];
  const port = ctx.ports.http as number;
  ctx.track(
    await spawnDetached('moto', venvBin(dir, 'moto_server'), ['-H', '127.0.0.1', '-p', String(port)], {
      cwd: ctx.runDir,
      log: join(ctx.runDir, 'moto.log'),
      env: { AWS_DEFAULT_REGION: REGION, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', PYTHONUNBUFFERED: '1' },
    }),
  );
  return { status: { version: MOTO_VERSION, endpoint: `http://127.0.0.1:${port}`, region: REGION } };
}

/** A Kinesis ListStreams call, the way the AWS SDK sends it (moto does not check signatures). */
function listStreams(endpoint: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const date = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
    const req = request(
      `${endpoint}/`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': 'Kinesis_20131202.ListStreams',
          'x-amz-date': date,
          authorization: `AWS4-HMAC-SHA256 Credential=test/${date.slice(0, 8)}/${REGION}/kinesis/aws4_request, SignedHeaders=host;x-amz-date, Signature=0`,
        },
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => {
          if (res.statusCode === 200 && body.includes('StreamNames')) resolve();
          else reject(new Error(`moto: ListStreams answered ${res.statusCode}: ${body.slice(0, 200)}`));
        });
      },
    );
    req.once('error', reject);
    req.end('{}');
  });
}

/** The moto peer. */
export const motoPeer: PeerDefinition = {
  name: 'moto',
  version: MOTO_VERSION,
  requirements: [tools.python],
  units: [unit],
  ports: [{ role: 'http', preferred: 5000, env: 'SPEEDLAYER_MOTO_PORT' }],
  data: { kept: false, note: 'in memory: streams, records and tables are lost on restart' },
  startTimeoutMs: 60_000,
  start,
  probe: (record: PeerRecord) => withTimeout(listStreams((record.status as MotoStatus).endpoint), 5000, 'moto'),
};
