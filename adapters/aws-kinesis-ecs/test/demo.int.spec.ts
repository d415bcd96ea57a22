/**
 * `speedlayer demo` on Kinesis (moto): the built CLI produces keyed messages and consumes them with one local
 * worker process per shard, sharing leases in DynamoDB; nothing may be lost or reordered.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runNode } from '@speedlayer/testing';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { expect, it } from 'vitest';
import { motoUri } from './env.js';

const cli = fileURLToPath(new URL('../../../packages/cli/bin/speedlayer.js', import.meta.url));

describePeer('moto', 'aws-kinesis-ecs/demo on moto', (moto) => {
  it.runIf(existsSync(cli))(
    'speedlayer demo reports lost 0 and orderViolations 0 with one worker per shard',
    async () => {
      const uri = `kinesis://${moto.region}?endpoint=${moto.endpoint}`;
      expect(motoUri(moto)).toContain('kinesis://');
      const r = await runNode(
        cli,
        ['demo', '--stream', uri, '--messages', '2000', '--partitions', '4', '--keys', '200', '--timeout', '240', '--json'],
        { env: { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: moto.region } },
      );
      if (r.code !== 0) throw new Error(`demo exited ${r.code}: ${r.stderr.slice(-2000)}`);
      const out = r.stdout;
      const result = JSON.parse(out.trim().split('\n').pop() ?? '{}') as Record<string, number>;
      expect(result).toMatchObject({ partitions: 4, replicas: 4, produced: 2000, lost: 0, orderViolations: 0 });
      expect(result.consumedUnique).toBe(2000);
    },
    300_000,
  );
});
