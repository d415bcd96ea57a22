/** `usePrivatePeerCache`: a temporary cache sharing the installs, free ports in the named variables, all undone. */
import { existsSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { freePorts, usePrivatePeerCache } from '../src/peers/private-cache.js';

const shared = mkdtempSync(join(tmpdir(), 'speedlayer-shared-cache-'));
afterAll(() => rmSync(shared, { recursive: true, force: true }));

it('points SPEEDLAYER_CACHE at a cache linking the shared installs, sets free ports, and restores both', async () => {
  const before = { cache: process.env.SPEEDLAYER_CACHE, a: process.env.SL_TEST_A_PORT };
  process.env.SPEEDLAYER_CACHE = shared;
  process.env.SL_TEST_A_PORT = '1';
  delete process.env.SL_TEST_B_PORT;
  try {
    const priv = await usePrivatePeerCache('speedlayer-private-test-', ['SL_TEST_A_PORT', 'SL_TEST_B_PORT']);
    expect(process.env.SPEEDLAYER_CACHE).toBe(priv.cache);
    expect(readlinkSync(join(priv.cache, 'peers'))).toBe(join(shared, 'peers'));
    expect([process.env.SL_TEST_A_PORT, process.env.SL_TEST_B_PORT]).toEqual(priv.ports.map(String));
    expect(new Set(priv.ports).size).toBe(2);
    priv.restore();
    expect(process.env.SPEEDLAYER_CACHE).toBe(shared);
    expect(process.env.SL_TEST_A_PORT).toBe('1');
    expect('SL_TEST_B_PORT' in process.env).toBe(false);
    expect(existsSync(priv.cache)).toBe(false);
  } finally {
    for (const [k, v] of [
      ['SPEEDLAYER_CACHE', before.cache],
      ['SL_TEST_A_PORT', before.a],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});

it('freePorts gives distinct ports', async () => {
  const ports = await freePorts(5);
  expect(new Set(ports).size).toBe(5);
  for (const p of ports) expect(p).toBeGreaterThan(0);
});
