/**
 * `speedlayer demo --stream kafka://<peer> --json` with the built CLI: replicas aligned to partitions consume
 * everything the demo produced, with nothing lost and per-key order kept.
 */
import { fileURLToPath } from 'node:url';
import { runNode } from '@speedlayer/testing';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

const runCli = (args: string[]) => runNode('packages/cli/bin/speedlayer.js', args, { cwd: repoRoot });

describePeer('kafka', 'kafka speedlayer demo on the Kafka peer', (kafka) => {
  it('reports lost 0 and orderViolations 0', async () => {
    const r = await runCli(['demo', '--stream', `kafka://${kafka.bootstrap}`, '--messages', '3000', '--json']);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const line = r.stdout.trim().split('\n').filter(Boolean).pop() ?? '{}';
    const report = JSON.parse(line) as Record<string, number | string>;
    expect(report).toMatchObject({
      stream: `kafka://${kafka.bootstrap}`,
      produced: 3000,
      consumedUnique: 3000,
      lost: 0,
      orderViolations: 0,
    });
    expect(report.replicas).toBe(report.partitions);
  }, 240_000);
});
