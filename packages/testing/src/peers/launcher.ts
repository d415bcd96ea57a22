/**
 * The launcher: brings peers up (install on first use, start, wait until they answer, record), down (kill their
 * process groups and verify), and reports their status.
 *
 * @packageDocumentation
 */

import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, redact, SpeedlayerError } from '@speedlayer/core';
import { azuritePeer } from './azurite.js';
import {
  cacheRoot,
  choosePorts,
  ensureUnit,
  killGroup,
  missingTools,
  PeerError,
  type PeerRecord,
  type ProcessRecord,
  paths,
  portOpen,
  processAlive,
  readState,
  type StateFile,
  unitComplete,
  unitDir,
  waitHealthy,
  withCacheLock,
  withTimeout,
  writeState,
} from './common.js';
import { eventhubsStandinPeer } from './eventhubs-standin.js';
import { kafkaPeer } from './kafka.js';
import { kafkaAuthPeer } from './kafka-auth.js';
import { kubernetesPeer } from './kubernetes.js';
import { motoPeer } from './moto.js';
import { otelcolPeer } from './otelcol.js';
import type { PeerDefinition } from './peer.js';
import { pubsubPeer } from './pubsub.js';
import { streamUris } from './streams.js';
import {
  isPeerName,
  PEER_NAMES,
  type PeerLog,
  type PeerName,
  type PeersDownOptions,
  type PeersStatus,
  type PeersUpOptions,
  type PeersUpResult,
  type PeerTiming,
} from './types.js';
import { validatorsPeer } from './validators.js';

/** Every peer, by name. */
export const PEERS: Readonly<Record<PeerName, PeerDefinition>> = {
  kafka: kafkaPeer,
  kafkaAuth: kafkaAuthPeer,
  moto: motoPeer,
  pubsub: pubsubPeer,
  azurite: azuritePeer,
  'eventhubs-standin': eventhubsStandinPeer,
  kubernetes: kubernetesPeer,
  validators: validatorsPeer,
  otelcol: otelcolPeer,
};

/** Some peers could not be brought up; the others are up and recorded. */
export class PeersUpError extends SpeedlayerError {
  /** The failures, by peer. */
  readonly failures: { peer: PeerName; error: unknown }[];
  constructor(failures: { peer: PeerName; error: unknown }[]) {
    super(
      'connection',
      `could not bring up ${failures.map((f) => f.peer).join(', ')}:\n` +
        failures.map((f) => `- ${f.error instanceof Error ? redact(f.error.message) : redact(String(f.error))}`).join('\n'),
      { retriable: false },
    );
    this.name = 'PeersUpError';
    this.failures = failures;
  }
}

/**
 * Checks and de-duplicates peer names (empty = all). Throws a `ConfigError` naming the unknown ones.
 */
export function parsePeerNames(names: readonly string[] | undefined): PeerName[] {
  if (!names || names.length === 0) return [...PEER_NAMES];
  const list = names
    .flatMap((n) => n.split(','))
    .map((n) => n.trim())
    .filter((n) => n !== '');
  const unknown = list.filter((n) => !isPeerName(n));
  if (unknown.length > 0) {
    throw new ConfigError(`unknown peer ${unknown.map((u) => `'${u}'`).join(', ')}; known peers: ${PEER_NAMES.join(', ')}`, {
      field: 'peers',
    });
  }
  return PEER_NAMES.filter((n) => list.includes(n));
}

const noop: PeerLog = () => {};

/** True when every process of the record is alive and its ports accept connections. */
async function recordAlive(record: PeerRecord): Promise<boolean> {
  for (const p of record.processes) if (!(await processAlive(p))) return false;
  for (const port of Object.values(record.ports)) {
    // The etcd peer port and the KRaft controller port are internal but also listen; check them all.
    if (!(await portOpen(port))) return false;
  }
  if (record.processes.length === 0) {
    // Executables (validators): up while their files are there.
    const s = record.status as Record<string, unknown>;
    for (const v of Object.values(s)) if (typeof v === 'string' && v.startsWith('/') && !existsSync(v)) return false;
  }
  return true;
}

/** Stops the processes of a record, last started first, and verifies none is left. */
async function stopRecord(record: PeerRecord): Promise<void> {
  for (const p of [...record.processes].reverse()) await killGroup(p);
}

/** Builds the status document from the state (only peers that are up). */
async function statusFromState(state: StateFile): Promise<PeersStatus> {
  const peers: Omit<PeersStatus, 'streams'> = {};
  for (const name of PEER_NAMES) {
    const record = state.peers[name];
    if (record && (await recordAlive(record))) (peers as Record<string, unknown>)[name] = record.status;
  }
  return { ...peers, streams: streamUris(peers) };
}

