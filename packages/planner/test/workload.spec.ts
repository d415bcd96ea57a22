import { readFileSync } from 'node:fs';
import { isSpeedlayerError } from '@speedlayer/core';
import { describe, expect, it } from 'vitest';
import { deriveLoad, parseWorkload, validateWorkload, WorkloadValidationError } from '../src/index.js';

const clickstream = readFileSync(new URL('../../../examples/workloads/clickstream.yaml', import.meta.url), 'utf8');

function issuesOf(input: unknown): { path: string; message: string }[] {
  try {
    validateWorkload(input);
  } catch (e) {
    expect(e).toBeInstanceOf(WorkloadValidationError);
    return [...(e as WorkloadValidationError).issues];
  }
  throw new Error('expected a validation error');
}

const base = {
  name: 'orders',
  ingress: { recordsPerSecond: 100, avgRecordBytes: 100 },
  processing: { msPerRecord: 1 },
  retentionHours: 24,
};

describe('planner/workload', () => {
  it('parses the clickstream example from the issue and keeps its numbers', () => {
    const w = parseWorkload(clickstream, 'clickstream.yaml');
    expect(w.name).toBe('clickstream');
    expect(w.ingress).toEqual({ recordsPerSecond: 20000, avgRecordBytes: 1024, peakFactor: 2 });
    expect(w.consumerGroups).toBe(2);
    expect(w.processing.msPerRecord).toBe(2);
    expect(w.retentionHours).toBe(168);
    expect(w.ordering).toBe('per-key');
    expect(w.maxRecordBytes).toBe(65536);
  });

  it('accepts JSON and applies defaults (peakFactor 1, one group, per-key, maxRecordBytes = avgRecordBytes)', () => {
    const w = parseWorkload(JSON.stringify(base));
    expect(w.ingress.peakFactor).toBe(1);
    expect(w.consumerGroups).toBe(1);
    expect(w.ordering).toBe('per-key');
    expect(w.maxRecordBytes).toBe(100);
    expect(w.processing.cpu).toBe(0.25);
  });

  it('names the field path of a negative number and shows the value', () => {
    const issues = issuesOf({ ...base, ingress: { ...base.ingress, recordsPerSecond: -5 } });
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('ingress.recordsPerSecond');
    expect(issues[0]!.message).toMatch(/greater than 0/);
    expect(issues[0]!.message).toContain('-5');
  });

  it('names a missing number as required', () => {
    const issues = issuesOf({ ...base, ingress: { recordsPerSecond: 10 } });
    expect(issues.map((i) => i.path)).toEqual(['ingress.avgRecordBytes']);
    expect(issues[0]!.message).toMatch(/required/);
  });

  it('rejects unknown fields by path, at any depth', () => {
    const issues = issuesOf({ ...base, colour: 'red', ingress: { ...base.ingress, burst: 3 } });
    expect(issues.map((i) => i.path).sort()).toEqual(['colour', 'ingress.burst']);
    expect(issues.every((i) => i.message === 'unknown field')).toBe(true);
  });

  it('rejects maxRecordBytes below avgRecordBytes', () => {
    const issues = issuesOf({ ...base, maxRecordBytes: 10 });
    expect(issues[0]!.path).toBe('maxRecordBytes');
  });

  it('rejects a peak factor below 1 and an unknown ordering', () => {
    const issues = issuesOf({ ...base, ingress: { ...base.ingress, peakFactor: 0.5 }, ordering: 'global' });
    expect(issues.map((i) => i.path).sort()).toEqual(['ingress.peakFactor', 'ordering']);
  });

  it('throws a non-retriable validation error whose field is the first path', () => {
    try {
      parseWorkload(
        'name: x1\ningress: {recordsPerSecond: 0, avgRecordBytes: 1}\nprocessing: {msPerRecord: 1}\nretentionHours: 1\n',
      );
      expect.unreachable();
    } catch (e) {
      expect(isSpeedlayerError(e)).toBe(true);
      expect((e as WorkloadValidationError).kind).toBe('validation');
      expect((e as WorkloadValidationError).retriable).toBe(false);
      expect((e as WorkloadValidationError).field).toBe('ingress.recordsPerSecond');
    }
  });

  it('reports text that is not YAML', () => {
    expect(() => parseWorkload('name: [unclosed')).toThrow(/not valid YAML or JSON/);
  });
});

describe('planner/load', () => {
  it('derives peak rates, egress across groups and processing replicas for the clickstream example', () => {
    const load = deriveLoad(parseWorkload(clickstream));
    expect(load.peakRecordsPerSec).toBe(40_000);
    expect(load.peakBytesPerSec).toBe(40_960_000);
    expect(load.peakEgressBytesPerSec).toBe(81_920_000);
    // ceil(40,000 records/s x 2 ms / 1000) = 80; sustained: ceil(20,000 x 2 / 1000) = 40
    expect(load.processingReplicasPeak).toBe(80);
    expect(load.processingReplicasSustained).toBe(40);
    expect(load.groups).toEqual(['clickstream-g1', 'clickstream-g2']);
    expect(load.retainedBytes).toBe(20_000 * 1024 * 168 * 3600);
  });

  it('keeps at least one replica when processing is free', () => {
    const load = deriveLoad(validateWorkload({ ...base, processing: { msPerRecord: 0 } }));
    expect(load.processingReplicasPeak).toBe(1);
    expect(load.processingReplicasSustained).toBe(1);
  });
});
