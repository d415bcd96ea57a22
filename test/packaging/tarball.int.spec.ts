/**
 * From `npm pack` tarballs of this checkout, `@speedlayer/core` + `@speedlayer/local` + the Kafka adapter
 * (`@speedlayer/aws-msk-eks` with `@speedlayer/kafka`: the `@speedlayer` packages they need) install into a fresh ESM app, as a new user's
 * would (npm install of the tarballs; everything else from the registry). The app connects, sends and consumes on
 * `local://` and on the Kafka peer, and its node_modules holds no planner, IaC writer, Kubernetes client or model,
 * test runner or DI container. Needs the packages built (`npx tsc --build`) and the npm registry reachable.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packInstall } from './pack-install.mjs';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * What the application asks for: core, local and the package core's registry loads for `kafka://` (the shared driver
 * `@speedlayer/kafka`; `msk://` is `@speedlayer/aws-msk-eks`'s); the `@speedlayer` packages they need come along.
 */
const WANTED = ['@speedlayer/core', '@speedlayer/local', '@speedlayer/kafka'];
/** Packages an application's runtime must never pull in. */
const FORBIDDEN = [
  '@speedlayer/planner',
  '@speedlayer/iac',
  '@speedlayer/testing',
  '@speedlayer/cli',
  '@kubernetes/client-node',
  'kubernetes-models',
  '@kubernetes-models/keda',
  'vitest',
  'inversify',
  // a plain Kafka app needs none of MSK's or EKS's SDKs
  '@speedlayer/aws-msk-eks',
  '@aws-sdk/client-kafka',
  '@aws-sdk/client-eks',
  'aws-msk-iam-sasl-signer-js',
];

/** The app: connect, ensure a topic, send keyed records one at a time, consume them in a group, print a summary. */
const APP = `import { connect } from '@speedlayer/core';
const [uri, topic, configJson] = process.argv.slice(2);
const client = await connect(uri, { config: JSON.parse(configJson ?? '{}') });
await client.admin.ensureTopic(topic, { partitions: 3 });
const producer = client.producer();
const sent = [];
for (let i = 0; i < 30; i++) sent.push({ key: 'k' + (i % 5), value: 'v' + i });
await Promise.all(sent.map((r) => producer.send(topic, r)));
const received = [];
let done;
const all = new Promise((r) => { done = r; });
const sub = await client.subscribe({ topic, group: topic + '-g', startFrom: 'earliest' }, async (m) => {
  received.push({ key: m.key, value: Buffer.from(m.value).toString(), partition: m.partition });
  if (received.length >= sent.length) done();
});
const timer = setTimeout(() => done(), 60_000);
await all;
clearTimeout(timer);
await sub.close();
await client.close();
console.log(JSON.stringify({ target: client.target, sent: sent.length, received }));
`;

function installedNames(nodeModules: string): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      if (e.name.startsWith('@')) {
        for (const s of readdirSync(join(dir, e.name), { withFileTypes: true })) {
          names.add(`${e.name}/${s.name}`);
          walk(join(dir, e.name, s.name, 'node_modules'));
        }
        continue;
      }
      names.add(e.name);
      walk(join(dir, e.name, 'node_modules'));
    }
  };
  walk(nodeModules);
  return names;
}

interface AppResult {
  target: string;
  sent: number;
  received: { key: string | null; value: string; partition: number }[];
}

describe('packaging: core + local + kafka from tarballs in a fresh ESM app', () => {
  const dir = mkdtempSync(join(tmpdir(), 'speedlayer-pack-'));
  let app = '';
  let installed = new Set<string>();
  let measured: { packages: string[]; installed: number; nodeModulesMB: number } | undefined;

  beforeAll(async () => {
    for (const p of ['packages/core', 'packages/local', 'packages/kafka']) {
      if (!existsSync(join(root, p, 'dist', 'index.js'))) throw new Error(`${p}/dist is missing: run npx tsc --build first`);
    }
    const r = packInstall(dir, WANTED);
    app = r.app;
    measured = { packages: r.packages, installed: r.installed, nodeModulesMB: r.nodeModulesMB };
    installed = installedNames(join(app, 'node_modules'));
    writeFileSync(join(app, 'app.mjs'), APP);
    console.log(`[packaging] ${JSON.stringify(measured)}`);
  }, 600_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('packs only the @speedlayer packages the runtime needs, each with README, LICENSE and dist', () => {
    expect(measured?.packages).toEqual(['@speedlayer/core', '@speedlayer/kafka', '@speedlayer/local']);
    for (const name of measured?.packages ?? []) {
      const pkgDir = join(app, 'node_modules', name);
      expect(existsSync(join(pkgDir, 'README.md')), `${name} README.md`).toBe(true);
      expect(existsSync(join(pkgDir, 'LICENSE')), `${name} LICENSE`).toBe(true);
      const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
      expect(pkg.license).toBe('Apache-2.0');
      for (const [sub, entry] of Object.entries(pkg.exports as Record<string, { types: string; default: string }>)) {
        expect(existsSync(join(pkgDir, entry.types)), `${name}${sub.slice(1)} types`).toBe(true);
        expect(existsSync(join(pkgDir, entry.default)), `${name}${sub.slice(1)} default`).toBe(true);
      }
    }
  });

  it('pulls in no planner, IaC writer, Kubernetes client or models, test runner, DI container, or MSK/EKS SDK', () => {
    expect(installed.size).toBeGreaterThan(3);
    expect(FORBIDDEN.filter((n) => installed.has(n))).toEqual([]);
  });

  it('connects, sends and consumes on local://', async () => {
    const data = join(dir, 'data');
    const { stdout } = await run(process.execPath, ['app.mjs', `local://${data}`, 'pack-local'], { cwd: app, timeout: 120_000 });
    const out = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as AppResult;
    expect(out.target).toBe('local');
    expect(out.received.map((m) => m.value).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `v${i}`).sort());
  });

  describePeer('kafka', 'on the Kafka peer', (kafka) => {
    it('connects, sends and consumes on kafka://', async () => {
      const topic = `pack-kafka-${Date.now().toString(36)}`;
      const { stdout } = await run(process.execPath, ['app.mjs', `kafka://${kafka.bootstrap}`, topic], {
        cwd: app,
        timeout: 150_000,
      });
      const out = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as AppResult;
      expect(out.target).toBe('kafka');
      expect(out.received.map((m) => m.value).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `v${i}`).sort());
      // same key -> same partition, as any Kafka client computes it
      const partitionOf = new Map<string, Set<number>>();
      for (const m of out.received) partitionOf.set(m.key ?? '', (partitionOf.get(m.key ?? '') ?? new Set()).add(m.partition));
      for (const parts of partitionOf.values()) expect(parts.size).toBe(1);
    });
  });
});
