/**
 * `speedlayer plan` and `speedlayer compare`: turn a workload file into partitions, replicas, autoscaling bounds, cost
 * and IaC per target, and compare targets side by side. Exit codes: 0 ok (a target that cannot serve the workload is
 * reported, the others still plan), 2 bad input (field path and limit named) or no target can serve the workload.
 *
 * @packageDocumentation
 */
import { relative } from 'node:path';
import { isSpeedlayerError } from '@speedlayer/core';
import {
  checkTargetKeys,
  compareTargets,
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
import { loadPlanTargets, PLAN_TARGET_IDS } from './plan-targets.js';

/** Where the commands write; replaced in tests. */
export interface PlanIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Clock for generated-at stamps. */
  now(): Date;
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
    const result = planWorkload(workload, targets, { context: { now: io.now(), generator: 'speedlayer' } });
    const written = options.out ? await writePlanFiles(options.out, result) : undefined;
    const rel = (paths: readonly string[]) =>
      paths.map((p) => {
        const r = relative(process.cwd(), p);
        return r && !r.startsWith('..') ? r : p;
      });
    if (options.json) {
      const json = planToJson(result, written ? (t) => rel(written[t] ?? []) : undefined);
      io.stdout(`${JSON.stringify(json, null, 2)}\n`);
    } else {
      io.stdout(
        renderPlanText(result, written ? Object.fromEntries(Object.entries(written).map(([k, v]) => [k, rel(v)])) : undefined),
      );
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
    const result = planWorkload(workload, targets, { emit: false, context: { now: io.now(), generator: 'speedlayer' } });
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

/** Registers `speedlayer plan <workload> --target <id|all> [--out dir] [--json]`. */
export function registerPlan(program: Command): void {
  program
    .command('plan <workload>')
    .description('plan partitions, replicas, autoscaling, cost and secure IaC for a workload file (YAML or JSON)')
    .option('--target <ids>', `target id(s), comma-separated, or "all" (${PLAN_TARGET_IDS.join(', ')})`, 'all')
    .option('--out <dir>', 'write IaC under <dir>/<target>/')
    .option('--json', 'print one JSON object {workload, plans[]}')
    .action(async (workload: string, o: PlanCommandOptions) => setExit(await runPlan(workload, o)));
}

/** Registers `speedlayer compare <workload> [--json]`. */
export function registerCompare(program: Command): void {
  program
    .command('compare <workload>')
    .description('compare the targets side by side for a workload: numbers, cost and qualitative rows, each explained')
    .option('--target <ids>', 'target id(s), comma-separated, or "all"', 'all')
    .option('--json', 'print the comparison as JSON')
    .action(async (workload: string, o: { json?: boolean; target?: string }) => setExit(await runCompare(workload, o)));
}
