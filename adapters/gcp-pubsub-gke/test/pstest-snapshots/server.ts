/**
 * A private pstest with snapshots (see `snapshots.go`, `build.sh`), for the Pub/Sub lag tests: the peers' pstest has
 * no CreateSnapshot, so the lag reading is exercised end to end on this one. `SPEEDLAYER_PSTEST_SNAPSHOT_HOST` points
 * the tests at a running one; otherwise it is built once from the Go module cache the peer launcher filled (offline,
 * about a minute, into the OS temp dir keyed by the patch's content) and started on a free loopback port.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheRoot } from '@speedlayer/testing/peers';

const here = fileURLToPath(new URL('.', import.meta.url));

/** A running snapshot-capable pstest, or why there is none. */
export type SnapshotPstest = { host: string; stop(): Promise<void> } | { skip: string };

async function build(): Promise<string | { skip: string }> {
  // the peer launcher's Go caches (SPEEDLAYER_CACHE-aware), where it fetched pstest's module
  const modCache = join(cacheRoot(), 'go', 'mod');
  if (!existsSync(join(modCache, 'cloud.google.com', 'go', 'pubsub', 'v2@v2.7.0'))) {
    return { skip: `no pstest v2.7.0 in the Go module cache ${modCache} (run \`npx speedlayer peers up\` with pubsub)` };
  }
  if (spawnSync('go', ['version'], { encoding: 'utf8' }).status !== 0) return { skip: 'no go toolchain on PATH' };
  const hash = createHash('sha256')
    .update(readFileSync(join(here, 'snapshots.go')))
    .update(readFileSync(join(here, 'build.sh')))
    .digest('hex')
    .slice(0, 12);
  const out = join(tmpdir(), `speedlayer-pstest-snapshots-${hash}`);
  const binary = join(out, 'pstest-snapshots');
  const lock = `${out}.lock`;
  const deadline = Date.now() + 10 * 60_000;
  while (!existsSync(binary)) {
    try {
      mkdirSync(lock); // one builder at a time (test files run in parallel)
    } catch {
      // a builder killed mid-build leaves its lock: one older than a build can take is stale
      if (Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 10 * 60_000) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) return { skip: `timed out waiting for the build lock ${lock}` };
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    try {
      if (existsSync(binary)) break;
      const r = spawnSync('sh', [join(here, 'build.sh'), out], {
        encoding: 'utf8',
        timeout: 10 * 60_000,
        env: { ...process.env, GOMODCACHE: modCache, GOCACHE: join(cacheRoot(), 'go', 'build') },
      });
      if (r.status !== 0 || !existsSync(binary)) throw new Error(`building pstest with snapshots failed: ${r.stderr}`);
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  return binary;
}

/** Starts (building if needed) a pstest with snapshots, or reports why it cannot. */
export async function snapshotPstest(): Promise<SnapshotPstest> {
  const given = process.env.SPEEDLAYER_PSTEST_SNAPSHOT_HOST;
  if (given) return { host: given, stop: async () => {} };
  const binary = await build();
  // CI refuses the skip, as it refuses SPEEDLAYER_SKIP_PEERS: the lag path must run there
  if (typeof binary !== 'string' && process.env.CI) throw new Error(`pstest with snapshots unavailable in CI: ${binary.skip}`);
  if (typeof binary !== 'string') return binary;
  const child: ChildProcess = spawn(binary, ['-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const host = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`pstest with snapshots did not start: ${out}`)), 15_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`pstest with snapshots exited with ${code}: ${out}`));
    });
  });
  return {
    host,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
