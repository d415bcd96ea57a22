/**
 * The guard against Azure/azure-sdk-for-js#20569 (see adapters/azure-eventhubs-aks/src/amqp/sdk-guard.ts): a
 * rhea-promise link whose underlying link has no source (torn down with its connection) answers `address` with
 * `undefined` instead of throwing, in the copy of rhea-promise that @azure/core-amqp loads; other links are
 * unchanged. Before the guard the getter threw the TypeError that ended the process from a timer.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { guardLinkAddress } from '../../adapters/azure-eventhubs-aks/src/amqp/sdk-guard.js';

/** rhea-promise as @azure/core-amqp loads it. */
function rheaPromise(): { Receiver: { prototype: object } } {
  const fromAdapter = createRequire(new URL('../../adapters/azure-eventhubs-aks/package.json', import.meta.url));
  const fromHubs = createRequire(fromAdapter.resolve('@azure/event-hubs'));
  const fromAmqp = createRequire(fromHubs.resolve('@azure/core-amqp'));
  return fromAmqp('rhea-promise') as { Receiver: { prototype: object } };
}

function addressOf(link: object): unknown {
  return (link as { address: unknown }).address;
}

describe('guardLinkAddress', () => {
  it('a class-local copy shows the defect and the guard removes it, leaving live links as they are', () => {
    // a fresh class with the same getter as rhea-promise's Link, so the check does not depend on test order
    class Link {
      constructor(readonly _link: { source?: { address: string } }) {}
      get source() {
        return this._link.source;
      }
      get address() {
        return (this.source as { address: string }).address;
      }
    }
    class Receiver extends Link {}
    const torn = new Receiver({});
    expect(() => addressOf(torn)).toThrow(TypeError);
    expect(guardLinkAddress(Receiver)).toBe(true);
    expect(addressOf(torn)).toBeUndefined();
    expect(addressOf(new Receiver({ source: { address: 'hub/$management' } }))).toBe('hub/$management');
    expect(guardLinkAddress(Receiver)).toBe(true); // once only: calling again changes nothing
    expect(addressOf(new Receiver({ source: { address: 'x' } }))).toBe('x');
  });

  it('patches the rhea-promise that @azure/core-amqp loads', () => {
    expect(guardLinkAddress()).toBe(true);
    const { Receiver } = rheaPromise();
    const torn = Object.create(Receiver.prototype, { _link: { value: {} } }) as object;
    expect(addressOf(torn)).toBeUndefined();
    const live = Object.create(Receiver.prototype, { _link: { value: { source: { address: 'hub/$management' } } } });
    expect(addressOf(live)).toBe('hub/$management');
  });
});
