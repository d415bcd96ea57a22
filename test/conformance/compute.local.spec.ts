/**
 * Compute conformance matrix of the embedded target, built from its descriptor (`@speedlayer/local/target`).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeConformance, computeConformanceMatrix } from '@speedlayer/testing/conformance';

const dir = mkdtempSync(join(tmpdir(), 'speedlayer-local-compute-'));

for (const target of await computeConformanceMatrix({
  targets: ['local'],
  computes: { local: `local://${dir}` },
  streams: { local: `local://${dir}` },
  // a long-running process stands in for a worker; it exits 0 on SIGTERM as a worker does
  workload: () => ({
    command: [process.execPath, '-e', "process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000)"],
  }),
})) {
  computeConformance(target);
}
