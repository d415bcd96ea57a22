/**
 * Vitest global setup of the `int` project: brings up the peers the run needs and provides their status to the
 * tests (`inject('peers')`, or `describePeer` from `@speedlayer/testing/peers/vitest`).
 *
 * Environment:
 * - `SPEEDLAYER_PEERS=kafka,moto,...` — which peers to bring up (default: all; `none` for none).
 * - `SPEEDLAYER_SKIP_PEERS=1` — start nothing (a quick local loop); suites whose peer is not up skip themselves.
 *   Refused when `CI` is set.
 * - `SPEEDLAYER_KEEP_PEERS=1` — leave the peers this run started running at the end (they are reused next time).
 * - `SPEEDLAYER_KAFKA_IDLE_TOPIC_HOURS=24` — before the tests, delete the Kafka peer's topics not written for this
 *   many hours (earlier runs' uniquely named topics; the peer keeps data across restarts, so they pile up); `0` keeps
 *   them all.
 *
 * A peer that cannot start fails the run with an error naming it (never a silent skip).
 *
 * @packageDocumentation
 */

import { join } from 'node:path';
import { ConfigError } from '@speedlayer/core';
import type { TestProject } from 'vitest/node';
import { paths } from './common.js';
import { pruneIdleKafkaTopics } from './kafka.js';
import { parsePeerNames, peersDown, peersStatus, peersUp } from './launcher.js';
import type { PeerName } from './types.js';
import './vitest.js';

const log = (line: string) => process.stderr.write(`[peers] ${line}\n`);

function truthy(v: string | undefined): boolean {
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/** Brings the peers up and returns the teardown that stops the ones this run started. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const requested = (process.env.SPEEDLAYER_PEERS ?? '').trim();
  const names: PeerName[] = requested === 'none' ? [] : parsePeerNames(requested === '' ? [] : [requested]);

  if (truthy(process.env.SPEEDLAYER_SKIP_PEERS)) {
    if (truthy(process.env.CI)) {
      throw new ConfigError('SPEEDLAYER_SKIP_PEERS is refused when CI is set: integration tests must run against real peers', {
        field: 'SPEEDLAYER_SKIP_PEERS',
      });
    }
    const status = await peersStatus();
    const skipped = names.filter((n) => status[n] === undefined);
    log(
      `SPEEDLAYER_SKIP_PEERS=1: not starting ${skipped.length ? skipped.join(', ') : 'anything'}; ` +
        `suites that need ${skipped.length ? 'them' : 'a peer that is down'} are skipped` +
        (names.length > skipped.length ? ` (already up and used: ${names.filter((n) => !skipped.includes(n)).join(', ')})` : ''),
    );
    project.provide('peers', status);
    project.provide('peersSkipped', skipped);
    return async () => {};
  }

  const t0 = Date.now();
  const result = await peersUp(names, { log });
  const summary = names.map((n) => {
    const t = result.timings[n];
    if (!t) return `${n} reused`;
    return `${n} ${t.installMs !== undefined ? `installed ${(t.installMs / 1000).toFixed(0)}s + ` : ''}started ${((t.startMs ?? 0) / 1000).toFixed(1)}s`;
  });
  if (names.length) log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)}s: ${summary.join('; ')}`);
  const idleHours = Number(process.env.SPEEDLAYER_KAFKA_IDLE_TOPIC_HOURS ?? 24);
  const kafka = result.status.kafka;
  if (kafka && Number.isFinite(idleHours) && idleHours > 0) {
    // housekeeping: a failure is reported and the run goes on (the tests use their own unique topics)
    await pruneIdleKafkaTopics(kafka.bootstrap, join(paths.run('kafka'), 'data'), idleHours).then(
      (r) => {
        if (r.deleted.length) log(`kafka: deleted ${r.deleted.length} topics not written for ${idleHours} h (${r.kept} kept)`);
      },
      (e: unknown) => log(`kafka: could not delete idle topics: ${e instanceof Error ? e.message : String(e)}`),
    );
  }
  project.provide('peers', result.status);
  project.provide('peersSkipped', []);

  return async () => {
    if (truthy(process.env.SPEEDLAYER_KEEP_PEERS) || result.started.length === 0) {
      if (result.started.length) log(`SPEEDLAYER_KEEP_PEERS=1: leaving ${result.started.join(', ')} running`);
      return;
    }
    const stopped = await peersDown(result.started, { log });
    log(`stopped ${stopped.join(', ')}`);
  };
}
