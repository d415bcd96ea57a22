/**
 * The `speedlayer` command in a person's hands: the built binary in child processes, with real pipes, signals and
 * a pseudo-terminal, on the local target.
 */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/program.js';

const bin = fileURLToPath(new URL('../bin/speedlayer.js', import.meta.url));
const cwd = mkdtempSync(join(tmpdir(), 'speedlayer-shell-'));
const stream = `local://${join(cwd, 'data')}`;
const STACK = /\n\s+at /;

/**
 * Runs a process to its end, like `spawnSync` (stdin gets `input`, then end of file; killed after 2 minutes; `code`
 * is null when a signal ended it), without blocking the event loop: the suites run side by side.
 */
function exec(command: string, args: string[], options: SpawnOptions = {}, input?: string | Buffer) {
  return new Promise<{ code: number | null; stdout: Buffer; stderr: Buffer }>((resolve, reject) => {
    const p = spawn(command, args, { cwd, ...options, stdio: 'pipe' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout?.on('data', (d: Buffer) => out.push(d));
    p.stderr?.on('data', (d: Buffer) => err.push(d));
    p.stdin?.on('error', () => {}); // a command that exits before reading all of `input` (EPIPE), as spawnSync
    p.stdin?.end(input);
    const timer = setTimeout(() => p.kill('SIGTERM'), 120_000);
    p.once('error', reject);
    p.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
    });
  });
}

async function run(args: string[], input?: string | Buffer) {
  const r = await exec(process.execPath, [bin, ...args], {}, input);
  return { code: r.code, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), raw: r.stdout };
}

