import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTool } from './tools.js';

/**
 * The Rego policies shipped with `@speedlayer/iac` (its `policy/` directory), run by conftest over a plan's files:
 * DNS egress allowed, dead-letter topics provisioned and granted, images pinned by digest, NetworkPolicy
 * enforcement on, KEDA identities granted, one autoscaler per Deployment.
 */
export const POLICY_DIR = fileURLToPath(new URL('../../policy/', import.meta.url));

/** The outcome of one policy (a Rego package) over a plan. */
export interface PolicyOutcome {
  /** Package name without the `speedlayer.` prefix, e.g. `dns_egress`. */
  readonly policy: string;
  /** Rules that held. */
  readonly passed: number;
  /** Violation messages (each names the file and the object). */
  readonly failures: readonly string[];
}

/** Result of {@link runPolicyCheck}. */
export interface PolicyCheckResult {
  /** Files checked. */
  readonly files: number;
  /** One entry per policy, sorted by name. */
  readonly policies: readonly PolicyOutcome[];
  /** Total violations. */
  readonly failed: number;
}

async function planFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await planFiles(p)));
    else if (/\.(tf|ya?ml|json)$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

/**
 * Runs conftest (`test --combine --all-namespaces`) with the shipped policies over every `.tf`, YAML and JSON file under
 * `dir` (one or more targets' output; each target directory is checked on its own).
 * @throws Error when conftest cannot run or parse the files (not for violations: those are in the result).
 */
export async function runPolicyCheck(conftest: string, dir: string, policyDir: string = POLICY_DIR): Promise<PolicyCheckResult> {
  const files = await planFiles(dir);
  if (files.length === 0) return { files: 0, policies: [], failed: 0 };
  const run = await runTool(conftest, [
    'test',
    '--combine',
    '--all-namespaces',
    '--no-color',
    '--output',
    'json',
    '--policy',
    policyDir,
    ...files,
  ]);
  const text = run.stdout.trim();
  if (!text.startsWith('[')) throw new Error(`conftest failed (exit ${run.code}): ${(run.stderr || text).slice(0, 2000)}`);
  const raw = JSON.parse(text) as { namespace: string; successes?: number; failures?: { msg: string }[] | null }[];
  const policies = raw
    .filter((r) => r.namespace !== 'speedlayer.lib')
    .map((r) => ({
      policy: r.namespace.replace(/^speedlayer\./, ''),
      passed: r.successes ?? 0,
      failures: (r.failures ?? []).map((f) => f.msg),
    }))
    .sort((a, b) => a.policy.localeCompare(b.policy));
  return { files: files.length, policies, failed: policies.reduce((n, p) => n + p.failures.length, 0) };
}
