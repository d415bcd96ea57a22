import type { BatcherOptions } from '@speedlayer/core';

/** Batcher settings for tests: no linger, 4 batches in flight, generous limits; `o` overrides. */
export const batcherOptions = (o: Partial<BatcherOptions> = {}): BatcherOptions => ({
  lingerMs: 0,
  maxInFlight: 4,
  maxBatchRecords: 1000,
  maxBatchBytes: 1 << 20,
  maxQueuedBytes: 1 << 26,
  ...o,
});
