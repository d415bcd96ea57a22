/**
 * Stream URIs that reach the local peers, one per stream target whose adapter package is installed.
 * The table is data: a new adapter adds one row here and nothing else changes. URIs never carry a secret;
 * they point to files instead.
 *
 * @packageDocumentation
 */

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TARGET_REGISTRY } from '@speedlayer/core';
import { paths } from './common.js';
import type { PeersStatus, StreamUris } from './types.js';

/** One stream target: the package that implements it and how its URI is made from the peers' status. */
export interface StreamTargetRow {
  /** Key in `streams` (the URI scheme). */
  scheme: string;
  /** Adapter package that must be resolvable for the row to be listed: the one core's registry names for the scheme. */
  adapterPackage: string;
  /** The URI, or undefined when the peer it needs is not up. */
  uri: (status: Omit<PeersStatus, 'streams'>) => string | undefined;
}

/** Percent-encodes a query value but keeps `/` and `:` readable (file paths). */
function q(value: string): string {
  return encodeURIComponent(value).replace(/%2F/gi, '/').replace(/%3A/gi, ':');
}

/** The package core's registry loads for a stream scheme (its `./target` line). */
function adapterOf(scheme: string): string {
  const line = TARGET_REGISTRY.find((l) => l.streams?.includes(scheme));
  if (!line) throw new Error(`core's target registry has no line for ${scheme}://`);
  return line.module.replace(/\/target$/, '');
}

/** The stream targets and how to reach each on the local peers. */
export const STREAM_TARGETS: readonly StreamTargetRow[] = [
  { scheme: 'local', adapterPackage: adapterOf('local'), uri: () => `local://${paths.localData()}` },
  {
    scheme: 'kafka',
    adapterPackage: adapterOf('kafka'),
    uri: (s) => (s.kafka ? `kafka://${s.kafka.bootstrap}` : undefined),
  },
  {
    scheme: 'kinesis',
    adapterPackage: adapterOf('kinesis'),
    uri: (s) => (s.moto ? `kinesis://${s.moto.region}?endpoint=${q(s.moto.endpoint)}` : undefined),
  },
  {
    scheme: 'pubsub',
    adapterPackage: adapterOf('pubsub'),
    uri: (s) => (s.pubsub ? `pubsub://${s.pubsub.projectId}?emulatorHost=${q(s.pubsub.emulatorHost)}` : undefined),
  },
  {
    // The Event Hubs AMQP stand-in (not Event Hubs): key by file; the management plane takes a namespace SAS.
    scheme: 'eventhubs',
    adapterPackage: adapterOf('eventhubs'),
    uri: (s) => {
      const e = s['eventhubs-standin'];
      if (!e) return undefined;
      const hostPort = e.endpoint.replace(/^sb:\/\//, '').replace(/\/$/, '');
      return (
        `eventhubs://${hostPort}?connectionString=file:${q(e.connectionStringFile)}` +
        `&management.endpoint=${q(e.managementEndpoint)}&management.subscriptionId=${q(e.subscriptionId)}` +
        `&management.resourceGroup=${q(e.resourceGroup)}&management.namespace=${q(e.namespace)}&management.auth=sas` +
        // Consumer groups keep ownership and checkpoints in blobs: on Azurite when it is up.
        (s.azurite
          ? `&checkpointStore.connectionString=file:${q(s.azurite.connectionStringFile)}` +
            '&checkpointStore.container=speedlayer-checkpoints&checkpointStore.createContainer=true'
          : '')
      );
    },
  },
  {
    scheme: 'eventhubs+kafka',
    adapterPackage: adapterOf('eventhubs+kafka'),
    uri: (s) =>
      s.kafka
        ? `eventhubs+kafka://${s.kafka.saslSsl}?connectionString=file:${q(s.kafka.connectionStringFile)}&caFile=${q(s.kafka.caFile)}`
        : undefined,
  },
];

const here = dirname(fileURLToPath(import.meta.url));

/**
 * True when a package can be resolved from this package (or from the working directory), whether or not it
 * has been built yet.
 */
export function packageAvailable(name: string): boolean {
  for (const base of [import.meta.url, join(process.cwd(), 'noop.js')]) {
    try {
      createRequire(base).resolve(name);
      return true;
    } catch (e) {
      // Resolvable but not importable through `require` (exports map, unbuilt dist): it exists.
      if ((e as NodeJS.ErrnoException).code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') return true;
    }
  }
  // An unbuilt workspace package: its package.json is in a node_modules directory above us.
  for (let dir = here; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules', name, 'package.json'))) return true;
    if (dirname(dir) === dir) break;
  }
  return existsSync(join(process.cwd(), 'node_modules', name, 'package.json'));
}

/** The `streams` section of the status for the peers that are up. */
export function streamUris(status: Omit<PeersStatus, 'streams'>): StreamUris {
  const out: StreamUris = {};
  for (const row of STREAM_TARGETS) {
    if (!packageAvailable(row.adapterPackage)) continue;
    const uri = row.uri(status);
    if (uri !== undefined) out[row.scheme] = uri;
  }
  return out;
}
