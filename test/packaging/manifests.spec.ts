/**
 * What every published package promises, checked on the manifests and sources (no build needed): README and the
 * Apache-2.0 LICENSE, an exports map with types first and sources that exist, a prepack that builds dist (what
 * the tarballs then hold: pack.local.spec.ts), and the runtime/plan boundary: an
 * adapter's root entry (and everything it imports) loads no planner, IaC writer, test runner or DI container, and
 * none of them is a hard dependency of a runtime package.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface Manifest {
  name: string;
  private?: boolean;
  license?: string;
  type?: string;
  files?: string[];
  scripts?: Record<string, string>;
  bin?: Record<string, string>;
  exports?: Record<string, Record<string, string>>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

interface Workspace {
  dir: string;
  group: 'packages' | 'adapters';
  pkg: Manifest;
}

function workspaces(): Workspace[] {
  const out: Workspace[] = [];
  for (const group of ['packages', 'adapters'] as const) {
    for (const d of readdirSync(join(root, group), { withFileTypes: true })) {
      const file = join(root, group, d.name, 'package.json');
      if (!d.isDirectory() || !existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
      if (!pkg.private) out.push({ dir: join(root, group, d.name), group, pkg });
    }
  }
  return out;
}

/** Bare specifiers a source file and the relative files it imports reach (static and dynamic imports). */
export function reachableImports(entry: string): Set<string> {
  const bare = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file) || !existsSync(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
    for (const m of text.matchAll(
      /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm,
    )) {
      const spec = m[1] ?? m[2] ?? '';
      if (/^import\s+type\s/.test(m[0].trim()) || /^export\s+type\s/.test(m[0].trim())) continue; // erased at run time
      if (spec.startsWith('.')) visit(join(dirname(file), spec.replace(/\.js$/, '.ts')));
      else bare.add(spec);
    }
  };
  visit(entry);
  return bare;
}

const PLAN_ONLY = ['@speedlayer/planner', '@speedlayer/iac'];
const NEVER_AT_RUNTIME = [
  ...PLAN_ONLY,
  '@speedlayer/testing',
  'vitest',
  'inversify',
  '@kubernetes/client-node',
  'kubernetes-models',
];
const rootLicense = readFileSync(join(root, 'LICENSE'), 'utf8');

