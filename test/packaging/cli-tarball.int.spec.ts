/**
 * The CLI from `npm pack` tarballs of this checkout (it needs every other `@speedlayer` package, so each one is packed
 * and installed here): installed into a fresh app it runs `plan` on every target (the adapters' `./plan` entries with
 * the planner and IaC writers the CLI depends on), `demo` on the embedded local target and `peers status`, and its
 * node_modules holds no test runner. Needs the packages built (`npx tsc --build`) and the npm registry reachable.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packInstall } from './pack-install.mjs';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('packaging: the CLI from tarballs in a fresh app', () => {
  const dir = mkdtempSync(join(tmpdir(), 'speedlayer-pack-cli-'));
  let app = '';
  let bin = '';

  beforeAll(() => {
    if (!existsSync(join(root, 'packages', 'cli', 'dist', 'bin.js')))
      throw new Error('packages/cli/dist is missing: run npx tsc --build first');
    const r = packInstall(dir, ['@speedlayer/cli']);
    app = r.app;
    bin = join(app, 'node_modules', '.bin', 'speedlayer');
    console.log(
      `[packaging] cli ${JSON.stringify({ packages: r.packages.length, installed: r.installed, nodeModulesMB: r.nodeModulesMB })}`,
    );
  }, 900_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('installs no test runner (vitest is only an optional peer of @speedlayer/testing)', () => {
    expect(existsSync(join(app, 'node_modules', 'vitest'))).toBe(false);
    expect(existsSync(join(app, 'node_modules', '@speedlayer', 'testing'))).toBe(true);
    const testing = JSON.parse(readFileSync(join(app, 'node_modules', '@speedlayer', 'testing', 'package.json'), 'utf8'));
    expect(testing.peerDependenciesMeta?.vitest?.optional).toBe(true);
  });

  it('plans a workload on every target through the adapters’ ./plan entries', async () => {
    const { stdout } = await run(bin, ['plan', join(root, 'examples', 'workloads', 'small.yaml'), '--target', 'all', '--json'], {
      cwd: app,
      timeout: 120_000,
    });
    const out = JSON.parse(stdout) as { plans: { target: string; partitions: number | null }[] };
    expect(out.plans.map((p) => p.target)).toEqual(
      expect.arrayContaining(['aws-msk-eks', 'aws-kinesis-ecs', 'azure-eventhubs-aks', 'gcp-pubsub-gke']),
    );
    // Pub/Sub has no partitions (null); every other target gets some
    for (const p of out.plans) if (p.target !== 'gcp-pubsub-gke') expect(p.partitions, p.target).toBeGreaterThan(0);
  });

  it('runs the demo on the embedded local target with nothing lost', async () => {
    const { stdout } = await run(
      bin,
      ['demo', '--messages', '2000', '--partitions', '2', '--json', '--stream', `local://${join(dir, 'data')}`],
      {
        cwd: app,
        timeout: 180_000,
      },
    );
    const out = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
      lost: number;
      orderViolations: number;
      produced: number;
    };
    expect(out.produced).toBe(2000);
    expect(out.lost).toBe(0);
    expect(out.orderViolations).toBe(0);
  });

  it('reports the test peers (speedlayer peers status --json) from @speedlayer/testing/peers', async () => {
    const { stdout } = await run(bin, ['peers', 'status', '--json'], { cwd: app, timeout: 60_000 });
    expect(JSON.parse(stdout)).toHaveProperty('streams');
  });
});
