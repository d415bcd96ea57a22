/**
 * Raw-client baselines for `--overhead`, one module per vendor so vendor SDK types stay inside it, each loaded only
 * when asked for. Which scheme has which baseline is data in the targets' descriptors (`baselines`), so a target added
 * to the registry brings its own.
 *
 * @packageDocumentation
 */
import { type ParsedUri, parseUri, type TargetDescriptor, targetDescriptors } from '@speedlayer/core';
import type { BenchDriver } from '../driver.js';

/** Why a target has no baseline, or a loader of its baseline driver. */
export type BaselineLookup =
  | { available: true; name: string; open: () => Promise<BenchDriver> }
  | { available: false; reason: string };

/** Opens a baseline driver on a parsed stream URI. */
type Opener = (uri: ParsedUri) => Promise<BenchDriver>;

// an opener whose module (and vendor SDK) loads on its first call
const lazy =
  <K extends string>(load: () => Promise<Record<K, Opener>>, name: K): Opener =>
  async (uri) =>
    (await load())[name](uri);

/** Opens the LMDB baseline of `local://` and `memory://` (named by the local descriptors). */
export const openLocalBaseline = lazy(() => import('./local.js'), 'openLocalBaseline');
/** Opens the kafkajs baseline of `kafka://`. */
export const openKafkaBaseline = lazy(() => import('./kafka.js'), 'openKafkaBaseline');
/** Opens the kafkajs baseline of `eventhubs+kafka://`. */
export const openEventHubsKafkaBaseline = lazy(() => import('./kafka.js'), 'openEventHubsKafkaBaseline');
/** Opens the `@aws-sdk/client-kinesis` baseline of `kinesis://`. */
export const openKinesisBaseline = lazy(() => import('./kinesis.js'), 'openKinesisBaseline');
/** Opens the `@google-cloud/pubsub` baseline of `pubsub://`. */
export const openPubSubBaseline = lazy(() => import('./pubsub.js'), 'openPubSubBaseline');
/** Opens the `@azure/event-hubs` baseline of `eventhubs://`. */
export const openEventHubsBaseline = lazy(() => import('./eventhubs.js'), 'openEventHubsBaseline');

/**
 * The raw client of each stream scheme, in the words reports use, from the descriptors (`raw-lmdb` for `local://`,
 * `raw-kafkajs` for `kafka://`, ...), in registry order.
 */
export async function baselineNames(descriptors?: readonly TargetDescriptor[]): Promise<Record<string, string>> {
  const all = descriptors ?? (await targetDescriptors());
  return Object.fromEntries(all.flatMap((d) => Object.entries(d.baselines ?? {}).map(([scheme, b]) => [scheme, b.name])));
}

/**
 * The baseline for a stream URI, as its target's descriptor names it: LMDB for `local://`/`memory://`, kafkajs for
 * `kafka://` and `eventhubs+kafka://`, `@aws-sdk/client-kinesis` for `kinesis://`, `@google-cloud/pubsub` for
 * `pubsub://`, `@azure/event-hubs` for `eventhubs://`.
 */
export async function baselineFor(uri: string, descriptors?: readonly TargetDescriptor[]): Promise<BaselineLookup> {
  const parsed = parseUri(uri, 'stream');
  const all = descriptors ?? (await targetDescriptors());
  for (const d of all) {
    const b = d.baselines?.[parsed.scheme];
    if (!b) continue;
    return {
      available: true,
      name: b.name,
      open: async () => {
        const open = ((await import(b.open.module)) as Record<string, unknown>)[b.open.export];
        if (typeof open !== 'function') throw new Error(`${d.id}: ${b.open.module} does not export ${b.open.export}`);
        return (open as Opener)(parsed);
      },
    };
  }
  const known = Object.keys(await baselineNames(all));
  return {
    available: false,
    reason: `no raw-client baseline for ${parsed.scheme}:// (baselines exist for ${known.map((s) => `${s}://`).join(', ')})`,
  };
}
