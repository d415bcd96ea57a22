/**
 * The compute contract: run consumer replicas of a worker workload.
 *
 * @packageDocumentation
 */
import type { ComputeCapabilities } from './capabilities.js';
import type { StreamClient } from './stream.js';
import type { ParsedUri } from './uri.js';

/** A reference to a secret held elsewhere; never the value. */
export interface SecretRef {
  /** Environment variable the workload sees. */
  env: string;
  /** Where the value lives: `k8s:<secret>/<key>`, `aws-sm:<arn>`, `env:<VAR>` (local), `file:<path>` (local). */
  ref: string;
}

/** CPU and memory of one replica. */
export interface Resources {
  /** CPU cores, e.g. 0.25. @default 0.25 */
  cpu?: number;
  /** Memory in MiB. @default 256 */
  memoryMiB?: number;
}

/** A worker workload: the same code in a container or a local process. */
export interface WorkloadSpec {
  /** Workload name (DNS-1123 label). */
  name: string;
  /** Container image; ignored by the local target. */
  image?: string;
  /** Command and arguments each replica runs. */
  command: string[];
  /** Plain environment variables (no secrets: use `secrets`). */
  env?: Record<string, string>;
  /** Secret references resolved by the platform. */
  secrets?: SecretRef[];
  /** Per-replica resources. */
  resources?: Resources;
  /** Replicas to run. */
  replicas: number;
  /** Autoscaler bounds; the maximum is the topic's partition count under the 1:1 rule. */
  autoscaling?: { min: number; max: number };
  /** Service account / workload identity to run as. */
  serviceAccount?: string;
  /** Working directory (local target). */
  cwd?: string;
}

/** One replica's state. */
export interface ReplicaStatus {
  /** Replica index or pod/task name. */
  id: string;
  /** running | starting | stopped | failed | unknown */
  state: 'running' | 'starting' | 'stopped' | 'failed' | 'unknown';
  /** OS pid (local target). */
  pid?: number;
  /** Exit code when stopped or failed. */
  exitCode?: number | null;
}

/** State of a deployed workload. */
export interface WorkloadStatus {
  /** Workload name. */
  name: string;
  /** Replicas asked for. */
  desiredReplicas: number;
  /** Replicas the platform reports ready (0 where nothing runs, e.g. an API server without kubelets). */
  readyReplicas: number;
  /** Autoscaler bounds as deployed. */
  autoscaling?: { min: number; max: number };
  /** Per-replica details, where the platform exposes them. */
  replicas: ReplicaStatus[];
}

/**
 * Deploys and scales worker workloads.
 *
 * @example
 * ```ts
 * import { createCompute, connect } from '@speedlayer/core';
 * const compute = await createCompute('local://./data');
 * const stream = await connect('local://./data');
 * await compute.deploy({ name: 'billing', command: ['node', 'worker.js'], replicas: 1 });
 * await compute.alignReplicas(stream, 'orders', 'billing'); // replicas = partitions
 * ```
 */
export interface ComputeClient {
  /** Target id. */
  readonly target: string;
  /** What this compute target can do. */
  readonly capabilities: ComputeCapabilities;
  /**
   * Creates or updates the workload to match `spec` (idempotent).
   * @throws `ValidationError` for an invalid spec.
   */
  deploy(spec: WorkloadSpec): Promise<WorkloadStatus>;
  /**
   * Reads a workload's state.
   * @throws `NotFoundError` when it is not deployed.
   */
  status(name: string): Promise<WorkloadStatus>;
  /**
   * Sets the replica count.
   * @throws `NotFoundError` when it is not deployed.
   */
  scale(name: string, replicas: number): Promise<WorkloadStatus>;
  /** Removes the workload; removing a missing one is not an error. */
  remove(name: string): Promise<void>;
  /**
   * The 1:1 rule as one call: reads the topic's partition count and sets replicas and the autoscaler's
   * maximum to it.
   * @throws `UnsupportedError` when the topic has no partitions (use the planner's replica rule).
   */
  alignReplicas(stream: StreamClient, topic: string, name: string): Promise<WorkloadStatus>;
  /** Releases the client (replicas keep running where the platform runs them); safe to call twice. */
  close(): Promise<void>;
}

/** Creates a compute client for a parsed URI. */
export type ComputeFactory = (uri: ParsedUri, options: { config?: Record<string, unknown> }) => Promise<ComputeClient>;
