/**
 * Shared machinery of the test-peer launcher: the cache layout, the state file and its lock, install units
 * with a `.complete` marker, detached process groups, loopback ports, tool checks and health polling.
 *
 * @packageDocumentation
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, Socket } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, ConnectionError, redact, SpeedlayerError, TimeoutError } from '@speedlayer/core';
import { lock } from 'proper-lockfile';
import type { PeerLog, PeerName } from './types.js';

// ---------------------------------------------------------------------------------------------------------------
// Errors

/** A test peer could not be installed, started or reached. The message names the peer and what to do. */
export class PeerError extends SpeedlayerError {
  /** The peer at fault. */
  readonly peer: PeerName;
  constructor(peer: PeerName, message: string, options: { cause?: unknown; kind?: 'connection' | 'config' | 'timeout' } = {}) {
    super(options.kind ?? 'connection', `peer ${peer}: ${message}`, {
      target: `peer:${peer}`,
      retriable: false,
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.name = 'PeerError';
    this.peer = peer;
  }
}

/** A loopback port a peer needs is taken by another process. */
export class PortInUseError extends ConnectionError {
  /** The peer that wanted the port. */
  readonly peer: PeerName;
  /** The port. */
  readonly port: number;
  constructor(peer: PeerName, port: number, what: string, hint: string) {
    super(`peer ${peer}: port 127.0.0.1:${port} (${what}) is already in use by another process; ${hint}`, {
      target: `peer:${peer}`,
      retriable: false,
    });
    this.name = 'PortInUseError';
    this.peer = peer;
    this.port = port;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Cache layout

/**
 * The launcher's cache root: `$SPEEDLAYER_CACHE`, else `$XDG_CACHE_HOME/speedlayer`, else `~/.cache/speedlayer`.
 * Installs go under `peers/`, Go's module and build caches under `go/`, Maven's repository under `m2/`,
 * running peers' data and logs under `run/<peer>/`, and the state file is `peers-state.json`.
 */
export function cacheRoot(): string {
  const override = process.env.SPEEDLAYER_CACHE;
  if (override && override.trim() !== '') return override;
  const xdg = process.env.XDG_CACHE_HOME;
  if (xdg && xdg.trim() !== '') return join(xdg, 'speedlayer');
  return join(homedir(), '.cache', 'speedlayer');
}

/** Well-known paths inside the cache. */
export const paths = {
  /** Installs, one directory per unit: `<cache>/peers/<name>-<version>`. */
  installs: () => join(cacheRoot(), 'peers'),
  /** Runtime directory of one peer: data, logs, generated credentials. */
  run: (peer: PeerName) => join(cacheRoot(), 'run', peer),
  /** The state file: pids, process groups, ports and status of running peers. */
  state: () => join(cacheRoot(), 'peers-state.json'),
  /** The embedded local target's data directory. */
  localData: () => join(cacheRoot(), 'local-data'),
  /** Go module cache (kept inside the speedlayer cache so CI's fresh machine takes the same path). */
  goModCache: () => join(cacheRoot(), 'go', 'mod'),
  /** Go build cache. */
  goBuildCache: () => join(cacheRoot(), 'go', 'build'),
  /** Maven local repository. */
  mavenRepo: () => join(cacheRoot(), 'm2'),
  /** Directory of the project's Go wrapper modules (shipped with this package). */
  goSources: () => fileURLToPath(new URL('../../peers-go/', import.meta.url)),
};

/** Writes a file only the current user can read (mode 0600), creating its directory. */
export async function writePrivateFile(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, content, { mode: 0o600 });
  await chmod(path, 0o600);
}

/** A random secret of `bytes` bytes, base64 (for passwords and keys of local peers). */
export function randomSecret(bytes = 24): string {
  return randomBytes(bytes).toString('base64');
}

/** Reads a file if it exists, else undefined. */
export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** sha256 (hex, first 16 chars) over strings and the contents of files. */
export async function fingerprint(parts: string[], files: string[] = [], base?: string): Promise<string> {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  // Paths relative to `base`: two checkouts of the same sources in other directories share one install.
  for (const f of files)
    h.update(base ? relative(base, f) : f)
      .update('\0')
      .update(await readFile(f))
      .update('\0');
  return h.digest('hex').slice(0, 16);
}

// ---------------------------------------------------------------------------------------------------------------
// Lock + state file

/** Runs `fn` while holding the cache's lock, so two launchers (CLI, test runs) never race on the same cache. */
export async function withCacheLock<T>(log: PeerLog, fn: () => Promise<T>): Promise<T> {
  const root = cacheRoot();
  await mkdir(root, { recursive: true });
  let waited = false;
  let release: () => Promise<void>;
  for (;;) {
    try {
      release = await lock(root, {
        lockfilePath: join(root, '.lock'),
        stale: 30_000,
        realpath: false,
        // A lock refresh that came late (a busy machine) is not worth crashing an install for.
        onCompromised: (err) => log(`the cache lock was compromised (${err.message}); carrying on`),
      });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e;
      if (!waited) log(`waiting for another speedlayer peers process that holds ${join(root, '.lock')}`);
      waited = true;
      await sleep(1000);
    }
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => {});
  }
}

/** One process of a running peer, as recorded in the state file. */
export interface ProcessRecord {
  /** Short name, e.g. `kafka`, `etcd`, `kube-apiserver`. */
  name: string;
  /** Process id; also its process group id (it was spawned detached). */
  pid: number;
  /** Start time from `/proc/<pid>/stat` (clock ticks since boot) to detect pid reuse; absent off Linux. */
  startTicks?: string;
  /** Log file of the process. */
  log: string;
}

/** A running peer, as recorded in the state file. */
export interface PeerRecord {
  /** Version that was started. */
  version: string;
  /** ISO time of start. */
  startedAt: string;
  /** Processes (empty for the validators, which are executables, not servers). */
  processes: ProcessRecord[];
  /** Loopback ports in use, by role. */
  ports: Record<string, number>;
  /** Status document of the peer (no secret values). */
  status: unknown;
}

/** The state file's content. */
export interface StateFile {
  /** Format version. */
  format: 1;
  /** Running peers. */
  peers: Partial<Record<PeerName, PeerRecord>>;
  /** Last ports used per peer, so endpoints stay stable across restarts when they are free. */
  lastPorts: Partial<Record<PeerName, Record<string, number>>>;
}

/** Reads the state file (an empty state when it is missing or unreadable). */
export async function readState(): Promise<StateFile> {
  const text = await readIfExists(paths.state());
  if (text) {
    try {
      const parsed = JSON.parse(text) as StateFile;
      if (parsed.format === 1 && typeof parsed.peers === 'object') return { ...parsed, lastPorts: parsed.lastPorts ?? {} };
    } catch {
      // A torn or foreign file: start over; running processes are found again by their ports.
    }
  }
  return { format: 1, peers: {}, lastPorts: {} };
}

/** Writes the state file atomically. */
export async function writeState(state: StateFile): Promise<void> {
  const file = paths.state();
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
}

// ---------------------------------------------------------------------------------------------------------------
// Install units

/** What one install step needs. */
export interface InstallContext {
  /** The peer being installed (for messages). */
  peer: PeerName;
  /** Where to log progress. */
  log: PeerLog;
  /** Log file for the tools' output. */
  logFile: string;
}

/** An install unit: a versioned directory under `<cache>/peers/` that is complete only with its `.complete` marker. */
export interface InstallUnit {
  /** Directory name, `<name>-<version>`. */
  id: string;
  /** Changes whenever the recipe changes (versions, pinned sources); a mismatch rebuilds the unit. */
  fingerprint: () => Promise<string>;
  /** Builds the unit into `dir` (which exists and is empty). */
  install: (dir: string, ctx: InstallContext) => Promise<void>;
}

/** Content of a `.complete` marker. */
interface CompleteMarker {
  fingerprint: string;
  installedAt: string;
  installMs: number;
}

/** The directory of an install unit. */
export function unitDir(unit: InstallUnit): string {
  return join(paths.installs(), unit.id);
}

/** True when the unit is installed and complete with the current recipe. */
export async function unitComplete(unit: InstallUnit): Promise<boolean> {
  const text = await readIfExists(join(unitDir(unit), '.complete'));
  if (!text) return false;
  try {
    return (JSON.parse(text) as CompleteMarker).fingerprint === (await unit.fingerprint());
  } catch {
    return false;
  }
}

/**
 * Makes sure a unit is installed. A directory without a matching `.complete` marker (a half-finished or
 * outdated install) is deleted and rebuilt; the marker is written last. Returns the milliseconds spent
 * installing, or undefined when the cache was already complete.
 */
export function ensureUnit(unit: InstallUnit, ctx: InstallContext): Promise<number | undefined> {
  // Peers that share a unit (kafka and kafkaAuth both use kafka-3.9.1) come up side by side: the second caller
  // joins the first's install instead of deleting and re-filling the same directory under it (on a cold cache two
  // Maven copies into one libs/ directory failed with "Failed to copy full contents")
  const dir = unitDir(unit);
  const running = installing.get(dir);
  // a joiner waits for the install but reports none of its own (the summary would count that time twice)
  if (running) return running.then(() => undefined);
  const pending = installUnit(unit, ctx).finally(() => installing.delete(dir));
  installing.set(dir, pending);
  return pending;
}

/** Installs in progress in this process, by unit directory. */
const installing = new Map<string, Promise<number | undefined>>();

async function installUnit(unit: InstallUnit, ctx: InstallContext): Promise<number | undefined> {
  const dir = unitDir(unit);
  if (await unitComplete(unit)) return undefined;
  if (existsSync(dir)) {
    ctx.log(`${ctx.peer}: ${dir} is incomplete or outdated (no matching .complete marker); deleting and rebuilding it`);
    await removeTree(dir);
  }
  await mkdir(dir, { recursive: true });
  const t0 = Date.now();
  ctx.log(`${ctx.peer}: installing ${unit.id} into ${dir} (first use; output in ${ctx.logFile})`);
  await unit.install(dir, ctx);
  const installMs = Date.now() - t0;
  const marker: CompleteMarker = { fingerprint: await unit.fingerprint(), installedAt: new Date().toISOString(), installMs };
  await writeFile(join(dir, '.complete'), `${JSON.stringify(marker)}\n`);
  ctx.log(`${ctx.peer}: installed ${unit.id} in ${(installMs / 1000).toFixed(1)}s`);
  return installMs;
}

/** Deletes a directory tree, including read-only files (Go's module cache makes its files read-only). */
export async function removeTree(dir: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true });
  } catch {
    await run('chmod', ['-R', 'u+w', dir], { logFile: undefined }).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Running commands

/** Options of {@link run}. */
export interface RunOptions {
  /** Working directory. */
  cwd?: string;
  /** Extra environment (merged over `process.env`). */
  env?: Record<string, string | undefined>;
  /** Append the command's output to this file (else it is captured and only shown on failure). */
  logFile: string | undefined;
  /** Give up after this many milliseconds. */
  timeoutMs?: number;
}

/** A command that exited non-zero. */
export class CommandError extends SpeedlayerError {
  /** Exit code, or null when killed by a signal. */
  readonly exitCode: number | null;
  /** The last lines of its output (secrets redacted). */
  readonly outputTail: string;
  constructor(command: string, exitCode: number | null, outputTail: string) {
    super('internal', `${command} failed (${exitCode === null ? 'killed' : `exit ${exitCode}`})\n${outputTail}`);
    this.name = 'CommandError';
    this.exitCode = exitCode;
    this.outputTail = outputTail;
  }
}

/** Runs a command to completion; resolves with its stdout, rejects with a `CommandError`. */
export function run(cmd: string, args: string[], options: RunOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const fd = options.logFile ? openSync(options.logFile, 'a') : undefined;
    if (fd !== undefined) writeSync(fd, `\n$ ${[cmd, ...args].join(' ')}\n`);
    let out = '';
    let both = '';
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            child.kill('SIGKILL');
          }, options.timeoutMs);
    const onData = (isOut: boolean) => (chunk: Buffer) => {
      const s = chunk.toString();
      if (isOut) out += s;
      both = (both + s).slice(-20_000);
      if (fd !== undefined) writeSync(fd, s);
    };
    child.stdout.on('data', onData(true));
    child.stderr.on('data', onData(false));
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      if (fd !== undefined) closeSync(fd);
      reject(e);
    });
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      if (fd !== undefined) closeSync(fd);
      if (code === 0) resolve(out);
      else reject(new CommandError([cmd, ...args].join(' '), code, tailLines(redact(both), 25)));
    });
  });
}

