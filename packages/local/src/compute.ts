/**
 * Local compute: one OS process per replica, running the same command a container would. Replicas that
 * crash are restarted with backoff, as a platform would; scaling down sends SIGTERM (graceful drain) and
 * SIGKILL after the grace period. State (spec, pids) is written under `<dataDir>/.compute/<name>/` so other
 * processes can read a workload's status.
 *
 * @packageDocumentation
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  alignReplicasToPartitions,
  type ComputeCapabilities,
  type ComputeClient,
  NotFoundError,
  type ParsedUri,
  pinReplicas,
  type ReplicaStatus,
  readSecretRef,
  type StreamClient,
  validateWorkloadSpec,
  type WorkloadSpec,
  type WorkloadStatus,
} from '@speedlayer/core';
import { dataDirFor } from './client.js';

interface Replica {
  index: number;
  child: ChildProcess | undefined;
  state: ReplicaStatus['state'];
  exitCode: number | null;
  restarts: number;
  stopping: boolean;
}

interface Workload {
  spec: WorkloadSpec;
  replicas: Map<number, Replica>;
  dir: string;
}

/** Options of the local compute client. */
export interface LocalComputeOptions {
  /** Seconds a replica gets to drain after SIGTERM before SIGKILL. @default 30 */
  gracePeriodSeconds?: number;
  /** Restart replicas that exit on their own. @default true */
  restart?: boolean;
}

/** The local compute client. */
export class LocalCompute implements ComputeClient {
  readonly target = 'local';
  readonly capabilities: ComputeCapabilities = { runsReplicas: true, autoscaling: false };
  private readonly workloads = new Map<string, Workload>();
  private closed = false;

  constructor(
    private readonly stateDir: string,
    private readonly options: LocalComputeOptions = {},
  ) {}

  async deploy(input: WorkloadSpec): Promise<WorkloadStatus> {
    const spec = validateWorkloadSpec(input);
    const dir = join(this.stateDir, spec.name);
    // the replicas' output (which may hold what the handler prints of messages) is for this user alone
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    let w = this.workloads.get(spec.name);
    if (!w) {
      w = { spec, replicas: new Map(), dir };
      this.workloads.set(spec.name, w);
    } else {
      const changed = JSON.stringify({ ...w.spec, replicas: 0 }) !== JSON.stringify({ ...spec, replicas: 0 });
      w.spec = spec;
      // A changed template rolls every replica, as a Deployment would.
      if (changed) await Promise.all([...w.replicas.values()].map((r) => this.stopReplica(w!, r)));
    }
    await this.reconcile(w);
    return this.statusOf(w);
  }

  async status(name: string): Promise<WorkloadStatus> {
    const w = this.workloads.get(name);
    if (w) return this.statusOf(w);
    const file = join(this.stateDir, name, 'status.json');
    if (!existsSync(file))
      throw new NotFoundError(`workload ${name} is not deployed on local compute`, { field: 'name', target: 'local' });
    const saved = JSON.parse(readFileSync(file, 'utf8')) as WorkloadStatus;
    // Another process runs it: check its replicas are alive.
    const replicas = saved.replicas.map((r) => ({ ...r, state: r.pid && alive(r.pid) ? r.state : ('stopped' as const) }));
    return { ...saved, replicas, readyReplicas: replicas.filter((r) => r.state === 'running').length };
  }

  async scale(name: string, replicas: number): Promise<WorkloadStatus> {
    const w = this.workloads.get(name);
    if (!w)
      throw new NotFoundError(`workload ${name} is not deployed by this local compute client`, {
        field: 'name',
        target: 'local',
      });
    const spec = validateWorkloadSpec(pinReplicas(w.spec, replicas));
    w.spec = spec;
    await this.reconcile(w);
    return this.statusOf(w);
  }

