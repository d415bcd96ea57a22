/**
 * `@speedlayer/local/target`: the descriptors of the embedded targets, `local` (durable log on LMDB, local process
 * compute) and `memory` (the same engine in memory, scoped to one process). Plain data, no runtime code loaded.
 *
 * @packageDocumentation
 */
import type { StreamCapabilities, TargetDescriptor } from '@speedlayer/core';

/**
 * The contract flags and static limits of `local://`; the driver adds `maxMessageBytes` from its config.
 * `idempotentProduce` is not claimed: a retried `send()` after an unknown outcome (a crash between the commit and the
 * ack) can store the batch twice.
 */
export const LOCAL_FLAGS = {
  nativeHeaders: true,
  partitions: true,
  partitionGrowth: true,
  nativeConsumerGroups: true,
  timestampSeek: true,
  idempotentProduce: false,
  nativeDeadLetter: false,
  maxBatchRecords: 10_000,
  maxBatchBytes: 16 * 1024 * 1024,
  multiProcess: true,
  durable: true,
} as const satisfies Partial<StreamCapabilities>;

/** `memory://`: the same engine, scoped to one process and gone with it. */
export const MEMORY_FLAGS = {
  ...LOCAL_FLAGS,
  multiProcess: false,
  durable: false,
} as const satisfies Partial<StreamCapabilities>;

// bench --overhead: the same LMDB engine driven directly
const lmdbBaseline = { name: 'raw-lmdb', open: { module: '@speedlayer/bench', export: 'openLocalBaseline' } };

// short sessions in the conformance suite, so that a killed member's leases expire quickly
const subscribeDefaults = { sessionTimeoutMs: 1500 };

/** `local://<dir>`: the default target. */
export const localTarget: TargetDescriptor = {
  id: 'local',
  title: 'Embedded local log (LMDB) + local processes',
  package: '@speedlayer/local',
  streamSchemes: ['local'],
  computeSchemes: ['local'],
  capabilities: LOCAL_FLAGS,
  messagingSystem: 'speedlayer_local',
  baselines: { local: lmdbBaseline },
  deploy: { compute: 'local://.speedlayer/data' },
  conformance: {
    stream: [{ scheme: 'local', nativeClient: 'LocalLog', subscribeDefaults }],
    compute: [{ scheme: 'local', config: { gracePeriodSeconds: 5 }, streamScheme: 'local' }],
  },
};

/** `memory://<name>`: the local engine in memory, for unit tests. */
export const memoryTarget: TargetDescriptor = {
  id: 'memory',
  title: 'In-memory log (one process)',
  package: '@speedlayer/local',
  streamSchemes: ['memory'],
  capabilities: MEMORY_FLAGS,
  messagingSystem: 'speedlayer_local',
  baselines: { memory: lmdbBaseline },
  conformance: {
    stream: [
      {
        scheme: 'memory',
        uri: 'memory://conformance',
        nativeClient: 'MemoryLog',
        subscribeDefaults,
        skip: {
          'consume: a member killed without closing is replaced and nothing is lost':
            'memory:// is scoped to one process by design (capability multiProcess=false); the local:// entry runs this step',
        },
      },
    ],
  },
};

/** The package's targets (read by core's registry). */
export const targets: readonly TargetDescriptor[] = [localTarget, memoryTarget];