/** The last `n` lines of a text. */
export function tailLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

/** The last `n` lines of a log file, secrets redacted (empty when missing). */
export function logTail(file: string, n = 20): string {
  try {
    const text = readFileSync(file, 'utf8');
    return tailLines(redact(text.slice(-64_000)), n);
  } catch {
    return '';
  }
}

/** A limit on how many heavy steps (Go compiles) run at once, to keep a 2-core machine's memory in check. */
export class Semaphore {
  #free: number;
  readonly #waiting: (() => void)[] = [];
  constructor(count: number) {
    this.#free = count;
  }
  /** Runs `fn` when a slot is free. */
  async use<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((r) => this.#waiting.push(r));
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    }
  }
}

/** Go compiles run one at a time (each uses every core already). */
export const goBuildSlot = new Semaphore(1);

/** Environment for every `go` command: caches inside the speedlayer cache, no toolchain downloads. */
export function goEnv(): Record<string, string> {
  return {
    GOMODCACHE: paths.goModCache(),
    GOCACHE: paths.goBuildCache(),
    GOFLAGS: '-trimpath -mod=readonly -buildvcs=false',
    GOTOOLCHAIN: 'local',
    CGO_ENABLED: '0',
    GOWORK: 'off',
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Tools on the machine

/** Runs `cmd args` and returns its combined output, or undefined when the command is missing. */
async function probe(cmd: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (c: Buffer) => {
      text += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      text += c.toString();
    });
    child.on('error', () => resolve(undefined));
    child.on('close', (code) => resolve(code === 0 ? text : undefined));
  });
}

