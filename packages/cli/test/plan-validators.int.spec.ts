/**
 * Every example workload, planned for every target, must pass the field's real validators: cfn-lint (no errors),
 * checkov (no failed checks; a skip only with a written reason), `tofu fmt -check`, HCL parsing, Kubernetes schemas
 * and a real kube-apiserver's server-side dry run. Each validator is also shown to reject a bad input, so a
 * validator that silently passes everything fails this suite.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  kedaCrds,
  kubeServerDryRun,
  parseHcl,
  parseK8sYaml,
  runCfnLint,
  runCheckov,
  runTofuFmtCheck,
  strimziCrds,
  validateK8sSchemas,
} from '@speedlayer/iac/validate';
import { injectPeers } from '@speedlayer/testing/peers/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPlan } from '../src/commands/plan.js';
import { PLAN_TARGET_IDS } from '../src/commands/plan-targets.js';

const EXAMPLES = ['clickstream', 'small', 'bursty', 'large-records', 'long-retention', 'orders-access'];
const examplesDir = fileURLToPath(new URL('../../../examples/workloads/', import.meta.url));

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}

/**
 * At most `n` of the calls run at once; the rest wait their turn, in order. The validators are processes that keep
 * a core busy (checkov and cfn-lint are Python, tofu is Go): more than two at once only slows a 2-core machine.
 */
function limit(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let running = 0;
  const queue: (() => void)[] = [];
  return async (fn) => {
    if (running >= n) await new Promise<void>((r) => queue.push(r));
    running++;
    try {
      return await fn();
    } finally {
      running--;
      queue.shift()?.();
    }
  };
}

const peers = injectPeers();
const validators = peers.validators;
const kube = peers.kubernetes;

describe('plan output passes the real validators', () => {
  let root: string;
  const planned: Record<string, { target: string; feasible: boolean }[]> = {};
  const slot = limit(2);
  // the dry runs apply the same CRDs for real first: one at a time
  const kubeSlot = limit(1);
  // cfn-lint once over the templates of every example (its start-up is most of a run); each example's test
  // checks the findings in its own directory
  let cfnLint: Promise<{ file: string; level: string }[]> | undefined;
  const cfnLintAll = async () => {
    const templates = (await walk(root)).filter((f) => f.includes('/cloudformation/'));
    return slot(() => runCfnLint(validators!.cfnLint, templates));
  };

  beforeAll(async () => {
    expect(validators, 'the validators peer (cfn-lint, checkov, tofu) must be up').toBeDefined();
    expect(kube, 'the kubernetes peer (kube-apiserver) must be up').toBeDefined();
    root = await mkdtemp(join(tmpdir(), 'speedlayer-validate-'));
    for (const name of EXAMPLES) {
      let out = '';
      const code = await runPlan(
        join(examplesDir, `${name}.yaml`),
        { target: 'all', out: join(root, name), json: true },
        { stdout: (t) => (out += t), stderr: () => {}, now: () => new Date('2026-01-01T00:00:00Z') },
      );
      expect(code).toBe(0);
      planned[name] = JSON.parse(out).plans;
    }
  });

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  // the examples (and the checks of one example) run side by side; `slot` bounds the validator processes
  describe.concurrent.each(EXAMPLES)('%s', (name) => {
    it('plans every target it can, and emits files for each feasible plan', async () => {
      expect(planned[name]!.map((p) => p.target)).toEqual([...PLAN_TARGET_IDS]);
      for (const p of planned[name]!.filter((x) => x.feasible)) {
        expect((await walk(join(root, name, p.target))).length).toBeGreaterThan(0);
      }
    });

    it('cfn-lint finds no errors in the CloudFormation templates', async () => {
      const dir = join(root, name);
      const templates = (await walk(dir)).filter((f) => f.includes('/cloudformation/'));
      expect(templates.length).toBeGreaterThan(0);
      cfnLint ??= cfnLintAll();
      const all = await cfnLint;
      // every finding is placed in an example's directory (none is lost to the split below)
      expect(all.filter((f) => !EXAMPLES.some((e) => f.file.startsWith(`${join(root, e)}/`)))).toEqual([]);
      const findings = all.filter((f) => f.file.startsWith(`${dir}/`));
      expect(findings.filter((f) => f.level === 'Error')).toEqual([]);
    });

    it('checkov reports no failed check, and every skip carries a reason', async () => {
      // One run over all targets of the workload (checkov starts slowly); failures name their file.
      const result = await slot(() =>
        runCheckov(validators!.checkov, join(root, name), ['terraform', 'cloudformation', 'kubernetes']),
      );
      expect(result.parsingErrors).toEqual([]);
      expect(result.failed).toEqual([]);
      expect(result.passed).toBeGreaterThan(100);
      for (const s of result.skipped)
        expect(s.reason.trim().length, `${s.checkId} on ${s.resource}: skip reason`).toBeGreaterThan(10);
    });

    it('tofu fmt -check finds nothing to rewrite and every .tf file parses as HCL', async () => {
      expect((await slot(() => runTofuFmtCheck(validators!.tofu, join(root, name)))).unformatted).toEqual([]);
      const tf = (await walk(join(root, name))).filter((f) => f.endsWith('.tf'));
      expect(tf.length).toBeGreaterThan(0);
      // Each file parses; resources sit in the concern files (versions/variables/outputs.tf hold none).
      const parsed = await Promise.all(tf.map(async (f) => parseHcl(f, await readFile(f, 'utf8'))));
      expect(parsed.filter((p) => 'resource' in p).length).toBeGreaterThan(0);
      expect(tf.filter((f) => f.endsWith('/versions.tf')).length).toBeGreaterThan(0);
    });

    it('Kubernetes objects validate against the schemas and pass a server-side dry run', async () => {
      for (const p of planned[name]!.filter((x) => x.feasible)) {
        const files = (await walk(join(root, name, p.target))).filter((f) => f.includes('/kubernetes/'));
        if (p.target === 'aws-kinesis-ecs') {
          expect(files).toEqual([]);
          continue;
        }
        const objects = (await Promise.all(files.map((f) => readFile(f, 'utf8')))).flatMap(parseK8sYaml);
        expect(objects.length).toBeGreaterThan(8);
        expect(validateK8sSchemas(objects)).toEqual([]);
        const namespaced = objects.map((o) => {
          const meta = o.metadata as { namespace?: string; name: string };
          const ns = `${name}-${p.target}`.slice(0, 63);
          if (o.kind === 'Namespace') return { ...o, metadata: { ...meta, name: ns } };
          if (o.kind === 'StorageClass') return o; // cluster-scoped
          return { ...o, metadata: { ...meta, namespace: ns } };
        });
        expect(await kubeSlot(() => kubeServerDryRun(kube!.kubeconfig, namespaced, [...kedaCrds(), ...strimziCrds()]))).toEqual(
          [],
        );
      }
    });
  });
});

