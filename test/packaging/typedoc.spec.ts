/**
 * The API docs cover every public entry point and name it as users import it: each `exports` subpath of a workspace
 * package is a typedoc entry point (or an alias of one), and tsconfig.typedoc.json resolves its specifier to the
 * source so types link across packages.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { moduleNames } from '../../typedoc.plugin.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Subpaths that re-export their package's root entry; documented there. */
const ALIASES = new Set(['@speedlayer/aws-msk-eks/stream', '@speedlayer/azure-eventhubs-aks/stream']);

interface PublicEntry {
  specifier: string;
  source: string;
}

function publicEntries(): PublicEntry[] {
  const out: PublicEntry[] = [];
  for (const group of ['packages', 'adapters']) {
    for (const d of readdirSync(join(root, group), { withFileTypes: true })) {
      if (!d.isDirectory()) continue;
      let pkg: { name: string; private?: boolean; exports?: Record<string, { source?: string }> };
      try {
        pkg = JSON.parse(readFileSync(join(root, group, d.name, 'package.json'), 'utf8'));
      } catch {
        continue;
      }
      if (pkg.private) continue;
      for (const [key, entry] of Object.entries(pkg.exports ?? {})) {
        if (entry.source) out.push({ specifier: pkg.name + key.slice(1), source: join(group, d.name, entry.source) });
      }
    }
  }
  return out;
}

/** A typedoc entry point glob (`*` = one path segment) as a regular expression. */
function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]+');
  return new RegExp(`^${escaped}$`);
}

/**
 * The files TypeScript tries for a specifier under `paths`: the first pattern (in order, all sharing the prefix
 * `@speedlayer/`) whose prefix and suffix match, with `*` substituted.
 */
function pathCandidates(paths: Record<string, string[]>, specifier: string): string[] {
  for (const [pattern, targets] of Object.entries(paths)) {
    const [prefix = '', suffix = ''] = pattern.split('*');
    if (!specifier.startsWith(prefix) || !specifier.endsWith(suffix) || specifier.length < prefix.length + suffix.length)
      continue;
    const star = specifier.slice(prefix.length, specifier.length - suffix.length);
    if (star.includes('/')) continue; // one package folder
    return targets.map((t) => t.replace('*', star));
  }
  return [];
}

const typedoc = JSON.parse(readFileSync(join(root, 'typedoc.json'), 'utf8')) as { entryPoints: string[] };
const tsconfig = JSON.parse(readFileSync(join(root, 'tsconfig.typedoc.json'), 'utf8')) as {
  compilerOptions: { paths: Record<string, string[]> };
};

describe('typedoc configuration', () => {
  const entries = publicEntries();

  it('finds the public entry points of the workspace', () => {
    expect(entries.map((e) => e.specifier)).toEqual(
      expect.arrayContaining(['@speedlayer/core', '@speedlayer/core/di', '@speedlayer/kafka', '@speedlayer/aws-msk-eks/plan']),
    );
  });

  it('documents every exports subpath (typedoc.json entryPoints)', () => {
    const globs = typedoc.entryPoints.map(globToRegExp);
    const missing = entries
      .filter((e) => !ALIASES.has(e.specifier) && !globs.some((g) => g.test(e.source)))
      .map((e) => `${e.specifier} (${e.source})`);
    expect(missing, 'add these to typedoc.json entryPoints').toEqual([]);
  });

  it('resolves every exports subpath to its source (tsconfig.typedoc.json paths), so types link across packages', () => {
    const wrong = entries
      .filter((e) => !pathCandidates(tsconfig.compilerOptions.paths, e.specifier).includes(e.source))
      .map(
        (e) =>
          `${e.specifier} -> ${e.source} (candidates: ${pathCandidates(tsconfig.compilerOptions.paths, e.specifier).join(', ')})`,
      );
    expect(wrong, 'add a pattern to tsconfig.typedoc.json compilerOptions.paths').toEqual([]);
  });

  it('names each module by its import specifier', () => {
    const names = moduleNames(root);
    expect(names.get('packages/core/src')).toBe('@speedlayer/core');
    expect(names.get('packages/core/src/di')).toBe('@speedlayer/core/di');
    expect(names.get('adapters/aws-msk-eks/src/plan')).toBe('@speedlayer/aws-msk-eks/plan');
    expect(names.get('packages/testing/src/peers/vitest')).toBe('@speedlayer/testing/peers/vitest');
  });
});