/** A tool a peer needs from the machine. */
export interface ToolRequirement {
  /** Command to run. */
  cmd: string;
  /** Arguments that print the version. */
  args: string[];
  /** Human name, e.g. `JDK 17`. */
  what: string;
  /** Checks the version output; returns a problem or undefined. */
  check?: (output: string) => string | undefined;
  /** What to do when it is missing. */
  fix: string;
}

/** Well-known requirements. */
export const tools = {
  java: {
    cmd: 'java',
    args: ['-version'],
    what: 'a Java runtime (JDK 17)',
    check: (out: string) => {
      const m = /version "(\d+)(?:\.(\d+))?/.exec(out);
      const major = m ? (m[1] === '1' ? Number(m[2]) : Number(m[1])) : Number.NaN;
      return major >= 11 ? undefined : `found Java ${m?.[1] ?? '?'}, need 11 or newer (17 recommended)`;
    },
    fix: 'install a JDK 17 (e.g. `apt-get install openjdk-17-jdk-headless`) and put `java` on PATH',
  },
  mvn: {
    cmd: 'mvn',
    args: ['-v'],
    what: 'Apache Maven',
    fix: 'install Maven (e.g. `apt-get install maven`) and put `mvn` on PATH',
  },
  python: {
    cmd: 'python3',
    args: ['-c', 'import sys, venv, ensurepip; print("%d.%d" % sys.version_info[:2])'],
    what: 'Python 3.10+ with venv and ensurepip',
    check: (out: string) => {
      const [maj, min] = out.trim().split('.').map(Number);
      return (maj ?? 0) > 3 || ((maj ?? 0) === 3 && (min ?? 0) >= 10) ? undefined : `found Python ${out.trim()}, need 3.10+`;
    },
    fix: 'install Python 3.10+ with venv (e.g. `apt-get install python3 python3-venv`) and put `python3` on PATH',
  },
  go: {
    cmd: 'go',
    args: ['env', 'GOVERSION'],
    what: 'Go 1.25+',
    check: (out: string) => {
      const m = /go(\d+)\.(\d+)/.exec(out);
      return m && (Number(m[1]) > 1 || Number(m[2]) >= 25) ? undefined : `found ${out.trim() || 'an unknown Go'}, need go1.25+`;
    },
    fix: 'install Go 1.25 or newer (https://go.dev/dl or `apt-get install golang`) and put `go` on PATH',
  },
  openssl: {
    cmd: 'openssl',
    args: ['version'],
    what: 'OpenSSL',
    fix: 'install OpenSSL (e.g. `apt-get install openssl`)',
  },
  npm: {
    cmd: 'npm',
    args: ['--version'],
    what: 'npm',
    fix: 'install npm alongside Node.js',
  },
} satisfies Record<string, ToolRequirement>;

