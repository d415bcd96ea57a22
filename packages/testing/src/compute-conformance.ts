/**
 * The compute conformance suite: the same named steps against every compute adapter.
 *
 * @packageDocumentation
 */
import { type ComputeClient, connect, createCompute, type StreamClient, type WorkloadSpec } from '@speedlayer/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName, waitFor } from './helpers.js';

/** The named steps, in the order they run. */
export const COMPUTE_STEPS = [
  'deploy is idempotent and status reports the desired replicas',
  'replicas run where the target runs them (or the suite says they cannot)',
  'scale up and down',
  'alignReplicas sets replicas and the autoscaler maximum to the partition count',
  'an invalid spec is refused with the field named',
  'remove is idempotent and status of a removed workload is not-found',
  'lifecycle: close twice is safe',
] as const;

/** One step's name. */
export type ComputeStep = (typeof COMPUTE_STEPS)[number];

/** A matrix entry for a compute target. */
export interface ComputeConformanceTarget {
  /** Name shown in the test path. */
  name: string;
  /** Compute URI (or a function giving it after peers are up). */
  uri: string | (() => string | Promise<string>);
  /** Config for `createCompute`. */
  config?: Record<string, unknown> | (() => Record<string, unknown> | Promise<Record<string, unknown>>);
  /** A stream URI whose topics drive `alignReplicas`. */
  streamUri: string | (() => string | Promise<string>);
  /** Fills in what the target needs around a name (command, image, service account...). */
  workload: (name: string) => Omit<WorkloadSpec, 'name' | 'replicas'>;
  /** Steps this target cannot run, each with the reason (printed, never silent). */
  skip?: Partial<Record<ComputeStep, string>>;
}

/** Registers the compute conformance suite for one target with vitest. */
export function computeConformance(target: ComputeConformanceTarget): void {
  let compute: ComputeClient;
  let stream: StreamClient;
  const names: string[] = [];
  const name = () => {
    const n = uniqueName('cc')
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-')
      .slice(0, 50);
    names.push(n);
    return n;
  };
  const spec = (n: string, replicas: number, extra: Partial<WorkloadSpec> = {}): WorkloadSpec => ({
    ...target.workload(n),
    name: n,
    replicas,
    ...extra,
  });
  const step = (s: ComputeStep, fn: () => Promise<void>, timeoutMs = 60_000) => {
    const reason = target.skip?.[s];
    if (reason) it.skip(`${s} — skipped on ${target.name}: ${reason}`, () => {});
    else it(s, fn, timeoutMs);
  };

  describe(`compute conformance: ${target.name}`, () => {
    beforeAll(async () => {
      const uri = typeof target.uri === 'function' ? await target.uri() : target.uri;
      const config = typeof target.config === 'function' ? await target.config() : target.config;
      compute = await createCompute(uri, config ? { config } : {});
      stream = await connect(typeof target.streamUri === 'function' ? await target.streamUri() : target.streamUri);
    }, 120_000);

    afterAll(async () => {
      for (const n of names) await compute?.remove(n).catch(() => {});
      await compute?.close();
      await stream?.close();
    });

    step('deploy is idempotent and status reports the desired replicas', async () => {
      const n = name();
      const a = await compute.deploy(spec(n, 2));
      const b = await compute.deploy(spec(n, 2));
      expect(a.name).toBe(n);
      expect(a.desiredReplicas).toBe(2);
      expect(b.desiredReplicas).toBe(2);
      const s = await compute.status(n);
      expect(s.desiredReplicas).toBe(2);
      if (compute.capabilities.runsReplicas) {
        await waitFor(async () => (await compute.status(n)).readyReplicas === 2, 'two ready replicas');
        expect((await compute.status(n)).replicas).toHaveLength(2);
      }
    });

    step('replicas run where the target runs them (or the suite says they cannot)', async () => {
      const n = name();
      await compute.deploy(spec(n, 1));
      if (compute.capabilities.runsReplicas) {
        await waitFor(async () => (await compute.status(n)).readyReplicas === 1, 'one ready replica');
      } else {
        // No kubelet or task runner here: nothing may claim to be ready.
        expect((await compute.status(n)).readyReplicas).toBe(0);
      }
    });

    step('scale up and down', async () => {
      const n = name();
      await compute.deploy(spec(n, 1));
      expect((await compute.scale(n, 3)).desiredReplicas).toBe(3);
      if (compute.capabilities.runsReplicas)
        await waitFor(async () => (await compute.status(n)).readyReplicas === 3, 'three ready');
      expect((await compute.scale(n, 1)).desiredReplicas).toBe(1);
      if (compute.capabilities.runsReplicas)
        await waitFor(async () => (await compute.status(n)).readyReplicas === 1, 'one ready');
      expect((await compute.status(n)).desiredReplicas).toBe(1);
      await expect(compute.scale(uniqueName('missing').toLowerCase(), 2)).rejects.toMatchObject({ kind: 'not-found' });
    });

    step('alignReplicas sets replicas and the autoscaler maximum to the partition count', async () => {
      const topic = uniqueName('cc-align');
      await stream.admin.ensureTopic(topic, { partitions: 3 });
      const n = name();
      await compute.deploy(spec(n, 1, { autoscaling: { min: 1, max: 1 } }));
      const s = await compute.alignReplicas(stream, topic, n);
      expect(s.desiredReplicas).toBe(3);
      expect(s.autoscaling?.max).toBe(3);
      expect((await compute.status(n)).desiredReplicas).toBe(3);
    });

    step('an invalid spec is refused with the field named', async () => {
      await expect(compute.deploy(spec('Not_A_Valid_Name', 1))).rejects.toMatchObject({ kind: 'validation', field: 'name' });
      await expect(compute.deploy(spec(name(), -1))).rejects.toMatchObject({ kind: 'validation', field: 'replicas' });
    });

    step('remove is idempotent and status of a removed workload is not-found', async () => {
      const n = name();
      await compute.deploy(spec(n, 1));
      await compute.remove(n);
      await compute.remove(n);
      await expect(compute.status(n)).rejects.toMatchObject({ kind: 'not-found' });
    });

    step('lifecycle: close twice is safe', async () => {
      const uri = typeof target.uri === 'function' ? await target.uri() : target.uri;
      const c = await createCompute(uri);
      await c.close();
      await c.close();
    });
  });
}
