/**
 * `speedlayer lag` as a user runs it (the built binary, the local target): after 100 produced and 40 consumed by
 * group g, the lag is 60, in the table and in `--json`; Pub/Sub-like targets without lag are a typed refusal.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/speedlayer.js', import.meta.url));
const cwd = mkdtempSync(join(tmpdir(), 'speedlayer-lag-'));
const stream = `local://${join(cwd, 'data')}`;

function run(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [bin, ...args, '--stream', stream], { cwd, input, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const lines = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `k${(from + i) % 5}:v${from + i}`).join('\n');

describe('cli: lag', () => {
  it('after 100 produced and 40 consumed by group g, reports 60 in total and per partition', () => {
    expect(run(['topic', 'create', 'orders', '--partitions', '3']).code).toBe(0);
    expect(run(['produce', '--topic', 'orders', '--key-separator', ':'], `${lines(40)}\n`).code).toBe(0);
    const consumed = run(['consume', '--topic', 'orders', '--group', 'g', '--count', '40']);
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(consumed.stdout.trim().split('\n')).toHaveLength(40);
    expect(run(['produce', '--topic', 'orders', '--key-separator', ':'], `${lines(60, 40)}\n`).code).toBe(0);

    const json = run(['lag', '--topic', 'orders', '--group', 'g', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as { total: number; partitions: { partition: number; lag: number }[] };
    expect(report.total).toBe(60);
    expect(report.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
    expect(report.partitions.reduce((n, p) => n + p.lag, 0)).toBe(60);

    const table = run(['lag', '--topic', 'orders', '--group', 'g']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^lag of group g on orders: 60 message\(s\)/);

    // a group that never read counts everything
    expect(JSON.parse(run(['lag', '--topic', 'orders', '--group', 'new', '--json']).stdout)).toMatchObject({ total: 100 });
  });

  it('names what is wrong: a missing topic exits 2 with one line', () => {
    const missing = run(['lag', '--topic', 'nope', '--group', 'g']);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/nope/);
  });
});
