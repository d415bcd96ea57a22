/**
 * The embedded target's benchmark (`npm run bench -w @speedlayer/local`) as the README runs it, on a tiny load: it
 * must finish, write its temporary data only under the temp dir, and give every figure the README quotes. The figures
 * themselves are not asserted (performance is measured, not asserted).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const script = fileURLToPath(new URL('../bench/throughput.mjs', import.meta.url));

interface Summary {
  durableBatchedMsgPerSec: number;
  memoryBatchedMsgPerSec: number;
  oneRecordToBatched: Record<string, number>;
  sendRoundTripP50Ms: number;
  oneRecordBoundToBatched: Record<string, number>;
  dataFileToPayload: number;
  medians: Record<string, { msgPerSec: number; runs: number[] }>;
}

it('runs every scenario and reports ratios, the one-caller round trip and the bound it sets', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'speedlayer-local-bench-test-'));
  const r = spawnSync(process.execPath, [script, '--records', '3000', '--one-record', '1500', '--repeat', '2', '--json'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    encoding: 'utf8',
    timeout: 110_000,
    env: { ...process.env, TMPDIR: tmp },
  });
  if (r.status !== 0) throw new Error(`bench failed (${r.status}): ${r.stderr}`);
  const s = JSON.parse(r.stdout) as Summary;
  expect(Object.keys(s.oneRecordToBatched).sort()).toEqual(
    [
      'local:// durable, 1-record sends, 64 callers (portable)',
      'local:// durable, 1-record sends, 256 callers (portable)',
      'local:// durable, 1-record sends, 1024 callers (portable)',
      'local:// durable, 1-record sends, 64 callers (driver only)',
      'local:// durable, 1-record sends, 1024 callers (driver only)',
      'memory:// 1-record sends, 64 callers (portable)',
      'memory:// 1-record sends, 256 callers (portable)',
      'memory:// 1-record sends, 1024 callers (portable)',
    ].sort(),
  );
  for (const ratio of Object.values(s.oneRecordToBatched)) expect(ratio).toBeGreaterThan(0);
  for (const m of Object.values(s.medians)) expect(m.runs).toHaveLength(2);
  expect(s.durableBatchedMsgPerSec).toBeGreaterThan(0);
  expect(s.memoryBatchedMsgPerSec).toBeGreaterThan(0);
  expect(s.sendRoundTripP50Ms).toBeGreaterThan(0);
  // the bound is N records per round trip: four times the callers, four times the bound (to rounding)
  expect(s.oneRecordBoundToBatched['256']).toBeCloseTo(4 * (s.oneRecordBoundToBatched['64'] as number), 1);
  // every record is stored: the file holds at least the payload
  expect(s.dataFileToPayload).toBeGreaterThanOrEqual(1);
  // the data directory is removed at the end
  expect(readdirSync(tmp).filter((name) => name.startsWith('speedlayer-local-bench-'))).toEqual([]);
}, 120_000);
