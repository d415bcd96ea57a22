/** Small helpers shared by the local target's tests. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseUri } from '@speedlayer/core';
import { createLocalStreamClient, type LocalStreamClient } from '../src/index.js';

/** A name unique to this run. */
export function unique(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A fresh temporary directory. */
export function tempDir(prefix = 'speedlayer-local-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The local driver on `uri` (no portable client in between). */
export function driver(uri: string, config: Record<string, unknown> = {}): Promise<LocalStreamClient> {
  return createLocalStreamClient(parseUri(uri), { config });
}

/** Polls `condition` every `intervalMs` (timers must run for it to be seen) until true or `timeoutMs` passes. */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 20_000, intervalMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Produces `n` records of `bytes` bytes with keys `k<i % keys>` in batches of 1000. */
export async function fill(client: LocalStreamClient, topic: string, n: number, bytes = 16, keys = 64): Promise<void> {
  const producer = client.producer();
  const value = new Uint8Array(bytes);
  for (let i = 0; i < n; i += 1000) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 1000); j++) batch.push({ key: `k${j % keys}`, value, headers: { i: String(j) } });
    await producer.send(topic, batch);
  }
  await producer.close();
}

/** Burns CPU for about `us` microseconds (a handler doing synchronous work). */
export function spin(us: number): void {
  const end = process.hrtime.bigint() + BigInt(us * 1000);
  while (process.hrtime.bigint() < end) {
    // busy
  }
}
