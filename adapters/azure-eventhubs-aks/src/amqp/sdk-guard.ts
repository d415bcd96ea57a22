/**
 * A workaround for a defect of the AMQP stack under `@azure/event-hubs` (`@azure/core-amqp` 4.4.x over
 * `rhea-promise` 3.x): when a management request (partition ids, partition properties, the load balancer's hub
 * properties) is aborted or times out after its link was torn down with the connection, `RequestResponseLink`
 * builds its error message from `receiver.address`, whose getter reads `source.address` of a link that no longer
 * has a source. The TypeError is thrown from a timer or an abort handler, so nothing can catch it and the process
 * dies (Azure/azure-sdk-for-js#20569, closed without a fix). Seen when an Event Hubs namespace (the stand-in) went
 * away and came back while a subscription was running, and when that subscription was closed.
 *
 * The guard makes the `address` getter of rhea-promise links return `undefined` instead of throwing (the SDK then
 * names the endpoint "address" in its message). It patches the one copy `@azure/core-amqp` itself loads, once.
 *
 * @packageDocumentation
 */
import { createRequire } from 'node:module';

const GUARDED = Symbol.for('speedlayer.eventhubs.linkAddressGuard');

/** The prototype that defines `address` (rhea-promise's `Link`), found from the exported `Receiver`. */
function linkPrototype(receiver: { prototype: object }): object | undefined {
  for (let proto: object | null = receiver.prototype; proto; proto = Object.getPrototypeOf(proto)) {
    if (Object.getOwnPropertyDescriptor(proto, 'address')?.get) return proto;
  }
  return undefined;
}

/** Makes `address` of a link without a source `undefined` instead of a TypeError. Safe to call many times. */
export function guardLinkAddress(receiverClass?: { prototype: object }): boolean {
  let Receiver = receiverClass;
  if (!Receiver) {
    try {
      // the copy of rhea-promise that @azure/core-amqp (a dependency of @azure/event-hubs) loads
      const fromHubs = createRequire(createRequire(import.meta.url).resolve('@azure/event-hubs'));
      const fromAmqp = createRequire(fromHubs.resolve('@azure/core-amqp'));
      Receiver = (fromAmqp('rhea-promise') as { Receiver?: { prototype: object } }).Receiver;
    } catch {
      return false; // another layout: leave it as it is
    }
  }
  const proto = Receiver ? linkPrototype(Receiver) : undefined;
  if (!proto) return false;
  const marked = proto as Record<symbol, unknown>;
  if (marked[GUARDED]) return true;
  const original = Object.getOwnPropertyDescriptor(proto, 'address') as PropertyDescriptor & { get: () => unknown };
  Object.defineProperty(proto, 'address', {
    ...original,
    get(this: unknown) {
      try {
        return original.get.call(this);
      } catch {
        return undefined;
      }
    },
  });
  marked[GUARDED] = true;
  return true;
}
