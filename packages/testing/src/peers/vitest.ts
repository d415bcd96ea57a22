/**
 * Vitest helpers for integration tests on the local peers (`@speedlayer/testing/peers/vitest`). The `int`
 * project's global setup (`global-setup.ts`) brings the peers up and provides their status; tests read it with
 * {@link injectPeers} or wrap their suites in {@link describePeer}, which skips a suite whose peer is not up
 * (only possible with `SPEEDLAYER_SKIP_PEERS=1` outside CI).
 *
 * @example
 * ```ts
 * import { describePeer } from '@speedlayer/testing/peers/vitest';
 * import { expect, it } from 'vitest';
 * describePeer('kafka', 'kafka adapter', (kafka) => {
 *   it('knows the bootstrap address', () => {
 *     expect(kafka.bootstrap).toMatch(/:\d+$/);
 *   });
 * });
 * ```
 *
 * @packageDocumentation
 */

import { describe, inject, it } from 'vitest';
import type { PeerName, PeerStatusOf, PeersStatus } from './types.js';

declare module 'vitest' {
  /** Values the peers' global setup provides to every test of the `int` project. */
  export interface ProvidedContext {
    /** Status of the peers that are up (see `speedlayer peers status --json`). */
    peers: PeersStatus;
    /** Peers the run asked for that were skipped with `SPEEDLAYER_SKIP_PEERS=1`. */
    peersSkipped: PeerName[];
  }
}

/** The peers' status as provided by the global setup (empty outside the `int` project). */
export function injectPeers(): PeersStatus {
  return inject('peers') ?? { streams: {} };
}

/**
 * A `describe` that runs only when `peer` is up, and hands the suite the peer's status. When the peer is not up
 * (skipped with `SPEEDLAYER_SKIP_PEERS=1`), the suite is reported as skipped with the reason.
 */
export function describePeer<N extends PeerName>(
  peer: N,
  name: string,
  factory: (status: PeerStatusOf<N>, all: PeersStatus) => void,
): void {
  const all = injectPeers();
  const status = all[peer] as PeerStatusOf<N> | undefined;
  if (status === undefined) {
    describe.skip(name, () => {
      it(`needs the ${peer} peer, which is not up (SPEEDLAYER_SKIP_PEERS=1 or not in SPEEDLAYER_PEERS)`, () => {});
    });
    return;
  }
  describe(name, () => factory(status, all));
}
