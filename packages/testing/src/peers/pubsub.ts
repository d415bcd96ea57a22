/**
 * Google's Pub/Sub fake (`cloud.google.com/go/pubsub/v2/pstest`) behind the project's tiny Go `main`
 * (`packages/testing/peers-go/pstest`), built with `go build` into the cache. Clients set
 * `PUBSUB_EMULATOR_HOST` (or `apiEndpoint`) to its address and use insecure gRPC.
 *
 * Gaps (see reference/test-peers.md §3): exactly-once is only echoed, retry policy is ignored, no push,
 * no snapshots, `ackDeadlineSeconds` must be 10..600 at create, 10-minute retention.
 *
 * @packageDocumentation
 */

import { connect } from 'node:http2';
import { join } from 'node:path';
import { type PeerRecord, spawnDetached, tools, withTimeout } from './common.js';
import { wrapperModuleUnit } from './gobuild.js';
import type { PeerDefinition, StartContext } from './peer.js';
import type { PubsubStatus } from './types.js';

/** Pinned pstest module version (see peers-go/pstest/go.mod). */
export const PSTEST_VERSION = 'v2.7.0';
/** Project id the status document suggests to tests. */
export const PUBSUB_PROJECT = 'speedlayer-test';

const unit = wrapperModuleUnit(`pstest-${PSTEST_VERSION}`, 'pstest', ['.']);

async function start(ctx: StartContext): Promise<{ status: PubsubStatus }> {
  const [dir] = ctx.installDirs as [string];
  const port = ctx.ports.grpc as number;
  ctx.track(
    await spawnDetached('pstest', join(dir, 'bin', 'pstest'), ['-host', '127.0.0.1', '-port', String(port)], {
      cwd: ctx.runDir,
      log: join(ctx.runDir, 'pstest.log'),
    }),
  );
  return { status: { version: PSTEST_VERSION, emulatorHost: `127.0.0.1:${port}`, projectId: PUBSUB_PROJECT } };
}

/** A unary gRPC call `google.pubsub.v1.Publisher/ListTopics` over cleartext HTTP/2. */
function listTopics(host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://${host}`);
    session.once('error', reject);
    const project = Buffer.from(`projects/${PUBSUB_PROJECT}`);
    const message = Buffer.concat([Buffer.from([0x0a, project.length]), project]); // field 1 (project), length-delimited
    const frame = Buffer.alloc(5);
    frame.writeUInt8(0, 0);
    frame.writeUInt32BE(message.length, 1);
    const stream = session.request({
      ':method': 'POST',
      ':path': '/google.pubsub.v1.Publisher/ListTopics',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    let httpStatus = 0;
    let grpcStatus: string | undefined;
    stream.on('response', (headers) => {
      httpStatus = Number(headers[':status']);
      if (headers['grpc-status'] !== undefined) grpcStatus = String(headers['grpc-status']);
    });
    stream.on('trailers', (trailers) => {
      grpcStatus = String(trailers['grpc-status']);
    });
    stream.on('data', () => {});
    stream.on('end', () => {
      session.close();
      if (httpStatus === 200 && grpcStatus === '0') resolve();
      else reject(new Error(`pstest: ListTopics answered HTTP ${httpStatus}, grpc-status ${grpcStatus}`));
    });
    stream.once('error', (e) => {
      session.close();
      reject(e);
    });
    stream.end(Buffer.concat([frame, message]));
  });
}

/** The Pub/Sub (pstest) peer. */
export const pubsubPeer: PeerDefinition = {
  name: 'pubsub',
  version: PSTEST_VERSION,
  requirements: [tools.go],
  units: [unit],
  ports: [{ role: 'grpc', preferred: 8085, env: 'SPEEDLAYER_PUBSUB_PORT' }],
  data: { kept: false, note: 'in memory (pstest): topics, subscriptions and messages are lost on restart' },
  startTimeoutMs: 30_000,
  start,
  probe: (record: PeerRecord) => withTimeout(listTopics((record.status as PubsubStatus).emulatorHost), 5000, 'pubsub'),
};