/**
 * Brings peers up: installs each on first use into the cache, starts it on loopback ports, waits until it
 * answers a real request, and records it. Peers that are already up and answering are reused; a recorded peer
 * that died is restarted. Throws a `PeersUpError` naming each peer that could not be brought up (after
 * bringing up all the others), or a `ConfigError` when the machine lacks a tool a peer needs.
 *
 * @param names peers to bring up; empty or undefined = all.
 */
export async function peersUp(names?: readonly string[], options: PeersUpOptions = {}): Promise<PeersUpResult> {
  const wanted = parsePeerNames(names);
  const log = options.log ?? noop;
  return withCacheLock(log, async () => {
    const state = await readState();
    // Which recorded peers are up and answering (checked side by side)?
    const healthy = await Promise.all(
      wanted.map(async (name): Promise<boolean> => {
        const def = PEERS[name];
        const record = state.peers[name];
        if (!record) return false;
        if (record.version !== def.version) {
          log(`${name}: version changed from ${record.version} to ${def.version}; restarting it`);
          return false;
        }
        if (!(await recordAlive(record))) {
          log(`${name}: was recorded but is down (a process exited); restarting it`);
          return false;
        }
        try {
          await withTimeout(def.probe(record), 60_000, name);
          log(`${name}: already up, reusing`);
          return true;
        } catch (e) {
          log(`${name}: running but not answering (${e instanceof Error ? redact(e.message) : String(e)}); restarting it`);
          return false;
        }
      }),
    );
    const reused = wanted.filter((_, i) => healthy[i]);
    const toStart = wanted.filter((_, i) => !healthy[i]);
    for (const name of toStart) {
      const record = state.peers[name];
      if (!record) continue;
      await stopRecord(record);
      delete state.peers[name];
      await writeState(state);
    }

    const problems = (await Promise.all(toStart.map((n) => missingTools(n, PEERS[n].requirements)))).flat();
    if (problems.length > 0) throw new ConfigError(problems.join('\n'));

    const reserved = new Set<number>();
    const starting = new Set<ProcessRecord>();
    for (const name of reused) for (const port of Object.values(state.peers[name]?.ports ?? {})) reserved.add(port);
    let portChoice = Promise.resolve();
    let stateWrite = Promise.resolve();
    const timings: Partial<Record<PeerName, PeerTiming>> = {};

    const bringUp = async (name: PeerName): Promise<void> => {
      const def = PEERS[name];
      const runDir = paths.run(name);
      await mkdir(runDir, { recursive: true, mode: 0o700 });
      const timing: PeerTiming = {};
      timings[name] = timing;
      // A peer's units install side by side (e.g. a pip install while a Go build runs); wall time is recorded.
      const installStart = Date.now();
      const installs = await Promise.all(
        def.units.map(async (unit) => {
          const logFile = join(runDir, def.units.length > 1 ? `install-${unit.id}.log` : 'install.log');
          try {
            return await ensureUnit(unit, { peer: name, log, logFile });
          } catch (e) {
            throw new PeerError(
              name,
              `installing ${unit.id} into ${unitDir(unit)} failed: ${e instanceof Error ? e.message : String(e)}\n` +
                `Full output: ${logFile}. The directory has no .complete marker, so the next \`speedlayer peers up ${name}\` deletes and rebuilds it.`,
              { cause: e },
            );
          }
        }),
      );
      if (installs.some((ms) => ms !== undefined)) timing.installMs = Date.now() - installStart;

      // Ports are chosen one peer at a time so two peers never pick the same free port.
      let ports: Record<string, number> = {};
      const choice = portChoice.then(async () => {
        ports = await choosePorts(name, def.ports, state.lastPorts[name], log, reserved);
        for (const p of Object.values(ports)) reserved.add(p);
      });
      portChoice = choice.catch(() => {});
      await choice;

      const tracked: ProcessRecord[] = [];
      const t0 = Date.now();
      try {
        log(
          `${name}: starting ${def.version}${Object.keys(ports).length ? ` on 127.0.0.1 ports ${Object.values(ports).join(', ')}` : ''}`,
        );
        const timeoutMs = (options.startTimeoutSeconds ?? 0) * 1000 || def.startTimeoutMs;
        const started = await def.start({
          log,
          runDir,
          ports,
          installDirs: def.units.map(unitDir),
          track: (p) => {
            tracked.push(p);
            starting.add(p);
          },
          timeoutMs,
        });
        const record: PeerRecord = {
          version: def.version,
          startedAt: new Date().toISOString(),
          processes: tracked,
          ports,
          status: started.status,
        };
        await waitHealthy(
          name,
          tracked,
          async () => {
            await def.probe(record);
            await def.ready?.(record);
          },
          timeoutMs,
        );
        timing.startMs = Date.now() - t0;
        log(`${name}: up in ${(timing.startMs / 1000).toFixed(1)}s`);
        for (const p of tracked) starting.delete(p);
        state.peers[name] = record;
        state.lastPorts[name] = ports;
        stateWrite = stateWrite.then(() => writeState(state));
        await stateWrite;
      } catch (e) {
        for (const p of tracked.reverse()) {
          await killGroup(p).catch(() => {});
          starting.delete(p);
        }
        const error =
          e instanceof PeerError
            ? e
            : new PeerError(name, `could not start: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
        throw error;
      }
    };

    // Interrupted (Ctrl-C) while starting: stop what is not recorded yet, so nothing is left running unseen.
    const onSignal = (signal: NodeJS.Signals) => {
      for (const p of starting) {
        try {
          process.kill(-p.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.kill(process.pid, signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const results = await Promise.allSettled(
      toStart.map((name) =>
        bringUp(name).catch((e: unknown) => {
          log(`${name}: FAILED: ${(e instanceof Error ? redact(e.message) : String(e)).split('\n')[0]} (details at the end)`);
          throw e;
        }),
      ),
    );
    const failures = results.flatMap((r, i) =>
      r.status === 'rejected' ? [{ peer: toStart[i] as PeerName, error: r.reason }] : [],
    );
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    const started = toStart.filter((_, i) => results[i]?.status === 'fulfilled');
    if (failures.length > 0) throw new PeersUpError(failures);
    return { status: await statusFromState(state), started, reused, timings };
  });
}

/**
 * Stops peers (default: all recorded), killing each process group and verifying that no process is left.
 *
 * @returns the peers that were stopped.
 */
export async function peersDown(names?: readonly string[], options: PeersDownOptions = {}): Promise<PeerName[]> {
  const wanted = parsePeerNames(names);
  const log = options.log ?? noop;
  return withCacheLock(log, async () => {
    const state = await readState();
    const stopped: PeerName[] = [];
    // Stop in reverse order of PEER_NAMES, one at a time (clean shutdowns, bounded memory).
    for (const name of [...wanted].reverse()) {
      const record = state.peers[name];
      if (!record) continue;
      if (record.processes.length > 0) {
        const { data } = PEERS[name];
        log(
          `${name}: stopping (process groups ${record.processes.map((p) => p.pid).join(', ')}); ${data.kept ? 'data kept' : 'data NOT kept'}: ${data.note}`,
        );
      }
      await stopRecord(record);
      delete state.peers[name];
      await writeState(state);
      stopped.push(name);
    }
    return stopped;
  });
}

/**
 * The status document: the peers that are up (their processes alive and ports open; validators installed),
 * plus `streams`, the stream URIs for every installed adapter package. Does not start anything.
 */
export async function peersStatus(): Promise<PeersStatus> {
  return statusFromState(await readState());
}

/** One line per peer of a human-readable report. */
export interface PeerReportRow {
  /** Peer name. */
  name: PeerName;
  /** `up`, `down` (recorded but its processes died or stopped answering) or `stopped` (not recorded). */
  state: 'up' | 'down' | 'stopped';
  /** Pinned version. */
  version: string;
  /** Whether its install units are complete in the cache. */
  installed: boolean;
  /** Ports by role, when recorded. */
  ports: Record<string, number>;
  /** Process ids, when recorded. */
  pids: number[];
  /** Log files, when recorded. */
  logs: string[];
  /** Whether its data survives `peers down` / `peers up`, and how (see `PeerDefinition.data`). */
  data: { kept: boolean; note: string };
}

/** A report of every peer, up or not, for `speedlayer peers status` without `--json`. */
export async function peersReport(): Promise<{ cache: string; rows: PeerReportRow[] }> {
  const state = await readState();
  const rows: PeerReportRow[] = [];
  for (const name of PEER_NAMES) {
    const def = PEERS[name];
    const record = state.peers[name];
    const installed = (await Promise.all(def.units.map(unitComplete))).every(Boolean);
    rows.push({
      name,
      state: record ? ((await recordAlive(record)) ? 'up' : 'down') : 'stopped',
      version: def.version,
      installed,
      ports: record?.ports ?? {},
      pids: record?.processes.map((p) => p.pid) ?? [],
      logs: record?.processes.map((p) => p.log) ?? [],
      data: def.data,
    });
  }
  return { cache: cacheRoot(), rows };
}
