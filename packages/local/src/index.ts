/**
 * `@speedlayer/local`: the embedded default target. `local://<dir>` is a durable, multi-process partitioned
 * log on LMDB with consumer groups, checkpoints and dead-lettering; `memory://<name>` is the same driver on an
 * in-memory log scoped to one process (tests, pipelines that need no durability). Local compute runs one OS process
 * per replica.
 *
 * @packageDocumentation
 */
import type { ComputeFactory, StreamFactory } from '@speedlayer/core';
import { createLocalStreamClient } from './client.js';
import { createLocalCompute } from './compute.js';

export {
  createLocalStreamClient,
  DeadLetterError,
  dataDirFor,
  type LocalConfig,
  LocalStreamClient,
  type LocalSubscriptionStats,
  localCapabilities,
  localConfigSchema,
  MAX_GROUP_CHARS,
} from './client.js';
export { createLocalCompute, LocalCompute, type LocalComputeOptions } from './compute.js';
export { MemoryLog, openMemoryLog } from './memory.js';
export {
  checkDataFile,
  DEFAULT_RETENTION_HOURS,
  type EngineLog,
  LocalLog,
  murmur2,
  openLog,
  type ParkedMessage,
  partitionForKey,
  type ReadRow,
  releaseLog,
  type StoredMessage,
} from './store.js';

/** The factory `connect()` loads for `local://` and `memory://`. */
export const streamFactory: StreamFactory = (uri, options) =>
  // the portable client validates records before they reach the driver: the driver does not check them twice
  createLocalStreamClient(uri, { ...options, recordsValidated: true });

/** The factory `createCompute()` loads for `local://`. */
export const computeFactory: ComputeFactory = (uri, options) => createLocalCompute(uri, options);