  async remove(name: string): Promise<void> {
    const w = this.workloads.get(name);
    if (w) {
      w.spec = { ...w.spec, replicas: 0 };
      await this.reconcile(w);
      this.workloads.delete(name);
    }
    // a replica that is exiting may still write its log: retry ENOTEMPTY/EBUSY a few times
    rmSync(join(this.stateDir, name), { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  }

  alignReplicas(stream: StreamClient, topic: string, name: string): Promise<WorkloadStatus> {
    return alignReplicasToPartitions(this, stream, topic, name);
  }

  /** Stops every replica this client runs (local processes do not outlive their compute client). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.workloads.keys()].map((n) => this.remove(n)));
  }

  private async reconcile(w: Workload): Promise<void> {
    const want = w.spec.replicas;
    for (let i = 0; i < want; i++) {
      const r = w.replicas.get(i);
      if (!r || r.state === 'stopped' || r.state === 'failed') await this.startReplica(w, i);
    }
    const extra = [...w.replicas.values()].filter((r) => r.index >= want);
    await Promise.all(extra.map((r) => this.stopReplica(w, r)));
    for (const r of extra) w.replicas.delete(r.index);
    this.save(w);
  }

  private async startReplica(w: Workload, index: number): Promise<void> {
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      ...w.spec.env,
      SPEEDLAYER_WORKLOAD: w.spec.name,
      SPEEDLAYER_REPLICA_INDEX: String(index),
      SPEEDLAYER_WORKER_ID: `${w.spec.name}-${index}`,
    };
    for (const s of w.spec.secrets ?? []) env[s.env] = await readSecretRef(s.ref, `secrets.${s.env}`);
    const prev = w.replicas.get(index);
    const r: Replica = prev ?? { index, child: undefined, state: 'starting', exitCode: null, restarts: 0, stopping: false };
    r.state = 'starting';
    r.stopping = false;
    w.replicas.set(index, r);
    const log = createWriteStream(join(w.dir, `replica-${index}.log`), { flags: 'a', mode: 0o600 });
    const [cmd, ...args] = w.spec.command;
    const child = spawn(cmd!, args, { cwd: w.spec.cwd ?? process.cwd(), env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    r.child = child;
    child.once('spawn', () => {
      r.state = 'running';
      this.save(w);
    });
    child.once('error', () => {
      r.state = 'failed';
    });
    child.once('exit', (code, signal) => {
      r.exitCode = code ?? (signal ? 128 : null);
      r.state = r.stopping || code === 0 ? 'stopped' : 'failed';
      r.child = undefined;
      this.save(w);
      const stillWanted = this.workloads.get(w.spec.name) === w && index < w.spec.replicas && !r.stopping && !this.closed;
      if (stillWanted && this.options.restart !== false) {
        r.restarts++;
        const delay = Math.min(30_000, 500 * 2 ** Math.min(r.restarts, 6));
        setTimeout(() => {
          if (this.workloads.get(w.spec.name) === w && index < w.spec.replicas && !r.stopping && !this.closed && !r.child) {
            void this.startReplica(w, index).then(() => this.save(w));
          }
        }, delay).unref();
      }
    });
    await new Promise<void>((resolve) => {
      child.once('spawn', () => resolve());
      child.once('error', () => resolve());
    });
  }

  private async stopReplica(w: Workload, r: Replica): Promise<void> {
    r.stopping = true;
    const child = r.child;
    if (!child || child.exitCode !== null) {
      r.state = 'stopped';
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const grace = (this.options.gracePeriodSeconds ?? 30) * 1000;
    const timer = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }, grace);
    await exited;
    clearTimeout(timer);
    r.state = 'stopped';
    this.save(w);
  }

  private statusOf(w: Workload): WorkloadStatus {
    const replicas: ReplicaStatus[] = [...w.replicas.values()]
      .sort((a, b) => a.index - b.index)
      .map((r) => ({
        id: `${w.spec.name}-${r.index}`,
        state: r.state,
        ...(r.child?.pid !== undefined ? { pid: r.child.pid } : {}),
        exitCode: r.exitCode,
      }));
    return {
      name: w.spec.name,
      desiredReplicas: w.spec.replicas,
      readyReplicas: replicas.filter((r) => r.state === 'running').length,
      ...(w.spec.autoscaling ? { autoscaling: w.spec.autoscaling } : {}),
      replicas,
    };
  }

  private save(w: Workload): void {
    if (this.workloads.get(w.spec.name) !== w) return;
    try {
      writeFileSync(join(w.dir, 'status.json'), JSON.stringify(this.statusOf(w)), { mode: 0o600 });
      writeFileSync(join(w.dir, 'spec.json'), JSON.stringify({ ...w.spec, env: Object.keys(w.spec.env ?? {}) }), {
        mode: 0o600,
      });
    } catch {
      // status files are informational; the in-process state is authoritative
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Creates local compute for a `local://<dataDir>` URI; state lives in `<dataDir>/.compute`. */
export async function createLocalCompute(
  uri: ParsedUri,
  options: { config?: Record<string, unknown> } = {},
): Promise<LocalCompute> {
  const { dir } = dataDirFor(uri);
  const cfg = (options.config ?? {}) as LocalComputeOptions;
  return new LocalCompute(join(dir, '.compute'), cfg);
}
