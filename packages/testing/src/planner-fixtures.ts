/**
 * Workloads and the fixed emit context the adapters' planning tests share, so every target's golden files are made
 * from the same inputs.
 *
 * @packageDocumentation
 */

/** Two workloads for planner/emitter tests: a large keyed clickstream and a small unordered feed. */
export const PLANNER_WORKLOADS = {
  clickstream: {
    name: 'clickstream',
    ingress: { recordsPerSecond: 20000, avgRecordBytes: 1024, peakFactor: 2 },
    consumerGroups: 2,
    processing: { msPerRecord: 2 },
    retentionHours: 168,
    ordering: 'per-key',
    maxRecordBytes: 65536,
  },
  small: {
    name: 'small-feed',
    ingress: { recordsPerSecond: 200, avgRecordBytes: 512 },
    processing: { msPerRecord: 5 },
    retentionHours: 24,
    ordering: 'none',
  },
} as const;

/** The emit context of golden files: a fixed clock, so regenerated files only change when the emitter does. */
export const GOLDEN_EMIT_CONTEXT = { now: new Date('2026-01-01T00:00:00Z'), generator: 'speedlayer' } as const;
