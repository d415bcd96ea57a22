/**
 * The shape every peer module implements; the launcher drives them all the same way.
 *
 * @packageDocumentation
 */

import type { InstallUnit, PeerRecord, PortWish, ProcessRecord, ToolRequirement } from './common.js';
import type { PeerLog, PeerName } from './types.js';

/** What a peer's `start` gets. */
export interface StartContext {
  /** Progress lines. */
  log: PeerLog;
  /** The peer's runtime directory (`<cache>/run/<peer>`), created. */
  runDir: string;
  /** Ports chosen for the peer, by role. */
  ports: Record<string, number>;
  /** Install directories of the peer's units, by unit id, in declaration order. */
  installDirs: string[];
  /** Must be called for every spawned process right away, so a failed start can be cleaned up. */
  track: (p: ProcessRecord) => void;
  /** Milliseconds the peer may take to answer. */
  timeoutMs: number;
}

/** What a peer's `start` returns. */
export interface Started {
  /** The status document (no secret values; file paths instead). */
  status: unknown;
}

/** One test peer. */
export interface PeerDefinition {
  /** Name used on the command line and in the status document. */
  name: PeerName;
  /** Pinned version of the server or tool. */
  version: string;
  /** Tools the machine must have to install and run it. */
  requirements: ToolRequirement[];
  /** Install units, built on first use into the cache. */
  units: InstallUnit[];
  /** Loopback ports it listens on (empty for executables such as the validators). */
  ports: PortWish[];
  /**
   * What happens to the peer's data across `peers down` / `peers up`: `kept` (on disk under its run directory) or
   * `lost` (the server keeps everything in memory; a restart starts empty), with a one-line explanation.
   */
  data: { kept: boolean; note: string };
  /** Default time to answer after spawn, in milliseconds. */
  startTimeoutMs: number;
  /** Writes config, spawns the processes (tracking each) and returns the status document. */
  start(ctx: StartContext): Promise<Started>;
  /** A real request against the running peer; rejects when it does not answer correctly. */
  probe(record: PeerRecord): Promise<void>;
  /**
   * At start only, after {@link PeerDefinition.probe} passes: rejects until the peer serves what a client does
   * first (Kafka: a topic created now is visible with a leader), retried until the start timeout. Answering is not
   * being ready: a broker holding many partitions answers Metadata seconds before it shows a new topic.
   */
  ready?(record: PeerRecord): Promise<void>;
}
