import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clusterIdFor } from '../src/peers/kafka.js';

const dir = mkdtempSync(join(tmpdir(), 'speedlayer-cluster-id-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kafka peer cluster id', () => {
  it('never starts with "-" (kafka-storage would read it as an option): 2,000 fresh ids', async () => {
    for (let i = 0; i < 2000; i++) {
      rmSync(join(dir, 'cluster-id'), { force: true });
      const id = await clusterIdFor(dir);
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    }
  });

  it('keeps a stored id across calls, and replaces a stored one that starts with "-"', async () => {
    rmSync(join(dir, 'cluster-id'), { force: true });
    const first = await clusterIdFor(dir);
    expect(await clusterIdFor(dir)).toBe(first);
    writeFileSync(join(dir, 'cluster-id'), '-xQptI0w8WatEjvUWGVlTw\n');
    const replaced = await clusterIdFor(dir);
    expect(replaced).not.toBe('-xQptI0w8WatEjvUWGVlTw');
    expect(replaced.startsWith('-')).toBe(false);
  });
});
