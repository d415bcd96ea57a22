// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} here are manifest placeholders and HCL, not JS templates
/**
 * `speedlayer plan --check` runs the Rego policies shipped in `@speedlayer/iac/policy` with a real conftest (built by
 * the validators peer). Every example workload, planned for every target in both scopes, passes; a violation planted
 * in the output fails exactly the policy it breaks, and the command exits non-zero.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeK8sYaml } from '@speedlayer/iac';
import { type PolicyCheckResult, parseK8sYaml, runPolicyCheck } from '@speedlayer/iac/validate';
import { injectPeers } from '@speedlayer/testing/peers/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPlan } from '../src/commands/plan.js';

const EXAMPLES = ['clickstream', 'small', 'bursty', 'large-records', 'long-retention', 'orders-access'];
const POLICIES = ['dead_letters', 'dns_egress', 'keda_identity', 'netpol_enforced', 'one_autoscaler', 'pinned_images'];
const examplesDir = fileURLToPath(new URL('../../../examples/workloads/', import.meta.url));
const conftest = injectPeers().validators?.conftest;

async function plan(
  name: string,
  out: string,
  extra: { scope?: string; conftest?: string } = {},
): Promise<{ code: number; json: { check?: PolicyCheckResult }; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runPlan(
    join(examplesDir, `${name}.yaml`),
    {
      target: 'all',
      out,
      json: true,
      check: true,
      conftest: extra.conftest ?? conftest ?? 'conftest',
      ...(extra.scope ? { scope: extra.scope } : {}),
    },
    { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) },
  );
  return { code, json: stdout ? JSON.parse(stdout) : {}, stderr };
}

const failing = (r: PolicyCheckResult) => r.policies.filter((p) => p.failures.length > 0).map((p) => p.policy);

describe('plan --check (conftest + shipped Rego policies)', () => {
  let root: string;
  beforeAll(async () => {
    expect(conftest, 'the validators peer (conftest) must be up').toBeDefined();
    root = await mkdtemp(join(tmpdir(), 'speedlayer-plan-check-'));
  });
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  describe.each(['full', 'workload'])('--scope %s', (scope) => {
    it.each(EXAMPLES)('%s: every policy passes on every target', async (name) => {
      const r = await plan(name, join(root, scope, name), { scope });
      // Only "cannot serve" notes (large-records exceeds Event Hubs' event size), never a violation.
      expect(r.stderr.split('\n').filter((l) => l && !l.includes('cannot serve this workload'))).toEqual([]);
      expect(r.code).toBe(0);
      const check = r.json.check!;
      expect(check.policies.map((p) => p.policy)).toEqual(POLICIES);
      expect(check.policies.filter((p) => p.failures.length > 0)).toEqual([]);
      expect(check.files).toBeGreaterThan(20);
    });
  });

  describe('a planted violation fails its policy', () => {
    let dir: string;
    beforeAll(async () => {
      dir = join(root, 'planted-base');
      expect((await plan('clickstream', dir)).code).toBe(0);
    });

    const plants: [policy: string, plant: (d: string) => Promise<void>][] = [
      [
        'dns_egress',
        async (d) => {
          const f = join(d, 'gcp-pubsub-gke/kubernetes/10-worker.yaml');
          const objs = parseK8sYaml(await readFile(f, 'utf8')) as { kind: string; spec: { egress?: unknown[] } }[];
          for (const o of objs) if (o.kind === 'NetworkPolicy' && o.spec.egress) o.spec.egress = o.spec.egress.slice(1);
          await writeFile(f, writeK8sYaml(objs as never));
        },
      ],
      [
        'dead_letters',
        async (d) => {
          const f = join(d, 'aws-kinesis-ecs/terraform/stream.tf');
          const text = await readFile(f, 'utf8');
          const cut = text.replace(/resource "aws_kinesis_stream" "dead_letter" \{[\s\S]*?\n\}\n/, '');
          expect(cut).not.toBe(text);
          await writeFile(f, cut);
        },
      ],
      [
        'pinned_images',
        async (d) => {
          const f = join(d, 'azure-eventhubs-aks/kubernetes/10-worker.yaml');
          await writeFile(f, (await readFile(f, 'utf8')).replaceAll('@${WORKER_IMAGE_DIGEST}', ':0.1.0'));
        },
      ],
      [
        'pinned_images',
        async (d) => {
          const f = join(d, 'aws-kinesis-ecs/ecs/clickstream-g1.task-definition.json');
          const def = JSON.parse(await readFile(f, 'utf8')) as { containerDefinitions: { image: string }[] };
          def.containerDefinitions[0]!.image = 'ghcr.io/speedlayer/worker:0.1.0';
          await writeFile(f, JSON.stringify(def));
        },
      ],
      [
        'netpol_enforced',
        async (d) => {
          const f = join(d, 'aws-msk-eks/terraform/compute.tf');
          const text = await readFile(f, 'utf8');
          expect(text).toContain('enableNetworkPolicy = "true"');
          await writeFile(f, text.replace('enableNetworkPolicy = "true"', 'enableNetworkPolicy = "false"'));
        },
      ],
      [
        'keda_identity',
        async (d) => {
          const f = join(d, 'gcp-pubsub-gke/terraform/identity.tf');
          const text = await readFile(f, 'utf8');
          const cut = text.replace(/resource "google_project_iam_member" "keda_monitoring_viewer" \{[\s\S]*?\n\}\n/, '');
          expect(cut).not.toBe(text);
          await writeFile(f, cut);
        },
      ],
      [
        'one_autoscaler',
        async (d) => {
          await cp(join(d, 'aws-msk-eks/kubernetes/alternatives/hpa.yaml'), join(d, 'aws-msk-eks/kubernetes/30-hpa.yaml'));
        },
      ],
    ];

    it('the unplanted copy passes (the plants below are the only change)', async () => {
      const r = await runPolicyCheck(conftest!, dir);
      expect(failing(r)).toEqual([]);
    });

    it.each(plants)('%s (plant %#)', async (policy, plantIt) => {
      const d = join(root, `planted-${policy}`);
      await cp(dir, d, { recursive: true });
      await plantIt(d);
      const r = await runPolicyCheck(conftest!, d);
      expect(failing(r)).toEqual([policy]);
      expect(r.failed).toBeGreaterThan(0);
    });

    it('plan --check exits 1 and names the violation when the output directory holds a failing file', async () => {
      const out = join(root, 'exit-code');
      await mkdir(join(out, 'aws-msk-eks/kubernetes'), { recursive: true });
      await writeFile(
        join(out, 'aws-msk-eks/kubernetes/90-extra.yaml'),
        writeK8sYaml([
          {
            apiVersion: 'batch/v1',
            kind: 'Job',
            metadata: { name: 'extra', namespace: 'clickstream' },
            spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'x', image: 'busybox:latest' }] } } },
          },
        ]),
      );
      const r = await plan('clickstream', out);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/plan --check: \d+ policy violation/);
      expect(failing(r.json.check!)).toEqual(['pinned_images']);
    });
  });

  it('names how to get conftest when it is missing, and rejects an unknown scope', async () => {
    const missing = await plan('small', join(root, 'missing'), { conftest: join(root, 'no-such-conftest') });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--check: conftest not found');
    expect(missing.stderr).toContain('speedlayer peers up validators');
    const bad = await plan('small', join(root, 'bad-scope'), { scope: 'cluster' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--scope: must be one of full, workload');
  });
});
