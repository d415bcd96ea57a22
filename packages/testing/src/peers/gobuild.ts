/**
 * Go-built peers: the project's own wrapper modules (in `packages/testing/peers-go/`) and upstream modules
 * built inside their own module directory, with Go's caches kept inside the speedlayer cache.
 *
 * @packageDocumentation
 */

import { cp, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fingerprint, goBuildSlot, goEnv, type InstallContext, type InstallUnit, paths, removeTree, run } from './common.js';

/** Files of a wrapper module that define its build (sources, go.mod, go.sum). */
async function moduleFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.endsWith('.go') || e.name === 'go.mod' || e.name === 'go.sum') out.push(p);
    }
  };
  await walk(dir);
  return out.sort();
}

/** Runs `go build` with the launcher's environment, one compile at a time. */
export async function goBuild(
  cwd: string,
  packages: string[],
  outDir: string,
  ctx: InstallContext,
  extraLdflags: string[] = [],
  tags: string[] = [],
): Promise<void> {
  await mkdir(outDir, { recursive: true });
  ctx.log(`${ctx.peer}: downloading Go modules for ${packages.join(' ')}`);
  await run('go', ['mod', 'download'], { cwd, env: goEnv(), logFile: ctx.logFile, timeoutMs: 30 * 60_000 });
  await goBuildSlot.use(async () => {
    ctx.log(`${ctx.peer}: compiling ${packages.join(' ')} (the first build can take many minutes)`);
    const tagArgs = tags.length > 0 ? ['-tags', tags.join(',')] : [];
    await run(
      'go',
      ['build', ...tagArgs, `-ldflags=${['-s', '-w', ...extraLdflags].join(' ')}`, '-o', `${outDir}/`, ...packages],
      {
        cwd,
        env: goEnv(),
        logFile: ctx.logFile,
        timeoutMs: 75 * 60_000,
      },
    );
  });
}

/**
 * An install unit that copies a wrapper module from `packages/testing/peers-go/<module>` into the cache and
 * builds `packages` (e.g. `./cmd/etcd`) into `<dir>/bin`.
 */
export function wrapperModuleUnit(id: string, module: string, packages: string[]): InstallUnit {
  const src = () => join(paths.goSources(), module);
  return {
    id,
    fingerprint: async () => fingerprint([id, ...packages, 'CGO_ENABLED=0'], await moduleFiles(src()), src()),
    async install(dir, ctx) {
      const work = join(dir, 'src');
      await cp(src(), work, { recursive: true });
      await goBuild(work, packages, join(dir, 'bin'), ctx);
    },
  };
}

/**
 * An install unit for an upstream Go module that cannot be `go install`ed (its go.mod has replace
 * directives): `go mod download` it, copy the module directory, and build there so it is the main module.
 * `tags` are Go build tags (e.g. Prometheus's `remove_all_sd`).
 */
export function upstreamModuleUnit(
  id: string,
  modulePath: string,
  version: string,
  pkg: string,
  binName: string,
  ldflags: string[] = [],
  tags: string[] = [],
): InstallUnit {
  return {
    id,
    // build tags join the fingerprint only when given, so existing units keep theirs
    fingerprint: () =>
      fingerprint([id, modulePath, version, pkg, binName, 'CGO_ENABLED=0', ...ldflags, ...tags.map((t) => `tag:${t}`)]),
    async install(dir, ctx) {
      ctx.log(`${ctx.peer}: downloading ${modulePath}@${version}`);
      const json = await run('go', ['mod', 'download', '-json', `${modulePath}@${version}`], {
        cwd: dir,
        env: { ...goEnv(), GOFLAGS: '-mod=mod' },
        logFile: ctx.logFile,
        timeoutMs: 20 * 60_000,
      });
      const moduleDir = (JSON.parse(json) as { Dir?: string }).Dir;
      if (!moduleDir) throw new Error(`go mod download gave no directory for ${modulePath}@${version}`);
      const work = join(dir, 'src');
      await cp(moduleDir, work, { recursive: true });
      await run('chmod', ['-R', 'u+w', work], { logFile: ctx.logFile });
      const bin = join(dir, 'bin');
      await mkdir(bin, { recursive: true });
      await goBuild(work, [pkg], bin, ctx, ldflags, tags);
      // The module source is only needed for the build.
      await removeTree(work);
      const built = pkg.split('/').pop() ?? binName;
      if (built !== binName) await run('mv', [join(bin, built), join(bin, binName)], { logFile: ctx.logFile });
    },
  };
}
