/**
 * `speedlayer plan` and `speedlayer compare`: turn a workload file into partitions, replicas, autoscaling bounds, cost
 * and IaC per target, and compare targets side by side. `plan --scope workload` emits only what the workload needs in
 * an existing cluster; `plan --check` runs the shipped Rego policies on the files with conftest. Exit codes: 0 ok (a
 * target that cannot serve the workload is reported, the others still plan), 1 a policy failed (`--check`), 2 bad
 * input (field path and limit named), no target can serve the workload, or no conftest for `--check`.
 *
 * @packageDocumentation
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { isSpeedlayerError, ValidationError } from '@speedlayer/core';
import type { PolicyCheckResult } from '@speedlayer/iac/validate';
import {
  checkTargetKeys,
  compareTargets,
  type EmitScope,
  loadWorkload,
  planToJson,
  planWorkload,
  renderComparison,
  renderPlanText,
  WorkloadNotServableError,
  WorkloadValidationError,
  writePlanFiles,
} from '@speedlayer/planner';
import type { Command } from 'commander';
import { examples } from '../common.js';
import { loadPlanTargets, PLAN_TARGET_IDS } from './plan-targets.js';

/** Where the commands write; replaced in tests. */
export interface PlanIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** @deprecated Unused: plans carry no timestamp (re-planning gives byte-identical files). */
  now?(): Date;
}

const processIo: PlanIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  now: () => new Date(),
};

/** Options of {@link runPlan}. */
export interface PlanCommandOptions {
  /** Target ids or `all`. @default all */
  target?: string;
  /** Directory to write IaC into (`<out>/<target>/...`). */
  out?: string;
  /** Print one JSON object. */
  json?: boolean;
  /** `full` (whole stack) or `workload` (only the workload's resources in an existing cluster). @default full */
  scope?: string;
  /** Run the shipped policies on the emitted files with conftest; exit 1 on a violation. */
  check?: boolean;
  /** conftest executable for `check`. @default `$SPEEDLAYER_CONFTEST`, the validators peer's, or `conftest` on PATH */
  conftest?: string;
}

const SCOPES: readonly EmitScope[] = ['full', 'workload'];

function parseScope(value: string | undefined): EmitScope {
  const scope = value ?? 'full';
  if (!(SCOPES as readonly string[]).includes(scope)) {
    throw new ValidationError(`--scope: must be one of ${SCOPES.join(', ')} (got "${scope}")`, { field: '--scope' });
  }
  return scope as EmitScope;
}

async function findConftest(explicit: string | undefined): Promise<string> {
  if (explicit) return explicit;
  if (process.env.SPEEDLAYER_CONFTEST) return process.env.SPEEDLAYER_CONFTEST;
  const { peersStatus } = await import('@speedlayer/testing/peers');
  return (await peersStatus().catch(() => undefined))?.validators?.conftest ?? 'conftest';
}

/** Runs the policies over `dir`; a missing engine is a validation error naming how to get one. */
async function checkPolicies(dir: string, conftest: string | undefined): Promise<PolicyCheckResult> {
  const { runPolicyCheck } = await import('@speedlayer/iac/validate');
  const exe = await findConftest(conftest);
  try {
    return await runPolicyCheck(exe, dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ValidationError(
        `--check: conftest not found (${exe}): run \`speedlayer peers up validators\` or set SPEEDLAYER_CONFTEST`,
        { field: '--check' },
      );
    }
    throw e;
  }
}

function renderCheck(r: PolicyCheckResult): string {
  const verdict = r.failed === 0 ? 'passed' : `${r.failed} violation(s)`;
  const lines = [`policy check (conftest, ${r.policies.length} policies over ${r.files} files): ${verdict}`];
  for (const p of r.policies) {
    lines.push(`  ${p.failures.length === 0 ? 'ok  ' : 'FAIL'} ${p.policy} (${p.passed} passed, ${p.failures.length} failed)`);
    for (const f of p.failures) lines.push(`       ${f}`);
  }
  return `${lines.join('\n')}\n`;
}

function reportInputError(e: unknown, io: PlanIo): number {
  if (e instanceof WorkloadValidationError) {
    io.stderr(`speedlayer: ${e.message}\n`);
    return 2;
  }
  if (isSpeedlayerError(e) && (e.kind === 'validation' || e.kind === 'config')) {
    io.stderr(`speedlayer: ${e.message}\n`);
    return 2;
  }
  throw e;
}