describe('published packages', () => {
  const all = workspaces();

  it('are found (packages and adapters)', () => {
    expect(all.map((w) => w.pkg.name)).toEqual(
      expect.arrayContaining(['@speedlayer/core', '@speedlayer/kafka', '@speedlayer/aws-msk-eks']),
    );
  });

  for (const { dir, pkg } of all) {
    describe(pkg.name, () => {
      it('has a README and the Apache-2.0 LICENSE', () => {
        expect(existsSync(join(dir, 'README.md')), 'README.md').toBe(true);
        expect(
          existsSync(join(dir, 'LICENSE')) && readFileSync(join(dir, 'LICENSE'), 'utf8') === rootLicense,
          'LICENSE (copy of the root one)',
        ).toBe(true);
        expect(pkg.license).toBe('Apache-2.0');
      });

      it('is ESM with an exports map: types first, sources that exist, dist shipped', () => {
        expect(pkg.type).toBe('module');
        expect(pkg.files).toContain('dist');
        for (const [key, entry] of Object.entries(pkg.exports ?? {})) {
          expect(Object.keys(entry)[0], `${key}: types first`).toBe('types');
          expect(entry.types, key).toMatch(/^\.\/dist\/.*\.d\.ts$/);
          expect(entry.default, key).toBe(entry.types?.replace(/\.d\.ts$/, '.js'));
          expect(existsSync(join(dir, entry.source ?? '')), `${key}: source ${entry.source}`).toBe(true);
        }
      });

      it('builds its TypeScript project into dist before npm pack (prepack), so a tarball never has a stale or no dist', () => {
        // dist emptied first: tsc --build keeps the outputs of deleted sources, which would ship
        expect(pkg.scripts?.prepack).toBe(
          `node -e "for (const p of ['dist', 'tsconfig.tsbuildinfo']) require('node:fs').rmSync(p, { recursive: true, force: true })" && tsc --build`,
        );
        const tsconfig = JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8'));
        expect(tsconfig.compilerOptions?.outDir).toBe('dist');
      });

      it('has bin paths npm publishes as written (no "./": npm would rewrite them and warn "errors corrected")', () => {
        for (const [name, target] of Object.entries(pkg.bin ?? {})) {
          expect(target, `bin.${name}`).toMatch(/^(?!\.\/)[\w./-]+$/);
          expect(existsSync(join(dir, target)), `bin.${name} -> ${target}`).toBe(true);
        }
      });

      it('has no test runner, and inversify only as an optional peer', () => {
        const deps = Object.keys(pkg.dependencies ?? {});
        expect(deps).not.toContain('vitest');
        expect(deps).not.toContain('inversify');
        for (const peer of ['vitest', 'inversify']) {
          if (pkg.peerDependencies?.[peer]) expect(pkg.peerDependenciesMeta?.[peer]?.optional, peer).toBe(true);
        }
      });
    });
  }

  for (const { dir, pkg } of all.filter((w) => w.group === 'adapters')) {
    it(`${pkg.name}: the runtime entry loads no planner, IaC writer, test runner or DI container; they are optional peers`, () => {
      const reached = [...reachableImports(join(dir, 'src', 'index.ts'))];
      expect(reached.filter((s) => NEVER_AT_RUNTIME.some((n) => s === n || s.startsWith(`${n}/`)))).toEqual([]);
      expect(Object.keys(pkg.dependencies ?? {}).filter((d) => NEVER_AT_RUNTIME.includes(d))).toEqual([]);
      for (const p of PLAN_ONLY) {
        if (pkg.peerDependencies?.[p]) expect(pkg.peerDependenciesMeta?.[p]?.optional, p).toBe(true);
      }
    });
  }

  it('every adapter has a light ./target descriptor entry: it loads core and other descriptors only', () => {
    const withTarget = all.filter((w) => w.pkg.exports?.['./target']);
    expect(all.filter((w) => w.group === 'adapters' && !w.pkg.exports?.['./target']).map((w) => w.pkg.name)).toEqual([]);
    for (const { dir, pkg } of withTarget) {
      const reached = [...reachableImports(join(dir, pkg.exports?.['./target']?.source ?? ''))];
      expect(
        reached.filter((s) => s !== '@speedlayer/core' && !/^@speedlayer\/[a-z0-9-]+\/target$/.test(s)),
        `${pkg.name}/target`,
      ).toEqual([]);
    }
    // and the crawler does see a vendor SDK where one is loaded
    const kinesis = reachableImports(join(root, 'adapters', 'aws-kinesis-ecs', 'src', 'index.ts'));
    expect(kinesis.has('@aws-sdk/client-kinesis')).toBe(true);
  });

  it('inversify is imported by ./di files only, so core and the targets work without it', () => {
    const offenders: string[] = [];
    for (const { dir } of all) {
      const walk = (d: string) => {
        if (!existsSync(d)) return;
        for (const e of readdirSync(d, { withFileTypes: true })) {
          const p = join(d, e.name);
          if (e.isDirectory()) walk(p);
          else if (e.name.endsWith('.ts') && e.name !== 'di.ts' && /from ['"]inversify['"]/.test(readFileSync(p, 'utf8')))
            offenders.push(p);
        }
      };
      walk(join(dir, 'src'));
    }
    expect(offenders).toEqual([]);
  });

  it('compute-kubernetes pulls no AWS SDK (EKS access is the AWS adapter, an optional peer)', () => {
    const ck = all.find((w) => w.pkg.name === '@speedlayer/compute-kubernetes');
    expect(Object.keys(ck?.pkg.dependencies ?? {}).filter((d) => d.startsWith('@aws-sdk/') || d.startsWith('@smithy/'))).toEqual(
      [],
    );
    expect(ck?.pkg.peerDependenciesMeta?.['@speedlayer/aws-msk-eks']?.optional).toBe(true);
  });

  it('the import crawler sees through relative imports and skips type-only ones', () => {
    const reached = reachableImports(join(root, 'adapters', 'azure-eventhubs-aks', 'src', 'index.ts'));
    expect(reached.has('@azure/event-hubs')).toBe(true);
    expect(reached.has('@speedlayer/core')).toBe(true);
    // and it does see the planner where it is loaded: the plan entry
    expect(reachableImports(join(root, 'adapters', 'aws-msk-eks', 'src', 'plan', 'index.ts')).has('@speedlayer/planner')).toBe(
      true,
    );
  });
});
