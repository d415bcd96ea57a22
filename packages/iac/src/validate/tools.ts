import { spawn } from 'node:child_process';

/** Result of running a validator process. */
export interface ToolRun {
  /** Exit code. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command without a shell and collects its output. */
export function runTool(
  exe: string,
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(exe, args, {
      cwd: options.cwd,
      env: { ...process.env, ...(options.env ?? {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** One cfn-lint finding. */
export interface CfnLintFinding {
  readonly rule: string;
  readonly level: string;
  readonly message: string;
  readonly file: string;
  readonly line: number | undefined;
}

/**
 * Runs cfn-lint (`--format json`, bundled schemas, never `--update-specs`) on templates.
 * @returns every finding; errors have level `Error`.
 */
export async function runCfnLint(exe: string, files: readonly string[]): Promise<CfnLintFinding[]> {
  const run = await runTool(exe, ['--format', 'json', '--', ...files]);
  if (run.stdout.trim() === '') {
    if (run.code === 0) return [];
    throw new Error(`cfn-lint failed (exit ${run.code}): ${run.stderr}`);
  }
  const raw = JSON.parse(run.stdout) as {
    Rule: { Id: string };
    Level: string;
    Message: string;
    Filename: string;
    Location?: { Start?: { LineNumber?: number } };
  }[];
  return raw.map((f) => ({
    rule: f.Rule.Id,
    level: f.Level,
    message: f.Message,
    file: f.Filename,
    line: f.Location?.Start?.LineNumber,
  }));
}

/** One failed checkov check. */
export interface CheckovFailure {
  readonly checkId: string;
  readonly name: string;
  readonly resource: string;
  readonly file: string;
}

/** Summary of a checkov run. */
export interface CheckovResult {
  readonly passed: number;
  readonly failed: readonly CheckovFailure[];
  readonly skipped: readonly { checkId: string; resource: string; reason: string }[];
  readonly parsingErrors: readonly string[];
}

/**
 * Runs checkov offline on a directory (`--skip-download`, update check off) for the given frameworks.
 */
export async function runCheckov(exe: string, dir: string, frameworks: readonly string[]): Promise<CheckovResult> {
  const run = await runTool(
    exe,
    ['-d', dir, '--framework', ...frameworks, '-o', 'json', '--skip-download', '--quiet', '--compact'],
    {
      env: { CKV_SKIP_PACKAGE_UPDATE_CHECK: 'true', BC_SKIP_MAPPING: 'TRUE', LOG_LEVEL: 'ERROR' },
    },
  );
  const text = run.stdout.trim();
  if (!text.startsWith('{') && !text.startsWith('[')) {
    throw new Error(`checkov produced no JSON (exit ${run.code}): ${run.stderr.slice(0, 2000)} ${text.slice(0, 500)}`);
  }
  const parsed = JSON.parse(text) as unknown;
  const reports = (Array.isArray(parsed) ? parsed : [parsed]) as {
    results?: {
      passed_checks?: unknown[];
      failed_checks?: { check_id: string; check_name: string; resource: string; file_path: string }[];
      skipped_checks?: { check_id: string; resource: string; suppress_comment?: string }[];
      parsing_errors?: string[];
    };
    summary?: { passed?: number; failed?: number; parsing_errors?: number };
  }[];
  let passed = 0;
  const failed: CheckovFailure[] = [];
  const skipped: { checkId: string; resource: string; reason: string }[] = [];
  const parsingErrors: string[] = [];
  for (const r of reports) {
    passed += r.results?.passed_checks?.length ?? r.summary?.passed ?? 0;
    for (const f of r.results?.failed_checks ?? []) {
      failed.push({ checkId: f.check_id, name: f.check_name, resource: f.resource, file: f.file_path });
    }
    for (const s of r.results?.skipped_checks ?? []) {
      skipped.push({ checkId: s.check_id, resource: s.resource, reason: s.suppress_comment ?? '' });
    }
    parsingErrors.push(...(r.results?.parsing_errors ?? []));
  }
  return { passed, failed, skipped, parsingErrors };
}

/**
 * Runs `tofu fmt -check -recursive -diff` on a directory.
 * @returns the files tofu would rewrite (empty when formatted) and its diff.
 */
export async function runTofuFmtCheck(exe: string, dir: string): Promise<{ unformatted: string[]; diff: string }> {
  const run = await runTool(exe, ['fmt', '-check', '-recursive', '-diff', '-no-color', dir]);
  if (run.code === 0) return { unformatted: [], diff: '' };
  const unformatted = run.stdout.split('\n').filter((l) => l.endsWith('.tf') && !l.startsWith('---') && !l.startsWith('+++'));
  if (unformatted.length === 0 && run.stderr.trim() !== '') throw new Error(`tofu fmt failed (exit ${run.code}): ${run.stderr}`);
  return { unformatted, diff: run.stdout };
}