// each check writes its own file or directory under `dir`
describe.concurrent('the validators reject bad input', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'speedlayer-negative-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('cfn-lint reports an unknown property as an error', async () => {
    const f = join(dir, 'bad.yaml');
    await writeFile(
      f,
      "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  S:\n    Type: AWS::Kinesis::Stream\n    Properties:\n      ShardCountt: 1\n",
    );
    const findings = await runCfnLint(validators!.cfnLint, [f]);
    expect(findings.some((x) => x.level === 'Error')).toBe(true);
  });

  it('checkov fails an unencrypted Kinesis stream', async () => {
    const d = join(dir, 'tf');
    await rm(d, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(d));
    await writeFile(join(d, 'main.tf'), 'resource "aws_kinesis_stream" "s" {\n  name        = "s"\n  shard_count = 1\n}\n');
    const r = await runCheckov(validators!.checkov, d, ['terraform']);
    expect(r.failed.map((x) => x.checkId)).toContain('CKV_AWS_43');
  });

  it('tofu fmt -check reports a misaligned file', async () => {
    const d = join(dir, 'fmt');
    await import('node:fs/promises').then((fs) => fs.mkdir(d, { recursive: true }));
    await writeFile(join(d, 'main.tf'), 'resource "x" "y" {\n  a = 1\n  long_name = 2\n}\n');
    expect((await runTofuFmtCheck(validators!.tofu, d)).unformatted.length).toBe(1);
  });

  it('the API server refuses an invalid Deployment on dry run', async () => {
    const bad = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'speedlayer-negative' } },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'bad', namespace: 'speedlayer-negative' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { a: 'b' } },
          template: { metadata: { labels: { a: 'c' } }, spec: { containers: [] } },
        },
      },
    ];
    const rejected = await kubeServerDryRun(kube!.kubeconfig, bad);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.status).toBe(422);
  });
});
