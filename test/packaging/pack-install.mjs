#!/usr/bin/env node
/**
 * Packs workspace packages with `npm pack` and installs the tarballs into a fresh ESM app, as a new user would.
 *
 *   node test/packaging/pack-install.mjs <dir> <package>...   e.g. @speedlayer/core @speedlayer/local @speedlayer/kafka
 *
 * The named packages and every `@speedlayer/*` package they depend on (dependencies and non-optional peer
 * dependencies, transitively) are packed into `<dir>/tarballs`; `<dir>/app/package.json` depends on all of them
 * by `file:` path, so npm resolves `@speedlayer/*` from the tarballs and everything else from the registry.
 * Prints one JSON line: the packed packages, the app's installed package count and its node_modules size.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Workspace packages by name: directory and manifest. */
export function workspaces() {
  const out = new Map();
  for (const group of ['packages', 'adapters']) {
    for (const d of readdirSync(join(root, group), { withFileTypes: true })) {
      if (!d.isDirectory()) continue;
      const dir = join(root, group, d.name);
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
        if (!pkg.private) out.set(pkg.name, { dir, pkg });
      } catch {
        // a folder without a manifest (being created) is not a package yet
      }
    }
  }
  return out;
}

/** The named packages plus the `@speedlayer/*` packages they need at run time, transitively. */
export function closure(names, all = workspaces()) {
  const seen = new Set();
  const visit = (name) => {
    if (seen.has(name)) return;
    const ws = all.get(name);
    if (!ws) throw new Error(`${name} is not a workspace package`);
    seen.add(name);
    const optional = ws.pkg.peerDependenciesMeta ?? {};
    const needed = [
      ...Object.keys(ws.pkg.dependencies ?? {}),
      ...Object.keys(ws.pkg.peerDependencies ?? {}).filter((n) => !optional[n]?.optional),
    ];
    for (const dep of needed) if (dep.startsWith('@speedlayer/')) visit(dep);
  };
  for (const n of names) visit(n);
  return [...seen].sort();
}

/** Installed packages under a node_modules tree (each folder with a package.json directly under a scope or root). */
export function countPackages(nodeModules) {
  let count = 0;
  const walk = (dir) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory() && !e.isSymbolicLink()) continue;
      if (e.name.startsWith('.')) continue;
      const p = join(dir, e.name);
      if (e.name.startsWith('@')) {
        walk(p);
        continue;
      }
      count++;
      walk(join(p, 'node_modules'));
    }
  };
  walk(nodeModules);
  return count;
}

/**
 * Files a manifest's entry points name (`main`, `types` and each `exports` condition's target), package-relative
 * without `./`, keyed by where they are named (`exports["./plan"].types`).
 */
export function entryPoints(pkg) {
  const out = {};
  for (const field of ['main', 'types']) if (typeof pkg[field] === 'string') out[field] = pkg[field].replace(/^\.\//, '');
  for (const [sub, entry] of Object.entries(pkg.exports ?? {})) {
    const conditions = typeof entry === 'string' ? { default: entry } : entry;
    for (const [cond, target] of Object.entries(conditions)) {
      if (typeof target === 'string') out[`exports["${sub}"].${cond}`] = target.replace(/^\.\//, '');
    }
  }
  return out;
}

/** Throws naming the entry points of `pkg` that the tarball described by `info` (npm's `--json` record) lacks. */
function checkShipped(pkg, info, hint) {
  const shipped = new Set(info.files.map((f) => f.path));
  const missing = Object.entries(entryPoints(pkg)).filter(([, file]) => !shipped.has(file));
  if (missing.length > 0) {
    const list = missing.map(([where, file]) => `${where} -> ${file}`).join(', ');
    throw new Error(`${info.name}: the tarball lacks ${list}${hint}`);
  }
}

const npmPack = (cwd, destination, scripts, extra = []) => {
  const args = ['pack', '--json', '--pack-destination', destination, ...(scripts ? [] : ['--ignore-scripts']), ...extra];
  return JSON.parse(execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
};

/**
 * `npm pack` of the package in `dir` into `destination`; returns npm's `--json` record (filename, size, files...).
 * Without `scripts`, lifecycle scripts are skipped (`--ignore-scripts`): the tests build first (`npx tsc --build`),
 * and each package's `prepack` (`tsc --build` of its project) would only check every reference again. Either way
 * every entry point of the manifest must be in the tarball, or this throws naming the missing files.
 */
export function pack(dir, destination, { scripts = false } = {}) {
  const [info] = npmPack(dir, destination, scripts);
  checkShipped(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')), info, scripts ? '' : ' (run npx tsc --build first)');
  return info;
}

/** {@link pack} of several workspace packages by name in one npm run (`npm pack -w a -w b`); records by name. */
export function packWorkspaces(names, destination, { scripts = false, all = workspaces() } = {}) {
  if (names.length === 0) return {};
  const infos = npmPack(
    root,
    destination,
    scripts,
    names.flatMap((n) => ['-w', n]),
  );
  const out = {};
  for (const info of infos) {
    checkShipped(all.get(info.name).pkg, info, scripts ? '' : ' (run npx tsc --build first)');
    out[info.name] = info;
  }
  return out;
}

/** Packs and installs; returns what was measured. */
export function packInstall(dir, names, { install = true } = {}) {
  const all = workspaces();
  const packages = closure(names, all);
  const tarballs = join(dir, 'tarballs');
  const app = join(dir, 'app');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(tarballs, { recursive: true });
  mkdirSync(app, { recursive: true });
  const deps = {};
  const packed = {};
  const infos = packWorkspaces(packages, tarballs, { all });
  for (const name of packages) {
    const info = infos[name];
    deps[name] = `file:../tarballs/${info.filename}`;
    packed[name] = { file: info.filename, size: info.size, unpackedSize: info.unpackedSize, entries: info.entryCount };
  }
  writeFileSync(
    join(app, 'package.json'),
    `${JSON.stringify({ name: 'fresh-app', private: true, type: 'module', dependencies: deps }, null, 2)}\n`,
  );
  const result = { packages, packed };
  if (!install) return result;
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: app,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  const nm = join(app, 'node_modules');
  const du = execFileSync('du', ['-sk', nm], { encoding: 'utf8' });
  result.installed = countPackages(nm);
  result.nodeModulesMB = Math.round((Number(du.split(/\s/)[0]) / 1024) * 10) / 10;
  result.app = app;
  return result;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [dir, ...names] = process.argv.slice(2);
  if (!dir || names.length === 0) {
    console.error('usage: pack-install.mjs <dir> <package>...');
    process.exit(2);
  }
  const r = packInstall(resolve(dir), names);
  console.log(JSON.stringify({ packages: r.packages, installed: r.installed, nodeModulesMB: r.nodeModulesMB }));
}
