/**
 * `@speedlayer/TEMPLATE`: the runtime entry of the TEMPLATE target: its stream driver (the driver SPI in
 * `@speedlayer/core`'s `driver.ts`), exported as `streamFactory` for the registry. The portable client wraps it:
 * batching, lifecycle, validation, retry and middleware are core's, so the driver only sends a batch, subscribes,
 * administers topics and declares its capabilities. Import the vendor SDK here (and below), never in `./target`.
 *
 * @packageDocumentation
 */
import { type StreamCapabilities, type StreamFactory, UnsupportedError } from '@speedlayer/core';
import { templateDescriptor } from './target.js';

/**
 * The driver's capabilities: the descriptor's flags plus what depends on config (limits, tier features).
 * TODO: the real limits of the vendor, each with its source in `./plan`'s limits.
 */
export function templateCapabilities(): StreamCapabilities {
  return {
    partitionGrowth: false,
    nativeConsumerGroups: false,
    timestampSeek: false,
    idempotentProduce: false,
    multiProcess: true,
    maxMessageBytes: 1024 * 1024,
    nativeHeaders: true,
    partitions: true,
    nativeDeadLetter: false,
    durable: true,
    ...templateDescriptor.capabilities,
  };
}

/**
 * The stream factory `connect('acme://…')` loads. TODO: parse the URI and config (a zod schema through core's
 * `resolveConfig`, errors naming the field), build the vendor client and return a `StreamDriver`
 * (`target`, `uri`, `capabilities`, `admin`, `producer()`, `subscribe()`, `close()`, optional `native()`, `lag()`).
 * @throws `UnsupportedError` until the driver is written.
 */
export const streamFactory: StreamFactory = async (uri) => {
  throw new UnsupportedError(`${templateDescriptor.id}: the driver for ${uri.scheme}:// is not written yet`, {
    target: templateDescriptor.id,
  });
};
