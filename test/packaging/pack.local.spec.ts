/**
 * What `npm pack` ships, without the registry: (1) a package's `prepack` builds its TypeScript project, so a tarball
 * packed from a checkout with no `dist` still has one; (2) every entry point of every published package (`main`,
 * `types`, each `exports` subpath: `./plan`, `./di`, `./eks`, `./target`, testing's `./conformance`, ...) resolves
 * from the unpacked tarballs, for Node (the `default` file exists) and for TypeScript (`moduleResolution: nodenext`
 * finds the `types`). Needs the packages built (`npx tsc --build`) for (2).
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pack, packWorkspaces, workspaces } from './pack-install.mjs';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

async function tarList(tarball: string): Promise<string[]> {
  const { stdout } = await run('tar', ['-tzf', tarball]);
  return stdout.split('\n').filter(Boolean);
}

describe('prepack', () => {
  const dir = mkdtempSync(join(tmpdir(), 'speedlayer-prepack-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('builds dist when it is missing, so npm pack never ships a package without it', async () => {
    // A copy of @speedlayer/core as a fresh checkout has it (sources, no dist), beside the shared base tsconfig and
    // with the repository's node_modules (TypeScript, @types/node, core's dependencies) one level up, as in the repo.
    const pkgDir = join(dir, 'packages', 'core');
    for (const f of ['package.json', 'tsconfig.json', 'README.md', 'LICENSE', 'src']) {
      cpSync(join(root, 'packages', 'core', f), join(pkgDir, f), { recursive: true });
    }
    cpSync(join(root, 'tsconfig.base.json'), join(dir, 'tsconfig.base.json'));
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const out = join(dir, 'out');
    mkdirSync(out);
    expect(existsSync(join(pkgDir, 'dist'))).toBe(false);

    // Without its scripts the tarball would lack every entry point, and the pack helper says which.
    expect(() => pack(pkgDir, out)).toThrow(
      /@speedlayer\/core: the tarball lacks main -> dist\/index\.js, .*exports\["\.\/di"\]\.types -> dist\/di\.d\.ts/,
    );

    // a build output whose source was deleted since (tsc --build leaves it): prepack starts from an empty dist
    mkdirSync(join(pkgDir, 'dist'));
    writeFileSync(join(pkgDir, 'dist', 'deleted-source.js'), 'export const stale = true;\n');

    const t0 = performance.now();
    const info = pack(pkgDir, out, { scripts: true });
    console.log(`[packaging] prepack build + pack of @speedlayer/core: ${Math.round(performance.now() - t0)} ms`);
    const files = await tarList(join(out, info.filename));
    expect(files).toEqual(
      expect.arrayContaining(['package/dist/index.js', 'package/dist/index.d.ts', 'package/dist/di.js', 'package/dist/di.d.ts']),
    );
    // built from this checkout's sources: every source module has its compiled file
    const sources = files.filter((f) => /^package\/src\/.*\.ts$/.test(f));
    expect(sources.length).toBeGreaterThan(5);
    for (const s of sources) expect(files, s).toContain(s.replace('package/src/', 'package/dist/').replace(/\.ts$/, '.js'));
    expect(files).not.toContain('package/dist/deleted-source.js');
  });
});

describe('entry points of the packed tarballs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'speedlayer-exports-'));
  const app = join(dir, 'app');
  /** Every `@speedlayer/...[/subpath]` a published package exports. */
  const specifiers: string[] = [];

  beforeAll(async () => {
    const out = join(dir, 'tarballs');
    mkdirSync(out, { recursive: true });
    const all = workspaces();
    const infos = packWorkspaces([...all.keys()], out, { all });
    for (const [name, ws] of all) {
      const info = infos[name]!;
      const target = join(app, 'node_modules', name);
      mkdirSync(target, { recursive: true });
      await run('tar', ['-xzf', join(out, info.filename), '-C', target, '--strip-components=1']);
      const exports = (ws.pkg.exports ?? {}) as Record<string, unknown>;
      for (const sub of Object.keys(exports)) specifiers.push(sub === '.' ? name : `${name}/${sub.slice(2)}`);
    }
    writeFileSync(join(app, 'package.json'), '{ "name": "exports-check", "private": true, "type": "module" }\n');
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Specifiers Node cannot resolve to an existing file, with why. */
  async function unresolvedByNode(list: string[]): Promise<string[]> {
    const script = `import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const bad = [];
for (const s of ${JSON.stringify(list)}) {
  try {
    const file = fileURLToPath(import.meta.resolve(s));
    if (!existsSync(file)) bad.push(s + ': ' + file + ' missing');
  } catch (e) { bad.push(s + ': ' + e.code); }
}
console.log(JSON.stringify(bad));`;
    writeFileSync(join(app, 'resolve.mjs'), script);
    const { stdout } = await run(process.execPath, ['resolve.mjs'], { cwd: app });
    return JSON.parse(stdout) as string[];
  }

  /** TypeScript's errors for a file importing every specifier's types (nodenext resolution, as an ESM app has it). */
  async function typeErrors(list: string[]): Promise<string[]> {
    writeFileSync(join(app, 'check.mts'), list.map((s, i) => `import type * as m${i} from '${s}';\n`).join(''));
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', noEmit: true, skipLibCheck: true, types: [] },
        files: ['check.mts'],
      }),
    );
    try {
      await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: app });
      return [];
    } catch (e) {
      return String((e as { stdout?: string }).stdout ?? e)
        .split('\n')
        .filter((l) => l.includes('error TS'));
    }
  }

  it('cover the recently added subpaths', () => {
    expect(specifiers).toEqual(
      expect.arrayContaining([
        '@speedlayer/core/di',
        '@speedlayer/aws-msk-eks/plan',
        '@speedlayer/aws-msk-eks/di',
        '@speedlayer/compute-kubernetes/eks',
        '@speedlayer/testing/conformance',
        '@speedlayer/iac/validate',
      ]),
    );
  });

  it('every exports subpath resolves for Node and for TypeScript', async () => {
    expect(await unresolvedByNode(specifiers)).toEqual([]);
    expect(await typeErrors(specifiers)).toEqual([]);
  });

  it('a subpath whose files are not in the tarball is caught by both checks (the checks can fail)', async () => {
    const manifest = join(app, 'node_modules', '@speedlayer', 'core', 'package.json');
    const original = readFileSync(manifest, 'utf8');
    const pkg = JSON.parse(original);
    pkg.exports['./gone'] = { types: './dist/gone.d.ts', default: './dist/gone.js' };
    writeFileSync(manifest, JSON.stringify(pkg));
    try {
      expect(await unresolvedByNode(['@speedlayer/core/gone', '@speedlayer/core/nope'])).toEqual([
        expect.stringMatching(/^@speedlayer\/core\/gone: .*dist\/gone\.js missing$/),
        '@speedlayer/core/nope: ERR_PACKAGE_PATH_NOT_EXPORTED',
      ]);
      const errors = await typeErrors(['@speedlayer/core', '@speedlayer/core/gone']);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/'@speedlayer\/core\/gone'/);
    } finally {
      writeFileSync(manifest, original);
    }
  });
});
