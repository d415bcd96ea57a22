import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeConformance } from '@speedlayer/testing/conformance';

const dir = mkdtempSync(join(tmpdir(), 'speedlayer-local-compute-'));

computeConformance({
  name: 'local',
  uri: `local://${dir}`,
  config: { gracePeriodSeconds: 5 },
  streamUri: `local://${dir}`,
  // a long-running process stands in for a worker; it exits 0 on SIGTERM as a worker does
  workload: () => ({
    command: [process.execPath, '-e', "process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000)"],
  }),
});
