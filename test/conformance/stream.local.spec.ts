/**
 * Stream conformance matrix of the embedded targets, built from their descriptors (`@speedlayer/local/target`):
 * `local` on a fresh directory and `memory` on its fixed URI. Adapter matrices run beside their peers
 * (`*.int.spec.ts`); a target's entry is data in its descriptor, so adding a target adds no line here.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { streamConformance, streamConformanceMatrix } from '@speedlayer/testing/conformance';

const dir = mkdtempSync(join(tmpdir(), 'speedlayer-local-conf-'));

for (const target of await streamConformanceMatrix({ targets: ['local', 'memory'], streams: { local: `local://${dir}` } })) {
  streamConformance(target);
}
