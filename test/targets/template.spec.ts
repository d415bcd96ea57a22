/**
 * "Adding a target = one adapter folder + one registry line", tested: the adapter template's descriptor
 * (`templates/adapter/src/target.ts`), registered in-process as its registry line would list it, is picked up by
 * `connect()`, by the planner's target list (and `plan`), and by the conformance matrix builder, with no other change.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  connect,
  registerTarget,
  streamSchemes,
  type TargetDescriptor,
  targetDescriptors,
  unregisterTarget,
} from '@speedlayer/core';
import { loadPlannerTargets, loadWorkload, plannableTargets, planWorkload } from '@speedlayer/planner';
import { streamMatrixOf } from '@speedlayer/testing/conformance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetRows, targetTable } from '../../packages/cli/src/commands/targets.js';
import { templateDescriptor } from '../../templates/adapter/src/target.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const src = (file: string) => pathToFileURL(join(root, 'templates', 'adapter', 'src', file)).href;

// The template as if its package were installed: its module references point at the folder's sources.
const installed: TargetDescriptor = {
  ...templateDescriptor,
  stream: { module: src('index.ts'), export: 'streamFactory' },
  limits: { module: src('plan/index.ts'), export: 'ACME_LIMITS' },
  prices: { module: src('plan/index.ts'), export: 'ACME_PRICES' },
  plan: { module: src('plan/index.ts'), export: 'plannerTarget' },
};

describe('a target added from the adapter template', () => {
  beforeAll(() => registerTarget(installed));
  afterAll(() => unregisterTarget(installed.id));

  it('is listed by the registry after the built-in targets, with its scheme', async () => {
    const ids = (await targetDescriptors()).map((d) => d.id);
    expect(ids.at(-1)).toBe('acme-stream');
    expect(ids).toContain('local');
    expect(streamSchemes()).toContain('acme');
  });

  it("connect('acme://…') reaches the template's stream factory (its not-written-yet error)", async () => {
    await expect(connect('acme://cluster-1')).rejects.toMatchObject({
      kind: 'unsupported',
      target: 'acme-stream',
      message: 'acme-stream: the driver for acme:// is not written yet',
    });
  });

  it("is in the planner's target list and plans a workload through its profile", async () => {
    expect((await plannableTargets()).map((d) => d.id).at(-1)).toBe('acme-stream');
    const [profile] = await loadPlannerTargets(['acme-stream']);
    expect(profile).toMatchObject({ id: 'acme-stream', title: 'Acme Stream + Kubernetes' });
    const all = await loadPlannerTargets(['all']);
    expect(all.map((t) => t.id)).toContain('acme-stream');
    const workload = await loadWorkload(join(root, 'examples', 'workloads', 'small.yaml'));
    const result = planWorkload(workload, [profile!], { context: { generator: 'speedlayer test' } });
    const plan = result.results[0]!.plan;
    expect(plan).toMatchObject({ target: 'acme-stream', feasible: true });
    expect(plan.partitions).toBeGreaterThan(0);
    expect(plan.replicas.max).toBe(plan.partitions);
  });

  it('is listed by `speedlayer targets` with its scheme and planning', async () => {
    const rows = targetRows(await targetDescriptors());
    expect(rows.at(-1)).toEqual({
      id: 'acme-stream',
      title: 'Acme Stream + Kubernetes',
      package: '@speedlayer/TEMPLATE',
      streams: ['acme://'],
      computes: [],
      plan: true,
    });
    expect(targetTable(rows).split('\n').at(-2)).toMatch(
      /^acme-stream +Acme Stream \+ Kubernetes +acme:\/\/ +- +yes +@speedlayer\/TEMPLATE$/,
    );
  });

  it('is in the conformance matrix once the peers give its URI, and left out while they do not', async () => {
    const descriptors = await targetDescriptors();
    expect(streamMatrixOf(descriptors, { targets: ['acme-stream'] })).toEqual([]);
    const [entry, ...more] = streamMatrixOf(descriptors, { streams: { acme: 'acme://127.0.0.1:7000' } }).filter(
      (t) => t.name === 'acme-stream',
    );
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ uri: 'acme://127.0.0.1:7000', nativeClient: 'AcmeClient' });
  });

  it('is gone again once unregistered (the built-in registry is unchanged)', async () => {
    unregisterTarget(installed.id);
    try {
      expect((await targetDescriptors()).map((d) => d.id)).not.toContain('acme-stream');
      await expect(connect('acme://x')).rejects.toThrow(/unknown stream scheme "acme:\/\/"/);
    } finally {
      registerTarget(installed);
    }
  });
});

describe('conformance matrix builder', () => {
  const base: TargetDescriptor = { id: 'x', title: 'X', package: '@x/x', streamSchemes: ['x'] };

  it('refuses a skip naming no step of the suite, naming the entry', () => {
    const bad: TargetDescriptor = {
      ...base,
      conformance: { stream: [{ scheme: 'x', uri: 'x://', nativeClient: false, skip: { 'no such step': 'why' } }] },
    };
    expect(() => streamMatrixOf([bad])).toThrow(expect.objectContaining({ field: 'x.conformance.stream[0].skip' }));
  });

  it('carries the entry: name, connect config, subscribe defaults, lag and slowness', () => {
    const d: TargetDescriptor = {
      ...base,
      conformance: {
        stream: [
          {
            name: 'x (tls)',
            scheme: 'x',
            nativeClient: 'XClient',
            config: { tls: true },
            subscribeDefaults: { sessionTimeoutMs: 2000 },
            lag: false,
            slowness: 3,
          },
        ],
      },
    };
    expect(streamMatrixOf([d], { streams: { x: 'x://h' } })).toEqual([
      {
        name: 'x (tls)',
        uri: 'x://h',
        nativeClient: 'XClient',
        skip: {},
        connectOptions: { config: { tls: true } },
        subscribeDefaults: { sessionTimeoutMs: 2000 },
        lag: false,
        slowness: 3,
      },
    ]);
  });
});
