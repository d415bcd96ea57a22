/**
 * The `speedlayer` command as a user runs it: the built binary in a child process, on the local target.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/speedlayer.js', import.meta.url));
const cwd = mkdtempSync(join(tmpdir(), 'speedlayer-cli-'));
const stream = `local://${join(cwd, 'data')}`;

function run(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, input, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('cli: kcat-style verbs on the local target', () => {
  it('topic create, produce and consume --json round-trip keys, values and headers', () => {
    const created = run(['topic', 'create', 'orders', '--partitions', '3', '--stream', stream, '--json']);
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ name: 'orders', partitions: 3 });
    const produced = run(
      [
        'produce',
        '--topic',
        'orders',
        '--stream',
        stream,
        '--key-separator',
        ':',
        '--header',
        'source=cli',
        '--header',
        'v=1',
        '--json',
      ],
      'alice:{"total":10}\nbob:hello world\nalice:second:with:colons\n',
    );
    expect(produced.code).toBe(0);
    expect(JSON.parse(produced.stdout)).toEqual({ topic: 'orders', produced: 3, lines: 3 });
    const consumed = run(['consume', '--topic', 'orders', '--stream', stream, '--count', '3', '--json']);
    expect(consumed.code).toBe(0);
    const lines = consumed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    const alice = lines.filter((l) => l.key === 'alice');
    expect(alice.map((l) => l.value)).toEqual(['{"total":10}', 'second:with:colons']);
    expect(new Set(alice.map((l) => l.partition)).size).toBe(1);
    expect(lines.find((l) => l.key === 'bob')).toMatchObject({ value: 'hello world', headers: { source: 'cli', v: '1' } });
    for (const l of lines)
      expect(Object.keys(l).sort()).toEqual(['headers', 'key', 'partition', 'position', 'timestamp', 'value']);
    const described = run(['topic', 'describe', 'orders', '--stream', stream, '--json']);
    expect(JSON.parse(described.stdout)).toMatchObject({ name: 'orders', partitions: 3 });
  });

  it('consume with a group resumes after what it printed', () => {
    run(['topic', 'create', 'resume', '--stream', stream]);
    run(['produce', '--topic', 'resume', '--stream', stream], 'm1\nm2\nm3\nm4\n');
    const first = run(['consume', '--topic', 'resume', '--stream', stream, '--group', 'g1', '--count', '2']);
    const second = run(['consume', '--topic', 'resume', '--stream', stream, '--group', 'g1', '--count', '2']);
    const values = (out: string) =>
      out
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[1]);
    expect(values(first.stdout)).toEqual(['m1', 'm2']);
    expect(values(second.stdout)).toEqual(['m3', 'm4']);
  });

  it('prints binary values as base64 with their encoding named', () => {
    run(['topic', 'create', 'bin', '--stream', stream]);
    run(['produce', '--topic', 'bin', '--stream', stream], 'plain\n');
    const r = run(['consume', '--topic', 'bin', '--stream', stream, '--count', '1', '--json', '--base64']);
    expect(JSON.parse(r.stdout)).toMatchObject({ value: Buffer.from('plain').toString('base64'), valueEncoding: 'base64' });
  });
});

describe('cli: bad input gets one clear line and exit code 2', () => {
  it.each([
    [['topic', 'describe', 'nope', '--stream', stream], /topic nope does not exist/],
    [['topic', 'create', 'x', '--stream', 'nats://h'], /unknown stream scheme "nats:\/\/"/],
    [['topic', 'create', 'x', '--stream', 'kafka://user:pw@h:9092'], /must not carry credentials/],
    [['topic', 'create', 'bad/name', '--stream', stream], /topic "bad\/name" is invalid/],
    [['demo', '--partitions', '0'], /argument '0' is invalid/],
    [
      ['worker', '--topic', 'orders', '--group', 'g', '--handler', './missing.mjs', '--stream', stream],
      /handler: module .\/missing.mjs does not exist/,
    ],
    [['nonsense'], /unknown command 'nonsense'/],
  ])('%j', (args, message) => {
    const r = run(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(r.stderr).not.toContain('pw');
  });
});

describe('cli: worker', () => {
  it('a handler that throws on every message dead-letters each one with the error and loses none', async () => {
    run(['topic', 'create', 'poison', '--partitions', '2', '--stream', stream]);
    run(['produce', '--topic', 'poison', '--stream', stream, '--key-separator', ':'], 'a:1\nb:2\nc:3\n');
    const handler = join(cwd, 'throws.mjs');
    writeFileSync(handler, "export default () => { throw new Error('handler always fails'); };\n");
    const worker = spawn(
      process.execPath,
      [bin, 'worker', '--topic', 'poison', '--group', 'g', '--handler', handler, '--max-attempts', '2', '--stream', stream],
      {
        cwd,
      },
    );
    // the dead-letter topic appears with the first dead-lettered message
    let described = run(['topic', 'describe', 'poison.dlq', '--stream', stream]);
    for (let i = 0; i < 100 && described.code !== 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      described = run(['topic', 'describe', 'poison.dlq', '--stream', stream]);
    }
    const consumed = run([
      'consume',
      '--topic',
      'poison.dlq',
      '--stream',
      stream,
      '--count',
      '3',
      '--json',
      '--idle-exit',
      '60000',
    ]);
    worker.kill('SIGTERM');
    const code = await new Promise((r) => worker.once('exit', r));
    expect(code).toBe(0);
    const dead = consumed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(dead.map((d) => d.value).sort()).toEqual(['1', '2', '3']);
    for (const d of dead) {
      expect(d.headers['speedlayer-dlq-error']).toBe('handler always fails');
      expect(d.headers['speedlayer-dlq-attempts']).toBe('2');
      expect(d.headers['speedlayer-dlq-source-topic']).toBe('poison');
    }
  });
});

describe('cli: worker health endpoints', () => {
  it('serves /healthz, /readyz once subscribed, and Prometheus /metrics with the subscription counters', async () => {
    run(['topic', 'create', 'health', '--stream', stream]);
    run(['produce', '--topic', 'health', '--stream', stream], 'one\ntwo\n');
    const handler = join(cwd, 'ok.mjs');
    writeFileSync(handler, 'export default () => {};\n');
    const worker = spawn(
      process.execPath,
      [bin, 'worker', '--topic', 'health', '--group', 'g', '--handler', handler, '--stream', stream, '--health-port', '0'],
      { cwd },
    );
    let stderr = '';
    worker.stderr.on('data', (d) => (stderr += String(d)));
    try {
      let port = 0;
      for (let i = 0; i < 200 && !port; i++) {
        port = Number(/"message":"health endpoints","port":(\d+)/.exec(stderr)?.[1] ?? 0);
        if (!port) await new Promise((r) => setTimeout(r, 50));
      }
      expect(port).toBeGreaterThan(0);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      let ready = 0;
      for (let i = 0; i < 100 && ready !== 200; i++) {
        ready = (await fetch(`http://127.0.0.1:${port}/readyz`)).status;
        if (ready !== 200) await new Promise((r) => setTimeout(r, 50));
      }
      expect(ready).toBe(200);
      let metrics = '';
      for (let i = 0; i < 100 && !/speedlayer_worker_messages_handled_total\{[^}]*\} 2/.test(metrics); i++) {
        metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(metrics).toMatch(/speedlayer_worker_messages_handled_total\{[^}]*topic="health"[^}]*\} 2/);
      expect(metrics).toMatch(/speedlayer_worker_assigned_partitions\{[^}]*\} 1/);
    } finally {
      worker.kill('SIGTERM');
      expect(await new Promise((r) => worker.once('exit', r))).toBe(0);
    }
  });
});

describe('cli: deploy on local compute', () => {
  it('runs one worker process per partition until Ctrl-C, then drains them', async () => {
    run(['topic', 'create', 'deployed', '--partitions', '3', '--stream', stream]);
    const handler = join(cwd, 'noop.mjs');
    writeFileSync(handler, 'export default () => {};\n');
    const p = spawn(
      process.execPath,
      [
        bin,
        'deploy',
        '--target',
        'local',
        '--stream',
        stream,
        '--topic',
        'deployed',
        '--group',
        'g',
        '--handler',
        handler,
        '--json',
      ],
      {
        cwd,
      },
    );
    let stdout = '';
    p.stdout.on('data', (d) => (stdout += String(d)));
    for (let i = 0; i < 200 && !stdout.includes('\n'); i++) await new Promise((r) => setTimeout(r, 50));
    const status = JSON.parse(stdout);
    expect(status).toMatchObject({ partitions: 3, desiredReplicas: 3, readyReplicas: 3, autoscaling: { min: 1, max: 3 } });
    expect(status.replicas.every((r: { state: string; pid?: number }) => r.state === 'running' && r.pid)).toBe(true);
    p.kill('SIGINT');
    expect(await new Promise((r) => p.once('exit', r))).toBe(0);
    for (const r of status.replicas as Array<{ pid: number }>) expect(() => process.kill(r.pid, 0)).toThrow();
  });
});

describe('cli: demo', () => {
  it('demo --json: one replica per partition, nothing lost or reordered', () => {
    const r = run(['demo', '--stream', stream, '--partitions', '4', '--messages', '4000', '--keys', '50', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out).sort()).toEqual(
      [
        'consumedUnique',
        'duplicates',
        'durationMs',
        'lost',
        'messagesPerSecond',
        'orderViolations',
        'partitions',
        'produced',
        'replicas',
        'stream',
      ].sort(),
    );
    expect(out).toMatchObject({ partitions: 4, replicas: 4, produced: 4000, consumedUnique: 4000, lost: 0, orderViolations: 0 });
  });
});
