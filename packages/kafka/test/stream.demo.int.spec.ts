/**
 * `speedlayer demo --stream kafka://<peer> --json` with the built CLI: replicas aligned to partitions consume
 * everything the demo produced, with nothing lost and per-key order kept.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['packages/cli/bin/speedlayer.js', ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

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
