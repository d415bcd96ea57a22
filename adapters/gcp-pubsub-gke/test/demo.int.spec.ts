/**
 * `speedlayer demo` on Pub/Sub through the built CLI: a topic without partitions, replicas scaled to
 * `--partitions`, one subscription shared by the worker processes; nothing lost, per-key order kept.
 * The demo registers its group (creates the subscription) before producing, so no Seek is needed.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../../packages/cli/bin/speedlayer.js', import.meta.url));

describePeer('pubsub', 'gcp-pubsub-gke demo on pstest', (pubsub) => {
  it('speedlayer demo --stream pubsub://... reports lost 0 and no order violations', () => {
    const uri = `pubsub://${pubsub.projectId}?emulatorHost=${pubsub.emulatorHost}`;
    const r = spawnSync(
      process.execPath,
      [cli, 'demo', '--stream', uri, '--messages', '1500', '--partitions', '3', '--keys', '60', '--timeout', '150', '--json'],
      { encoding: 'utf8', timeout: 240_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout.trim()) as Record<string, unknown>;
    expect(result).toMatchObject({
      partitions: null,
      replicas: 3,
      produced: 1500,
      consumedUnique: 1500,
      lost: 0,
      orderViolations: 0,
    });
  }, 300_000);
});