/** Runs a shell line (`bash -o pipefail`), with `$SL` the CLI and `$S` the stream. */
async function sh(line: string) {
  const r = await exec('bash', ['-o', 'pipefail', '-c', line], {
    env: { ...process.env, SL: `${process.execPath} ${bin}`, S: stream },
  });
  return { code: r.code, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

/** All values of a topic, in order (one partition), read by a throwaway group. */
async function values(topic: string): Promise<string[]> {
  const r = await run(['consume', '--topic', topic, '--stream', stream, '--idle-exit', '1500', '--json', '--base64']);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => Buffer.from(JSON.parse(l).value, 'base64').toString('latin1'));
}

function exited(p: ChildProcess): Promise<number | null> {
  return new Promise((r) => (p.exitCode !== null ? r(p.exitCode) : p.once('exit', (code) => r(code))));
}

async function until(what: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.concurrent('cli shell: consume into a pipe that closes', () => {
  it('consume --group g | head -3 stops quietly, and the next run starts right after what reached stdout', async () => {
    await run(['topic', 'create', 'piped', '--stream', stream]);
    const lines = Array.from({ length: 500 }, (_, i) => `m${i + 1}`);
    expect((await run(['produce', '--topic', 'piped', '--stream', stream], `${lines.join('\n')}\n`)).code).toBe(0);
    let next = 0;
    for (let round = 0; round < 2; round++) {
      const r = await sh('$SL consume --topic piped --stream $S --group g | head -3');
      expect(r.code, r.stderr).toBe(0); // pipefail: consume itself exited 0
      expect(r.stderr).not.toMatch(STACK);
      expect(r.stderr).not.toMatch(/EPIPE/);
      expect(r.stdout.split('\n').filter(Boolean)).toEqual(lines.slice(next, next + 3).map((v) => `\t${v}`));
      const written = Number(/stdout closed after (\d+) messages/.exec(r.stderr)?.[1]);
      expect(written).toBeGreaterThanOrEqual(3);
      next += written;
    }
    // the rest, exactly: nothing written to the pipe is read again, nothing that was not is skipped
    const rest = await run(['consume', '--topic', 'piped', '--stream', stream, '--group', 'g', '--idle-exit', '1500']);
    expect(rest.stdout.split('\n').filter(Boolean)).toEqual(lines.slice(next).map((v) => `\t${v}`));
  });

  it('other verbs into a pipe whose reader is gone end without a stack trace', async () => {
    await run(['topic', 'create', 'listed', '--stream', stream]);
    await run(['produce', '--topic', 'listed', '--stream', stream], 'one\n');
    // `true` exits without reading: the write meets EPIPE
    const r = await sh('$SL topic list --stream $S | true');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const c = await sh('$SL consume --topic listed --stream $S --group other | true');
    expect(c.code, c.stderr).toBe(0);
    expect(c.stderr).toMatch(/^speedlayer: stdout closed after 0 messages; group other resumes after them/);
  });
});

describe.concurrent('cli shell: produce reports per line', () => {
  it('a too-large line in the middle: its number, the records written before it, exit 2, nothing after it sent', async () => {
    await run(['topic', 'create', 'big', '--stream', stream]);
    const big = 'x'.repeat(2_000_000);
    const r = await run(['produce', '--topic', 'big', '--stream', stream], `a\nb\n\n${big}\nc\n`);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^speedlayer: line 4: .*1048576/m);
    expect(r.stderr).toMatch(/2 records written before line 4; line 4 and the lines after it were not sent/);
    expect(r.stderr).not.toMatch(STACK);
    expect(await values('big')).toEqual(['a', 'b']);
  });

  it('--json: the summary on stdout and the error as one JSON object on stderr', async () => {
    await run(['topic', 'create', 'big-json', '--stream', stream]);
    const r = await run(
      ['produce', '--topic', 'big-json', '--stream', stream, '--batch', '1', '--json'],
      `a\n${'y'.repeat(1_100_000)}\n`,
    );
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ topic: 'big-json', produced: 1, lines: 2, failed: { line: 2, written: 'no' } });
    const err = r.stderr.trim().split('\n');
    expect(err).toHaveLength(1);
    expect(JSON.parse(err[0] as string).error).toMatchObject({ kind: 'message-too-large', line: 2, produced: 1, exitCode: 2 });
  });

  it('a bad hex line: named, with the lines before it written', async () => {
    await run(['topic', 'create', 'hex', '--stream', stream]);
    const r = await run(['produce', '--topic', 'hex', '--stream', stream, '--value-encoding', 'hex'], '00ff1b\n41\nzz\n42\n');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/line 3: value is not valid hex/);
    expect(r.stderr).toMatch(/2 records written before line 3/);
    expect(await values('hex')).toEqual(['\x00\xff\x1b', 'A']);
  });

  it('binary payloads arrive byte for byte: --binary, --value-encoding base64, and text lines that are not UTF-8', async () => {
    await run(['topic', 'create', 'bytes', '--stream', stream]);
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    expect((await run(['produce', '--topic', 'bytes', '--stream', stream, '--binary'], all)).code).toBe(0);
    const b64 = `${Buffer.from([0, 10, 13, 255]).toString('base64')}\n`;
    expect((await run(['produce', '--topic', 'bytes', '--stream', stream, '--value-encoding', 'base64'], b64)).code).toBe(0);
    expect((await run(['produce', '--topic', 'bytes', '--stream', stream], Buffer.from([0xff, 0xfe, 0x41, 0x0a]))).code).toBe(0);
    expect(await values('bytes')).toEqual([all.toString('latin1'), '\x00\n\r\xff', '\xff\xfeA']);
  });

  it('Ctrl-C: stops reading, and says exactly how many records were written', async () => {
    await run(['topic', 'create', 'interrupted', '--stream', stream]);
    const p = spawn(process.execPath, [bin, 'produce', '--topic', 'interrupted', '--stream', stream], { cwd });
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += String(d)));
    let line = 0;
    const write = (n: number) => {
      let text = '';
      for (let i = 0; i < n; i++) text += `v${++line}\n`;
      p.stdin.write(text);
    };
    write(200);
    // once the first lines are stored, the command is running (its signal handler installed)
    await until(
      async () =>
        (await run(['consume', '--topic', 'interrupted', '--stream', stream, '--count', '1', '--idle-exit', '300'])).stdout !==
        '',
    );
    write(3000);
    p.kill('SIGINT');
    expect(await exited(p)).toBe(130);
    const n = Number(/interrupted: (\d+) records written/.exec(stderr)?.[1]);
    expect(n).toBeGreaterThanOrEqual(1);
    expect(await values('interrupted')).toEqual(Array.from({ length: n }, (_, i) => `v${i + 1}`));
  });
});

