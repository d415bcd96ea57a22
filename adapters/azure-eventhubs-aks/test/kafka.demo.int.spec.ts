/**
 * `speedlayer demo --stream <eventhubs+kafka URI> --json` with the built CLI, on the Kafka peer's SASL_SSL listener
 * set up as Event Hubs' Kafka endpoint: the CLI reaches the transport through the registry, replicas (local
 * processes running the worker runtime, each connecting with the same URI) are aligned to the partitions, and they
 * consume everything the demo produced with nothing lost and per-key order kept.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runNode } from '@speedlayer/testing';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

const runCli = (args: string[]) => runNode('packages/cli/bin/speedlayer.js', args, { cwd: repoRoot });

describePeer('kafka', 'azure-eventhubs-aks speedlayer demo on eventhubs+kafka', (kafka, all) => {
  it('reports lost 0 and orderViolations 0, replicas = partitions, and prints no secret', async () => {
    const uri = all.streams['eventhubs+kafka'];
    expect(uri, 'peers status lists an eventhubs+kafka URI').toBeDefined();
    const r = await runCli(['demo', '--stream', uri as string, '--messages', '3000', '--partitions', '4', '--json']);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const line = r.stdout.trim().split('\n').filter(Boolean).pop() ?? '{}';
    const report = JSON.parse(line) as Record<string, number | string>;
    expect(report).toMatchObject({
      stream: uri,
      partitions: 4,
      produced: 3000,
      consumedUnique: 3000,
      lost: 0,
      orderViolations: 0,
    });
    expect(report.replicas).toBe(report.partitions);
    const key = /SharedAccessKey=([^;]+)/.exec(readFileSync(kafka.connectionStringFile, 'utf8'))?.[1] ?? 'none';
    expect(`${r.stdout}${r.stderr}`.includes(key), 'the key in the CLI output').toBe(false);
  }, 240_000);
});