function targetList(option: string | undefined): string[] {
  return (option ?? 'all')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Runs `speedlayer plan`.
 * @returns the exit code: 0, or 2 for bad input or when no selected target can serve the workload.
 */
export async function runPlan(workloadPath: string, options: PlanCommandOptions, io: PlanIo = processIo): Promise<number> {
  try {
    const workload = await loadWorkload(workloadPath);
    checkTargetKeys(workload, PLAN_TARGET_IDS);
    const targets = await loadPlanTargets(targetList(options.target));
    const scope = parseScope(options.scope);
    const result = planWorkload(workload, targets, { context: { generator: 'speedlayer', scope } });
    const written = options.out ? await writePlanFiles(options.out, result) : undefined;
    let check: PolicyCheckResult | undefined;
    if (options.check) {
      const dir = options.out ?? (await mkdtemp(join(tmpdir(), 'speedlayer-plan-check-')));
      try {
        if (!options.out) await writePlanFiles(dir, result);
        check = await checkPolicies(dir, options.conftest);
      } finally {
        if (!options.out) await rm(dir, { recursive: true, force: true });
      }
    }
    const rel = (paths: readonly string[]) =>
      paths.map((p) => {
        const r = relative(process.cwd(), p);
        return r && !r.startsWith('..') ? r : p;
      });
    if (options.json) {
      const json = planToJson(result, written ? (t) => rel(written[t] ?? []) : undefined);
      io.stdout(`${JSON.stringify(check ? { ...json, scope, check } : { ...json, scope }, null, 2)}\n`);
    } else {
      io.stdout(
        renderPlanText(result, written ? Object.fromEntries(Object.entries(written).map(([k, v]) => [k, rel(v)])) : undefined),
      );
      if (check) io.stdout(renderCheck(check));
    }
    const infeasible = result.results.filter((r) => !r.plan.feasible);
    if (infeasible.length === result.results.length) {
      io.stderr(`speedlayer: ${new WorkloadNotServableError(infeasible.map((r) => r.plan)).message}\n`);
      return 2;
    }
    for (const r of infeasible) {
      io.stderr(
        `speedlayer: ${r.plan.target} cannot serve this workload: ${r.plan.blockers.map((b) => `${b.field}: ${b.message}`).join('; ')}\n`,
      );
    }
    if (check && check.failed > 0) {
      io.stderr(`speedlayer: plan --check: ${check.failed} policy violation(s)\n`);
      return 1;
    }
    return 0;
  } catch (e) {
    return reportInputError(e, io);
  }
}

/**
 * Runs `speedlayer compare`.
 * @returns the exit code: 0, or 2 for bad input or when no target can serve the workload.
 */
export async function runCompare(
  workloadPath: string,
  options: { json?: boolean; target?: string },
  io: PlanIo = processIo,
): Promise<number> {
  try {
    const workload = await loadWorkload(workloadPath);
    checkTargetKeys(workload, PLAN_TARGET_IDS);
    const targets = await loadPlanTargets(targetList(options.target));
    const result = planWorkload(workload, targets, { emit: false, context: { generator: 'speedlayer' } });
    const comparison = compareTargets(result, targets);
    if (options.json) {
      io.stdout(`${JSON.stringify({ workload: result.workload, comparison, plans: planToJson(result).plans }, null, 2)}\n`);
    } else {
      io.stdout(renderComparison(comparison));
    }
    if (result.results.every((r) => !r.plan.feasible)) {
      io.stderr(`speedlayer: ${new WorkloadNotServableError(result.results.map((r) => r.plan)).message}\n`);
      return 2;
    }
    return 0;
  } catch (e) {
    return reportInputError(e, io);
  }
}

function setExit(code: number): void {
  if (code !== 0) process.exitCode = code;
}

/** Registers `speedlayer plan <workload> --target <id|all> [--out dir] [--scope full|workload] [--check] [--json]`. */
export function registerPlan(program: Command): void {
  program
    .command('plan <workload>')
    .description('plan partitions, replicas, autoscaling, cost and secure IaC for a workload file (YAML or JSON)')
    .option('--target <ids>', `target id(s), comma-separated, or "all" (${PLAN_TARGET_IDS.join(', ')})`, 'all')
    .option('--out <dir>', 'write IaC under <dir>/<target>/')
    .option('--json', 'print one JSON object {workload, plans[]}')
    .option('--scope <scope>', 'full: the whole stack; workload: only what the workload needs in an existing cluster', 'full')
    .option('--check', 'run the shipped Rego policies on the emitted files with conftest; exit 1 on a violation')
    .option('--conftest <path>', 'conftest executable for --check (default: $SPEEDLAYER_CONFTEST, the validators peer, PATH)')
    .addHelpText('after', examples('speedlayer plan workload.yaml --target aws-msk-eks,gcp-pubsub-gke --out iac'))
    .action(async (workload: string, o: PlanCommandOptions) => setExit(await runPlan(workload, o)));
}

/** Registers `speedlayer compare <workload> [--json]`. */
export function registerCompare(program: Command): void {
  program
    .command('compare <workload>')
    .description('compare the targets side by side for a workload: numbers, cost and qualitative rows, each explained')
    .option('--target <ids>', 'target id(s), comma-separated, or "all"', 'all')
    .option('--json', 'print the comparison as JSON')
    .addHelpText('after', examples('speedlayer compare workload.yaml'))
    .action(async (workload: string, o: { json?: boolean; target?: string }) => setExit(await runCompare(workload, o)));
}
