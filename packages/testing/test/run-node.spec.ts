/** `runNode`: the child's exit code, both output streams, stdin given or closed, and a child that cannot start. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runNode } from '../src/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'speedlayer-run-node-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const script = join(dir, 'echo.mjs');
writeFileSync(
  script,
  `let input = '';
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => {
  process.stdout.write(JSON.stringify({ args: process.argv.slice(2), input, cwd: process.cwd(), env: process.env.RUN_NODE_TEST ?? null }));
  process.stderr.write('to stderr');
  process.exitCode = 3;
});
`,
);

describe('testing/runNode', () => {
  it('returns the exit code, stdout and stderr, with stdin, cwd and env passed', async () => {
    const r = await runNode(script, ['a', 'b c'], { cwd: dir, env: { ...process.env, RUN_NODE_TEST: 'yes' }, stdin: 'line\n' });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('to stderr');
    expect(JSON.parse(r.stdout)).toEqual({ args: ['a', 'b c'], input: 'line\n', cwd: dir, env: 'yes' });
  });

  it('closes stdin when none is given, so a reader of stdin ends', async () => {
    const r = await runNode(script, []);
    expect(JSON.parse(r.stdout)).toMatchObject({ args: [], input: '' });
  });

  it('reports a script that does not exist through the exit code and stderr', async () => {
    const r = await runNode(join(dir, 'missing.mjs'), []);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('missing.mjs');
  });
});