describe.concurrent('cli shell: migrate guards', () => {
  it('refuses a migration onto its own source (same stream, same topic), however the URI is spelled: exit 2', async () => {
    await run(['topic', 'create', 'self', '--stream', stream]);
    for (const to of [stream, 'local://./data']) {
      const r = await run(['migrate', '--from', stream, '--to', to, '--topic', 'self']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/is the source itself|are the source itself/);
    }
    expect((await run(['migrate', '--from', stream, '--to', stream, '--topic', 'self', '--to-topic', 'self-copy'])).code).toBe(0);
  });

  it('a second run on a checkpoint in use exits 2 at once; the checkpoint path is printed absolute', async () => {
    await run(['topic', 'create', 'locked', '--stream', stream]);
    await run(['produce', '--topic', 'locked', '--stream', stream], 'a\nb\n');
    const to = `local://${join(cwd, 'data-locked')}`;
    const args = ['migrate', '--from', stream, '--to', to, '--topic', 'locked', '--checkpoint', 'ckpt'];
    const first = spawn(process.execPath, [bin, ...args, '--until', 'follow'], { cwd });
    let out = '';
    first.stdout.on('data', (d) => (out += String(d)));
    await until(() => existsSync(join(cwd, 'ckpt', 'lock')));
    const started = Date.now();
    const second = await run(args);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/checkpoint store .*ckpt is in use by another migration \(pid \d+/);
    expect(Date.now() - started).toBeLessThan(15_000); // no waiting for the first run
    first.kill('SIGINT');
    await exited(first);
    expect(out).toContain(`checkpoint store: ${join(cwd, 'ckpt')}\n`);
    expect(existsSync(join(cwd, 'ckpt', 'lock'))).toBe(false);
    const again = await run([...args, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).checkpoint).toBe(join(cwd, 'ckpt'));
  });
});

describe.concurrent('cli shell: topic partitions', () => {
  // one after the other: the second grows the topic the first created
  it.sequential('create on an existing topic with another count says so (exit 2) and points to topic grow, which grows it', async () => {
    expect((await run(['topic', 'create', 'grown', '--stream', stream])).code).toBe(0);
    const r = await run(['topic', 'create', 'grown', '--partitions', '3', '--stream', stream]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /topic grown exists with 1 partitions, not 3: grow it with: speedlayer topic grow grown --partitions 3/,
    );
    expect((await run(['topic', 'create', 'grown', '--stream', stream])).code).toBe(0); // same count (default): idempotent
    const grown = await run(['topic', 'grow', 'grown', '--partitions', '3', '--stream', stream, '--json']);
    expect(grown.code, grown.stderr).toBe(0);
    expect(JSON.parse(grown.stdout)).toMatchObject({ name: 'grown', partitions: 3 });
    expect((await run(['topic', 'create', 'grown', '--partitions', '3', '--stream', stream])).code).toBe(0);
    const shrink = await run(['topic', 'grow', 'grown', '--partitions', '2', '--stream', stream]);
    expect(shrink.code).toBe(2);
    expect(shrink.stderr).toMatch(/partitions never shrink/);
  });

  it.sequential("the partition limit is the target's (local: 10000)", async () => {
    const r = await run(['topic', 'create', 'huge', '--partitions', '100000', '--stream', stream]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/partitions must be a whole number from 1 to 10000, got 100000/);
    expect((await run(['topic', 'grow', 'grown', '--partitions', '10001', '--stream', stream])).stderr).toMatch(/1 to 10000/);
  });
});

/** `deploy --target local` of a topic with group g. */
function deployLocal(topic: string, handler: string): string[] {
  return ['deploy', '--target', 'local', '--stream', stream, '--topic', topic, '--group', 'g', '--handler', handler];
}

describe.concurrent('cli shell: deploy --target local readiness', () => {
  // one after the other: both deploy group g on the same topic
  it.sequential.each([
    [
      'a handler that throws while loading',
      'throw new Error("boom while loading");\n',
      /replica .* did not start: .*boom while loading/,
    ],
    ['a handler module that is not there', null, /replica .* did not start: handler: module .* does not exist/],
  ])('%s: deploy exits 2 with the reason', async (_, source, message) => {
    await run(['topic', 'create', 'deploy-bad', '--partitions', '2', '--stream', stream]);
    const handler = join(cwd, `bad-${Math.random().toString(36).slice(2)}.mjs`);
    if (source) writeFileSync(handler, source);
    const r = await run(deployLocal('deploy-bad', handler));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe(''); // never reported as deployed
  });

  it('a replica that exits while loading, without a reason: deploy exits 1 naming it and its exit code', async () => {
    await run(['topic', 'create', 'deploy-dies', '--stream', stream]);
    const handler = join(cwd, 'dies.mjs');
    writeFileSync(handler, 'process.exit(3);\n');
    const r = await run(deployLocal('deploy-dies', handler));
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/replica deploy-dies-g-0 exited with code 3 before it was ready/);
  });

  it('reports ready only once every replica loaded its handler and joined the group', async () => {
    await run(['topic', 'create', 'deploy-ok', '--partitions', '2', '--stream', stream]);
    const handler = join(cwd, 'slow-load.mjs');
    const marker = join(cwd, 'slow-load.loaded');
    // loading takes a second and leaves a trace: ready must come after both replicas did it
    writeFileSync(
      handler,
      `import { appendFileSync } from 'node:fs';\nawait new Promise((r) => setTimeout(r, 1000));\nappendFileSync(${JSON.stringify(marker)}, 'x');\nexport default () => {};\n`,
    );
    const p = spawn(process.execPath, [bin, ...deployLocal('deploy-ok', handler), '--json'], { cwd });
    let stdout = '';
    p.stdout.on('data', (d) => (stdout += String(d)));
    await until(() => stdout.includes('\n'), 60_000);
    expect(readFileSync(marker, 'utf8')).toBe('xx');
    expect(JSON.parse(stdout)).toMatchObject({ partitions: 2, desiredReplicas: 2, readyReplicas: 2 });
    p.kill('SIGINT');
    expect(await exited(p)).toBe(0);
  });
});

