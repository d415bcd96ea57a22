import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';

/** A file to compare with its golden copy. */
export interface GoldenFile {
  readonly path: string;
  readonly content: string;
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else out.push(p);
  }
  return out;
}

/**
 * Compares emitted files with golden copies under `dir`. With `update` (tests pass `UPDATE_GOLDEN=1`) the golden
 * directory is rewritten instead. Emitters must be run with a fixed clock so the files are stable.
 * @returns the relative paths that differ, are missing or are extra (empty when equal or updated).
 */
export async function checkGolden(dir: string, files: readonly GoldenFile[], update: boolean): Promise<string[]> {
  if (update) {
    await rm(dir, { recursive: true, force: true });
    for (const f of files) {
      const p = join(dir, ...f.path.split('/'));
      await mkdir(dirname(p), { recursive: true });
      await writeFile(p, f.content, 'utf8');
    }
    return [];
  }
  const problems: string[] = [];
  const expected = new Set((await listFiles(dir)).map((p) => relative(dir, p).split('\\').join('/')));
  for (const f of files) {
    if (!expected.has(f.path)) {
      problems.push(`${f.path}: no golden copy (run with UPDATE_GOLDEN=1)`);
      continue;
    }
    expected.delete(f.path);
    const golden = await readFile(join(dir, ...f.path.split('/')), 'utf8');
    if (golden !== f.content) {
      const a = golden.split('\n');
      const b = f.content.split('\n');
      const line = a.findIndex((l, i) => l !== b[i]);
      problems.push(
        `${f.path}: differs from golden at line ${line + 1}: golden ${JSON.stringify(a[line])}, emitted ${JSON.stringify(b[line])}`,
      );
    }
  }
  for (const extra of expected) problems.push(`${extra}: golden copy no longer emitted`);
  return problems;
}