/** Checks that the machine has what a peer needs; one problem per missing tool. */
export async function missingTools(peer: PeerName, reqs: ToolRequirement[]): Promise<string[]> {
  const problems: string[] = [];
  for (const r of reqs) {
    const out = await probe(r.cmd, r.args);
    const problem = out === undefined ? `\`${r.cmd}\` not found or not working` : r.check?.(out);
    if (problem) problems.push(`peer ${peer} needs ${r.what}: ${problem}; ${r.fix}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------------
// Ports

/** True when nothing listens on 127.0.0.1:`port` (we could bind it). */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** A free ephemeral port on 127.0.0.1, chosen by the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** One port a peer needs. */
export interface PortWish {
  /** Role, e.g. `plaintext`, `controller`. */
  role: string;
  /** Default port (tried after the last-used one). */
  preferred: number;
  /** Environment variable that forces a port; a taken forced port is an error. */
  env: string;
}

/**
 * Chooses loopback ports for a peer: a port forced by its environment variable (must be free, else a
 * `PortInUseError` naming the peer), else the port used last time, else the default, else a free one.
 */
export async function choosePorts(
  peer: PeerName,
  wishes: PortWish[],
  last: Record<string, number> | undefined,
  log: PeerLog,
  reserved: ReadonlySet<number> = new Set(),
): Promise<Record<string, number>> {
  const chosen: Record<string, number> = {};
  const taken = new Set<number>(reserved);
  for (const w of wishes) {
    const forced = process.env[w.env];
    if (forced !== undefined && forced !== '') {
      const port = Number(forced);
      if (!Number.isInteger(port) || port <= 0 || port > 65_535) {
        throw new ConfigError(`peer ${peer}: ${w.env}=${forced} is not a port number (1-65535)`, { field: w.env });
      }
      if (taken.has(port) || !(await portFree(port))) {
        throw new PortInUseError(peer, port, w.role, `free it, or unset ${w.env} to let the launcher choose a free port`);
      }
      chosen[w.role] = port;
      taken.add(port);
      continue;
    }
    let port: number | undefined;
    for (const candidate of [last?.[w.role], w.preferred]) {
      if (candidate && !taken.has(candidate) && (await portFree(candidate))) {
        port = candidate;
        break;
      }
    }
    if (port === undefined) {
      do port = await freePort();
      while (taken.has(port));
      log(`${peer}: port ${w.preferred} (${w.role}) is in use; using ${port} instead (set ${w.env} to choose one)`);
    }
    chosen[w.role] = port;
    taken.add(port);
  }
  return chosen;
}

/** True when something accepts TCP connections on 127.0.0.1:`port`. */
export function portOpen(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = new Socket();
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('error', () => done(false));
    sock.connect(port, '127.0.0.1', () => done(true));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Processes

/** Options of {@link spawnDetached}. */
export interface SpawnOptions {
  /** Working directory. */
  cwd: string;
  /** Environment (merged over `process.env`). */
  env?: Record<string, string | undefined>;
  /** Log file (appended). */
  log: string;
}

/**
 * Starts a server as the leader of its own process group (so `down` can kill it and all its children), with
 * stdout and stderr appended to a log file, not tied to this process's lifetime.
 */
export async function spawnDetached(name: string, cmd: string, args: string[], options: SpawnOptions): Promise<ProcessRecord> {
  await mkdir(dirname(options.log), { recursive: true });
  // Keep logs bounded: move a large log aside before appending to it.
  const size = await stat(options.log).then(
    (s) => s.size,
    () => 0,
  );
  if (size > 5 * 1024 * 1024) await rename(options.log, `${options.log}.1`);
  const fd = openSync(options.log, 'a');
  writeSync(fd, `\n==== ${new Date().toISOString()} starting ${name}: ${redact([cmd, ...args].join(' '))}\n`);
  let child: ChildProcess;
  try {
    child = spawn(cmd, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      detached: true,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', () => resolve(child.pid ?? -1));
  });
  child.unref();
  const startTicks = await procStartTicks(pid);
  return { name, pid, log: options.log, ...(startTicks === undefined ? {} : { startTicks }) };
}

/** `/proc/<pid>/stat` fields after the command name, or undefined. */
async function procStat(pid: number): Promise<string[] | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Start time of a process in clock ticks since boot (Linux), to tell a reused pid apart. */
async function procStartTicks(pid: number): Promise<string | undefined> {
  return (await procStat(pid))?.[19];
}

/** True when the recorded process is still the same, live (not zombie) process. */
export async function processAlive(p: ProcessRecord): Promise<boolean> {
  try {
    process.kill(p.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const st = await procStat(p.pid);
  if (!st) return !existsSync('/proc/self/stat');
  if (st[0] === 'Z' || st[0] === 'X') return false;
  return p.startTicks === undefined || st[19] === p.startTicks;
}

/** Live (non-zombie) members of a process group (Linux: from /proc; elsewhere: whether the group exists). */
async function groupMembers(pgid: number): Promise<number[]> {
  if (!existsSync('/proc/self/stat')) {
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch {
      return [];
    }
  }
  const members: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const st = await procStat(Number(entry));
    if (st && Number(st[2]) === pgid && st[0] !== 'Z' && st[0] !== 'X') members.push(Number(entry));
  }
  return members;
}

/**
 * Stops a process group: SIGTERM, up to `graceMs` for it to exit, then SIGKILL; verifies that no member is left.
 * Throws when a member survives SIGKILL.
 */
export async function killGroup(p: ProcessRecord, graceMs = 15_000): Promise<void> {
  // Only act on the group when its leader is still the process we started (pid reuse) or members remain.
  const leaderOurs = await processAlive(p);
  let members = await groupMembers(p.pid);
  if (!leaderOurs && members.length === 0) return;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-p.pid, sig);
    } catch {
      // Group already gone.
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    members = await groupMembers(p.pid);
    if (members.length === 0) return;
    await sleep(200);
  }
  signal('SIGKILL');
  for (let i = 0; i < 25; i++) {
    members = await groupMembers(p.pid);
    if (members.length === 0) return;
    await sleep(200);
  }
  throw new SpeedlayerError('internal', `${p.name} (process group ${p.pid}) survived SIGKILL: pids ${members.join(', ')}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Health

/** Sleeps. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Polls `probe` until it resolves (the peer answered a real request). Fails early, with the log's last lines,
 * when one of the peer's processes exits; fails after `timeoutMs` otherwise.
 */
export async function waitHealthy(
  peer: PeerName,
  processes: ProcessRecord[],
  probeFn: () => Promise<void>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    for (const p of processes) {
      if (!(await processAlive(p))) {
        throw new PeerError(
          peer,
          `${p.name} exited during startup. Last lines of ${p.log}:\n${logTail(p.log)}\n` +
            `Fix the cause shown above (a port taken by another program, a broken install: delete its directory under ${paths.installs()}), then run \`speedlayer peers up ${peer}\` again.`,
        );
      }
    }
    try {
      await probeFn();
      return;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const logs = processes.map((p) => `--- ${p.log}\n${logTail(p.log, 15)}`).join('\n');
      throw new PeerError(
        peer,
        `did not answer within ${Math.round(timeoutMs / 1000)}s (last error: ${lastError instanceof Error ? redact(lastError.message) : String(lastError)}).\n${logs}\n` +
          'Check the log above; run `speedlayer peers down` and `speedlayer peers up` to retry.',
        { kind: 'timeout', cause: lastError },
      );
    }
    await sleep(300);
  }
}

/** Result of a plain HTTP(S) request made by a health probe. */
export interface ProbeResponse {
  /** Status code. */
  status: number;
  /** Response headers. */
  headers: Record<string, string | string[] | undefined>;
  /** Body as text. */
  body: string;
}

/** Fails with a `TimeoutError` if `promise` does not settle in `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError(`${what} did not answer within ${ms}ms`)), ms);
    }),
  ]);
}