describe.concurrent('cli shell: quiet output, JSON errors, help', () => {
  it('a plain verb on an AWS target prints no NodeVersionSupportWarning, while other warnings still show', async () => {
    const probe = 'data:text/javascript,process.emitWarning("probe-warning")';
    const r = await exec(
      process.execPath,
      ['--import', probe, bin, 'topic', 'describe', 'x', '--stream', 'kinesis://us-east-1?endpoint=http://127.0.0.1:1'],
      { env: { ...process.env, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y', AWS_MAX_ATTEMPTS: '1' } },
    );
    const stderr = r.stderr.toString('utf8');
    expect(stderr).toContain('probe-warning');
    expect(stderr).not.toMatch(/NodeVersionSupportWarning/);
  });

  it('--json errors are one JSON object on stderr, usage errors included', async () => {
    const missing = await run(['topic', 'describe', 'nope', '--stream', stream, '--json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(missing.stderr)).toEqual({
      error: expect.objectContaining({ kind: 'not-found', message: expect.stringContaining('nope'), exitCode: 2 }),
    });
    const usage = await run(['topic', 'create', '--json']);
    expect(usage.code).toBe(2);
    expect(usage.stderr.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(usage.stderr).error).toMatchObject({
      kind: 'usage',
      message: expect.stringContaining('topic'),
      exitCode: 2,
    });
  });

  it('every verb --help shows an example', async () => {
    const paths: string[][] = [];
    const walk = (c: Command, path: string[]) => {
      for (const sub of c.commands) {
        paths.push([...path, sub.name()]);
        walk(sub, [...path, sub.name()]);
      }
    };
    walk(buildProgram(), []);
    paths.push([]); // speedlayer --help itself
    expect(paths.length).toBeGreaterThan(15);
    const missing: string[] = [];
    await Promise.all(
      paths.map(async (path) => {
        const p = spawn(process.execPath, [bin, ...path, '--help'], { cwd });
        let out = '';
        p.stdout.on('data', (d) => (out += String(d)));
        expect(await exited(p)).toBe(0);
        if (!/\nExamples?:\n {2}\$ .*speedlayer /.test(out)) missing.push(path.join(' ') || '(root)');
      }),
    );
    expect(missing).toEqual([]);
  });
});

describe.concurrent('cli shell: consume on a terminal', () => {
  const evil = '\x1b[2J\x1b]0;owned\x07bell\x9b31m\u202eabc';
  const tty = async (args: string) =>
    (await exec('script', ['-qec', `${process.execPath} ${bin} ${args}`, '/dev/null'])).stdout.toString('utf8');

  it('escapes control bytes and escape sequences when stdout is a terminal; --raw and pipes pass them through', async () => {
    await run(['topic', 'create', 'evil', '--stream', stream]);
    expect(
      (await run(['produce', '--topic', 'evil', '--stream', stream, '--key-separator', ':'], `k\x1b[31m:${evil}\n`)).code,
    ).toBe(0);
    const shown = await tty(`consume --topic evil --stream ${stream} --count 1`);
    expect(shown).toContain('k\\x1b[31m\t\\x1b[2J\\x1b]0;owned\\x07bell\\x9b31m\\u202eabc');
    expect(shown).not.toContain('\x1b');
    expect(shown).not.toContain('\x07');
    expect(shown).not.toContain('\u009b');
    const json = await tty(`consume --topic evil --stream ${stream} --count 1 --json`);
    expect(json).not.toContain('\u009b');
    expect(json).not.toContain('\u202e');
    expect(json).toContain('\\u001b[2J');
    expect(await tty(`consume --topic evil --stream ${stream} --count 1 --raw`)).toContain(evil);
    const piped = await run(['consume', '--topic', 'evil', '--stream', stream, '--count', '1']);
    expect(piped.stdout).toBe(`k\x1b[31m\t${evil}\n`);
  });
});
