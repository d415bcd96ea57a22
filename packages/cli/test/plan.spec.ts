import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PlanIo, runCompare, runPlan } from '../src/commands/plan.js';
import { loadPlanTargets, PLAN_TARGET_IDS } from '../src/commands/plan-targets.js';

const examples = fileURLToPath(new URL('../../../examples/workloads/', import.meta.url));

function capture(): PlanIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout(t: string) {
      io.out += t;
    },
    stderr(t: string) {
      io.err += t;
    },
    now: () => new Date('2026-01-01T00:00:00Z'),
  };
  return io;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'speedlayer-plan-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function workloadFile(name: string, text: string): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, text);
  return p;
}

const valid = `name: orders
ingress: { recordsPerSecond: 1000, avgRecordBytes: 1000, peakFactor: 2 }
consumerGroups: 1
processing: { msPerRecord: 1 }
retentionHours: 24
`;

describe('cli/plan', () => {
  it('loads every target through the registry table', async () => {
    const targets = await loadPlanTargets(['all']);
    expect(targets.map((t) => t.id)).toEqual([...PLAN_TARGET_IDS]);
    expect(PLAN_TARGET_IDS).toEqual([
      'aws-msk-eks',
      'aws-kinesis-ecs',
      'azure-eventhubs-aks',
      'gcp-pubsub-gke',
      'azure-kafka-aks',
      'azure-confluent-aks',
      'gcp-confluent-gke',
    ]);
  });

  it('prints one JSON object with a plan per target for the clickstream example', async () => {
    const io = capture();
    expect(await runPlan(join(examples, 'clickstream.yaml'), { target: 'all', json: true }, io)).toBe(0);
    const json = JSON.parse(io.out);
    expect(json.workload.name).toBe('clickstream');
    expect(json.plans.map((p: { target: string }) => p.target)).toEqual([...PLAN_TARGET_IDS]);
    for (const p of json.plans) {
      expect(Object.keys(p)).toEqual(
        expect.arrayContaining(['target', 'partitions', 'replicas', 'capacity', 'monthlyCostUsd', 'warnings', 'files']),
      );
      expect(p.replicas.max).toBe(80);
      expect(p.monthlyCostUsd).toBeGreaterThan(0);
      expect(p.files.length).toBeGreaterThan(0);
    }
    expect(json.plans.find((p: { target: string }) => p.target === 'gcp-pubsub-gke').partitions).toBeNull();
  });

  it('writes the files under --out/<target>/ and lists them', async () => {
    const io = capture();
    const out = join(dir, 'out');
    expect(await runPlan(join(examples, 'small.yaml'), { target: 'aws-kinesis-ecs,gcp-pubsub-gke', out, json: true }, io)).toBe(
      0,
    );
    const json = JSON.parse(io.out);
    expect(json.plans).toHaveLength(2);
    for (const p of json.plans) for (const f of p.files) expect(existsSync(f)).toBe(true);
    expect(existsSync(join(out, 'aws-kinesis-ecs', 'cloudformation', 'stack.yaml'))).toBe(true);
  });

  it('exits 2 on a negative number, naming the field path and the value', async () => {
    const io = capture();
    const p = await workloadFile('neg.yaml', valid.replace('recordsPerSecond: 1000', 'recordsPerSecond: -5'));
    expect(await runPlan(p, { json: true }, io)).toBe(2);
    expect(io.err).toContain('ingress.recordsPerSecond: must be greater than 0 (got -5)');
    expect(io.out).toBe('');
  });

  it('exits 2 on missing numbers and unknown fields, listing every path', async () => {
    const io = capture();
    const p = await workloadFile(
      'bad.yaml',
      'name: orders\ningress: { recordsPerSecond: 10, color: red }\nprocessing: {}\nretentionHours: 1\n',
    );
    expect(await runPlan(p, {}, io)).toBe(2);
    expect(io.err).toContain('ingress.color: unknown field');
    expect(io.err).toContain('ingress.avgRecordBytes: required');
    expect(io.err).toContain('processing.msPerRecord: required');
  });

  it('exits 2 when a record is larger than every target allows, naming the field and each limit', async () => {
    const io = capture();
    const p = await workloadFile('huge.yaml', `${valid}maxRecordBytes: 209715200\n`);
    expect(await runPlan(p, { target: 'all', json: true }, io)).toBe(2);
    expect(io.err).toContain('no target can serve this workload');
    expect(io.err).toMatch(/aws-kinesis-ecs: maxRecordBytes: .*10 MiB/);
    expect(io.err).toMatch(/azure-eventhubs-aks: maxRecordBytes: .*1,048,576 bytes/);
    expect(io.err).toMatch(/gcp-pubsub-gke: maxRecordBytes: .*10 MB/);
    expect(io.err).toMatch(/aws-msk-eks: maxRecordBytes: .*socket.request.max.bytes/);
    const json = JSON.parse(io.out);
    expect(json.plans.every((x: { feasible: boolean }) => !x.feasible)).toBe(true);
  });

  it('exits 2 on retention beyond the pinned tier, naming retentionHours and the 7-day limit', async () => {
    const io = capture();
    const p = await workloadFile(
      'retention.yaml',
      valid.replace('retentionHours: 24', 'retentionHours: 336') +
        'targets:\n  azure-eventhubs-aks: { tier: standard, customerManagedKey: false }\n',
    );
    expect(await runPlan(p, { target: 'azure-eventhubs-aks' }, io)).toBe(2);
    expect(io.err).toMatch(
      /azure-eventhubs-aks: retentionHours: 336 h exceeds the Event Hubs Standard maximum retention of 168 h \(7 days\)/,
    );
  });

  it('still plans the others when one target cannot serve the workload, and says why', async () => {
    const io = capture();
    expect(await runPlan(join(examples, 'large-records.yaml'), { target: 'all', json: true }, io)).toBe(0);
    const json = JSON.parse(io.out);
    const eh = json.plans.find((x: { target: string }) => x.target === 'azure-eventhubs-aks');
    expect(eh.feasible).toBe(false);
    expect(eh.files).toEqual([]);
    expect(eh.blockers[0].field).toBe('maxRecordBytes');
    expect(json.plans.filter((x: { feasible: boolean }) => x.feasible)).toHaveLength(6);
    expect(io.err).toMatch(/azure-eventhubs-aks cannot serve this workload: maxRecordBytes/);
  });

  it('exits 2 for an unknown target, an unknown targets.<id> key and a missing file', async () => {
    let io = capture();
    expect(await runPlan(join(examples, 'small.yaml'), { target: 'aws-lambda' }, io)).toBe(2);
    expect(io.err).toMatch(/--target: unknown target "aws-lambda"/);
    io = capture();
    const p = await workloadFile('typo.yaml', `${valid}targets:\n  aws-msk-ek: {}\n`);
    expect(await runPlan(p, {}, io)).toBe(2);
    expect(io.err).toMatch(/targets.aws-msk-ek: unknown target/);
    io = capture();
    expect(await runPlan(join(dir, 'nope.yaml'), {}, io)).toBe(2);
    expect(io.err).toMatch(/cannot read workload file/);
  });

  it('exits 2 for an invalid per-target option, naming its path', async () => {
    const io = capture();
    const p = await workloadFile('opt.yaml', `${valid}targets:\n  aws-kinesis-ecs: { mode: turbo }\n`);
    expect(await runPlan(p, { target: 'aws-kinesis-ecs' }, io)).toBe(2);
    expect(io.err).toContain('targets.aws-kinesis-ecs.mode');
  });
});

describe('cli/compare', () => {
  it('prints the targets side by side with the qualitative rows explained', async () => {
    const io = capture();
    expect(await runCompare(join(examples, 'clickstream.yaml'), {}, io)).toBe(0);
    for (const label of [
      'Monthly cost (USD)',
      'Partitions / shards',
      'Operational complexity',
      'Provisioning',
      'Migration',
      'Scalability',
      'Vendor lock-in',
      'Native Kafka compatibility',
    ]) {
      expect(io.out).toContain(label);
    }
    expect(io.out).toContain('Rows explained:');
    expect(io.out).toMatch(/aws-msk-eks: It is Apache Kafka\./);
  });

  it('prints JSON rows with a cell per target', async () => {
    const io = capture();
    expect(await runCompare(join(examples, 'long-retention.yaml'), { json: true }, io)).toBe(0);
    const json = JSON.parse(io.out);
    const lockIn = json.comparison.rows.find((r: { key: string }) => r.key === 'vendorLockIn');
    expect(Object.keys(lockIn.cells)).toEqual([...PLAN_TARGET_IDS]);
    expect(lockIn.explanation.length).toBeGreaterThan(10);
    expect(json.comparison.cheapest).toBeTypeOf('string');
  });
});
