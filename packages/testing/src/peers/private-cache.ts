/**
 * A private peer cache, for a test that stops and starts peers while other test files use the shared ones: the
 * launcher's `peersUp` / `peersDown` then act on instances of this process alone.
 */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheRoot } from './common.js';

/** `n` distinct free loopback ports (all listening at once, so none repeats). */
export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const srv = createServer();
      servers.push(srv);
      await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(0, '127.0.0.1', resolve));
    }
    return servers.map((srv) => (srv.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((srv) => new Promise((r) => srv.close(r))));
  }
}

/** What {@link usePrivatePeerCache} set up. */
export interface PrivatePeerCache {
  /** The private cache directory (`SPEEDLAYER_CACHE` while in use). */
  cache: string;
  /** The port given to each variable of `portEnv`, in its order. */
  ports: number[];
  /** Puts `SPEEDLAYER_CACHE` and the port variables back as they were and removes the private cache. */
  restore(): void;
}

/**
 * Points `SPEEDLAYER_CACHE` of this process at a new temporary cache whose installs are the shared cache's (a
 * symlink, so nothing is installed again), and sets each variable of `portEnv` (e.g. `SPEEDLAYER_MOTO_PORT`) to a
 * free loopback port. Stop the private peers before calling `restore()`.
 */
export async function usePrivatePeerCache(prefix: string, portEnv: readonly string[]): Promise<PrivatePeerCache> {
  const shared = cacheRoot();
  const names = ['SPEEDLAYER_CACHE', ...portEnv];
  const saved = new Map(names.map((k) => [k, process.env[k]]));
  const cache = mkdtempSync(join(tmpdir(), prefix));
  symlinkSync(join(shared, 'peers'), join(cache, 'peers'));
  const ports = await freePorts(portEnv.length);
  process.env.SPEEDLAYER_CACHE = cache;
  portEnv.forEach((k, i) => {
    process.env[k] = String(ports[i]);
  });
  return {
    cache,
    ports,
    restore() {
      for (const [k, v] of saved) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      rmSync(cache, { recursive: true, force: true });
    },
  };
}
