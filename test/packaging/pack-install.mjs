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
  for (const name of packages) {
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', tarballs], {
      cwd: all.get(name).dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const [info] = JSON.parse(out);
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
