#!/usr/bin/env node
/**
 * A minimal worker process for conformance steps that need real processes (kill -9, scaling):
 * `node worker-main.js <json WorkerOptions without signal>`. Exits 0 after SIGTERM drains it.
 *
 * @packageDocumentation
 */
import { runWorker, type WorkerOptions } from '@speedlayer/core';

const raw = process.argv[2];
if (!raw) {
  process.stderr.write('usage: worker-main <json options>\n');
  process.exit(2);
}
const options = JSON.parse(raw) as Omit<WorkerOptions, 'signal'>;
const ac = new AbortController();
process.once('SIGTERM', () => ac.abort());
process.once('SIGINT', () => ac.abort());
runWorker({ ...options, signal: ac.signal }).then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`worker failed: ${(e as Error).message}\n`);
    process.exit(1);
  },
);
