/**
 * Raw-client baselines for `--overhead`, one module per target so vendor SDK types stay inside it. Each is
 * loaded only when asked for.
 *
 * @packageDocumentation
 */
import { parseUri } from '@speedlayer/core';
import type { BenchDriver } from '../driver.js';

/** Why a target has no baseline, or a loader of its baseline driver. */
export type BaselineLookup =
  | { available: true; name: string; open: () => Promise<BenchDriver> }
  | { available: false; reason: string };

/** The baseline for a stream URI: LMDB for `local://`/`memory://`, kafkajs for `kafka://`. */
export function baselineFor(uri: string): BaselineLookup {
  const parsed = parseUri(uri, 'stream');
  switch (parsed.scheme) {
    case 'local':
    case 'memory':
      return { available: true, name: 'raw-lmdb', open: async () => (await import('./local.js')).openLocalBaseline(parsed) };
    case 'kafka':
      return { available: true, name: 'raw-kafkajs', open: async () => (await import('./kafka.js')).openKafkaBaseline(parsed) };
    default:
      return {
        available: false,
        reason: `no raw-client baseline for ${parsed.scheme}:// yet (baselines exist for local://, memory://, kafka://)`,
      };
  }
}
