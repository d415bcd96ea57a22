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

/** The raw client of each scheme, in the words reports use. */
export const BASELINES: Readonly<Record<string, string>> = {
  local: 'raw-lmdb',
  memory: 'raw-lmdb',
  kafka: 'raw-kafkajs',
  kinesis: 'raw-aws-sdk-kinesis',
  pubsub: 'raw-google-cloud-pubsub',
  eventhubs: 'raw-azure-event-hubs',
  'eventhubs+kafka': 'raw-kafkajs-eventhubs',
};

/**
 * The baseline for a stream URI: LMDB for `local://`/`memory://`, kafkajs for `kafka://` and `eventhubs+kafka://`,
 * `@aws-sdk/client-kinesis` for `kinesis://`, `@google-cloud/pubsub` for `pubsub://`, `@azure/event-hubs` for
 * `eventhubs://`.
 */
export function baselineFor(uri: string): BaselineLookup {
  const parsed = parseUri(uri, 'stream');
  switch (parsed.scheme) {
    case 'local':
    case 'memory':
      return { available: true, name: 'raw-lmdb', open: async () => (await import('./local.js')).openLocalBaseline(parsed) };
    case 'kafka':
      return { available: true, name: 'raw-kafkajs', open: async () => (await import('./kafka.js')).openKafkaBaseline(parsed) };
    case 'eventhubs+kafka':
      return {
        available: true,
        name: 'raw-kafkajs-eventhubs',
        open: async () => (await import('./kafka.js')).openEventHubsKafkaBaseline(parsed),
      };
    case 'kinesis':
      return {
        available: true,
        name: 'raw-aws-sdk-kinesis',
        open: async () => (await import('./kinesis.js')).openKinesisBaseline(parsed),
      };
    case 'pubsub':
      return {
        available: true,
        name: 'raw-google-cloud-pubsub',
        open: async () => (await import('./pubsub.js')).openPubSubBaseline(parsed),
      };
    case 'eventhubs':
      return {
        available: true,
        name: 'raw-azure-event-hubs',
        open: async () => (await import('./eventhubs.js')).openEventHubsBaseline(parsed),
      };
    default:
      return {
        available: false,
        reason: `no raw-client baseline for ${parsed.scheme}:// (baselines exist for ${Object.keys(BASELINES)
          .map((s) => `${s}://`)
          .join(', ')})`,
      };
  }
}
