/**
 * An adapter installed from before target descriptors has no `./target` export: core's registry names the package,
 * says it is too old and how to upgrade, as a `ConfigError` on the field at hand — under Node (its
 * ERR_PACKAGE_PATH_NOT_EXPORTED) and under Vite/vitest (its own wording) — instead of passing the raw error through.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { loadTargets } from '@speedlayer/core';
import { describe, expect, it } from 'vitest';

// a real installed package without a ./target export (its exports map has "." only)
const OLD = '@speedlayer/bench';
const tooOld = (field: string, forScheme = '') =>
  `${field}: the installed ${OLD}${forScheme} is too old for this @speedlayer/core: it has no ./target export (its target descriptor); upgrade it to a version with ./target, e.g. npm install ${OLD}@latest`;

describe('an installed adapter without ./target', () => {
  it('loadTargets: a ConfigError naming the field and the package, with the resolver error as cause', async () => {
    const e = await loadTargets(`${OLD}/target`, 'uri').catch((x: unknown) => x);
    expect(e).toMatchObject({ name: 'ConfigError', kind: 'config', field: 'uri', retriable: false, message: tooOld('uri') });
    expect((e as Error).cause).toBeInstanceOf(Error);
  });

  it('under plain Node (ERR_PACKAGE_PATH_NOT_EXPORTED) too', async () => {
    const script = `import { loadTargets } from '@speedlayer/core';
      try { await loadTargets('${OLD}/target'); console.log('loaded'); }
      catch (e) { console.log(JSON.stringify({ name: e.name, field: e.field, message: e.message, cause: e.cause?.code })); }`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd() });
    expect(JSON.parse(stdout)).toEqual({
      name: 'ConfigError',
      field: 'target',
      message: tooOld('target'),
      cause: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
    });
  });

  it('a package that is simply not installed is still "not installed" (null), not "too old"', async () => {
    expect(await loadTargets('@speedlayer/not-installed-anywhere/target')).toBeNull();
  });

  it('connect() on the scheme of such a package, under Node: the ConfigError names the field uri and the scheme', async () => {
    // an application whose node_modules holds @speedlayer/gcp-pubsub-gke 0.0.9 (exports "." only): a resolve hook
    // resolves that package from the application, the rest from this workspace
    const dir = mkdtempSync(join(tmpdir(), 'speedlayer-old-adapter-'));
    try {
      const pkg = join(dir, 'app', 'node_modules', '@speedlayer', 'gcp-pubsub-gke');
      mkdirSync(pkg, { recursive: true });
      const manifest = { name: '@speedlayer/gcp-pubsub-gke', version: '0.0.9', type: 'module', exports: { '.': './index.js' } };
      writeFileSync(join(pkg, 'package.json'), JSON.stringify(manifest));
      writeFileSync(join(pkg, 'index.js'), 'export const streamFactory = () => undefined;\n');
      const app = pathToFileURL(join(dir, 'app', 'main.mjs')).href;
      writeFileSync(
        join(dir, 'hooks.mjs'),
        `export async function resolve(s, c, next) {
          return next(s, s.startsWith('@speedlayer/gcp-pubsub-gke') ? { ...c, parentURL: ${JSON.stringify(app)} } : c);
        }\n`,
      );
      writeFileSync(
        join(dir, 'register.mjs'),
        "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n",
      );
      const script = `import { connect } from '@speedlayer/core';
        try { await connect('pubsub://p'); console.log('connected'); }
        catch (e) { console.log(JSON.stringify({ name: e.name, field: e.field, message: e.message, cause: e.cause?.code })); }`;
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--import', pathToFileURL(join(dir, 'register.mjs')).href, '--input-type=module', '-e', script],
        { cwd: process.cwd() },
      );
      expect(JSON.parse(stdout)).toEqual({
        name: 'ConfigError',
        field: 'uri',
        message:
          'uri: the installed @speedlayer/gcp-pubsub-gke for scheme "pubsub://" is too old for this @speedlayer/core: it has no ./target export (its target descriptor); upgrade it to a version with ./target, e.g. npm install @speedlayer/gcp-pubsub-gke@latest',
        cause: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
