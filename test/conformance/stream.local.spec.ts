/**
 * Stream conformance matrix for the embedded targets. Adapter matrices live beside their peers
 * (`*.int.spec.ts`); adding a target means adding one entry here or there.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { streamConformance } from '@speedlayer/testing/conformance';

const dir = mkdtempSync(join(tmpdir(), 'speedlayer-local-conf-'));

streamConformance({
  name: 'local',
  nativeClient: 'LocalLog',
  uri: `local://${dir}`,
  // short sessions so that a killed member's leases expire quickly
  subscribeDefaults: { sessionTimeoutMs: 1500 },
});

streamConformance({
  name: 'memory',
  nativeClient: 'MemoryLog',
  uri: 'memory://conformance',
  subscribeDefaults: { sessionTimeoutMs: 1500 },
  skip: {
    'consume: a member killed without closing is replaced and nothing is lost':
      'memory:// is scoped to one process by design (capability multiProcess=false); the local:// entry runs this step',
  },
});
