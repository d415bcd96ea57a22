/**
 * `@speedlayer/local/target`: the descriptors of the embedded targets, `local` (durable log on LMDB, local process
 * compute) and `memory` (the same engine in memory, scoped to one process). Plain data, no runtime code loaded.
 *
 * @packageDocumentation
 */
import type { TargetDescriptor } from '@speedlayer/core';

// short sessions in the conformance suite, so that a killed member's leases expire quickly
const subscribeDefaults = { sessionTimeoutMs: 1500 };

/** `local://<dir>`: the default target. */
export const localTarget: TargetDescriptor = {
  id: 'local',
  title: 'Embedded local log (LMDB) + local processes',
  package: '@speedlayer/local',
  streamSchemes: ['local'],
  computeSchemes: ['local'],
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
