/**
 * `@speedlayer/local`: the embedded default target. `local://<dir>` is a durable, multi-process partitioned
 * log on LMDB with consumer groups, checkpoints and dead-lettering; `memory://<name>` is the same engine on
 * a temporary directory scoped to one process (for unit tests). Local compute runs one OS process per replica.
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
export {
  checkDataFile,
  DEFAULT_RETENTION_HOURS,
  LocalLog,
  murmur2,
  openLog,
  type ParkedMessage,
  partitionForKey,
  releaseLog,
  type StoredMessage,
} from './store.js';

/** The factory `connect()` loads for `local://` and `memory://`. */
export const streamFactory: StreamFactory = (uri, options) => createLocalStreamClient(uri, options);

/** The factory `createCompute()` loads for `local://`. */
export const computeFactory: ComputeFactory = (uri, options) => createLocalCompute(uri, options);
