/**
 * `speedlayer peers down kafka` then `peers up kafka` keeps the broker's data (issue #23): acknowledged records, the
 * topic and the cluster id are all there after the restart, read back by kcat (a client that is not ours) and by
 * the SDK.
 *
 * The shared Kafka peer is used by other test files at the same time, so this test runs the launcher's own
 * `peersUp` / `peersDown` against a PRIVATE cache (`SPEEDLAYER_CACHE` in this worker only) whose installs are the
 * shared cache's (a symlink), on free ports forced through `SPEEDLAYER_KAFKA_*_PORT`. It always stops its broker.
 *
 * Run: `SPEEDLAYER_PEERS=kafka npx vitest run --project int packages/kafka/test/peer-restart.int.spec.ts`.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type StreamClient } from '@speedlayer/core';
import { Collector, uniqueName, waitFor } from '@speedlayer/testing';
import { type PrivatePeerCache, peersDown, peersReport, peersUp, usePrivatePeerCache } from '@speedlayer/testing/peers';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';

const PORT_ENV = [
  'SPEEDLAYER_KAFKA_PORT',
  'SPEEDLAYER_KAFKA_CONTROLLER_PORT',
  'SPEEDLAYER_KAFKA_SASL_SSL_PORT',
  'SPEEDLAYER_KAFKA_OAUTH_PORT',
] as const;

/** kcat, when the machine has it (`apt-get install kcat`). */
const kcat = spawnSync('kcat', ['-V'], { encoding: 'utf8' }).status === 0 ? 'kcat' : undefined;

describePeer('kafka', 'kafka peer: peers down / peers up keeps the data (private cache and ports)', () => {
  let priv: PrivatePeerCache | undefined;
  let cache = '';
  const clients: StreamClient[] = [];

  beforeAll(async () => {
    priv = await usePrivatePeerCache('speedlayer-peer-restart-', PORT_ENV);
    cache = priv.cache;
  }, 30_000);

  afterAll(async () => {
    try {
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
      await peersDown(['kafka']).catch(() => {});
    } finally {
      priv?.restore();
    }
  }, 60_000);

  it('every acknowledged record, the topic and the cluster id survive peers down + peers up', async () => {
    const up1 = await peersUp(['kafka']);
    expect(up1.started).toEqual(['kafka']);
    const bootstrap = up1.status.kafka?.bootstrap ?? '';
    expect(bootstrap).toBe(`127.0.0.1:${process.env.SPEEDLAYER_KAFKA_PORT}`);
    const dataDir = join(cache, 'run', 'kafka', 'data');
    const clusterId = () => readFileSync(join(dataDir, 'meta.properties'), 'utf8').match(/^cluster\.id=(.+)$/m)?.[1];
    const idBefore = clusterId();
    expect(idBefore).toBeTruthy();

    // N acknowledged records, keyed over 4 partitions
    const N = 2000;
    const topic = uniqueName('peer-restart');
    const client = await connect(`kafka://${bootstrap}`);
    clients.push(client);
    await client.admin.ensureTopic(topic, { partitions: 4 });
    const producer = client.producer();
    const values = Array.from({ length: N }, (_, i) => `v${i}`);
    let acked = 0;
    for (let i = 0; i < N; i += 100) {
      await producer.send(
        topic,
        values.slice(i, i + 100).map((v) => ({ key: `k${Number(v.slice(1)) % 16}`, value: v })),
      );
      acked += Math.min(100, N - i);
    }
    await producer.close();
    await client.close();
    clients.pop();

    // the operator's restart
    const downLog: string[] = [];
    expect(await peersDown(['kafka'], { log: (l) => downLog.push(l) })).toEqual(['kafka']);
    expect(downLog.join('\n')).toMatch(/kafka: stopping .*; data kept: log dirs, cluster id/);
    expect((await peersReport()).rows.find((r) => r.name === 'kafka')?.state).toBe('stopped');
    const up2 = await peersUp(['kafka']);
    expect(up2.started).toEqual(['kafka']);
    expect(up2.status.kafka?.bootstrap).toBe(bootstrap);
    expect(clusterId()).toBe(idBefore);
    expect((await peersReport()).rows.find((r) => r.name === 'kafka')?.data.kept).toBe(true);

    // read back with kcat: every acknowledged value, once per partition offset
    let kcatValues: string[] | undefined;
    if (kcat) {
      const out = spawnSync(kcat, ['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%s\\n'], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(out.status, out.stderr).toBe(0);
      kcatValues = out.stdout.split('\n').filter((l) => l !== '');
    }

    // and with the SDK, from the earliest offset in a new group
    const reader = await connect(`kafka://${bootstrap}`);
    clients.push(reader);
    const col = new Collector();
    const sub = await reader.subscribe({ topic, group: uniqueName('g'), startFrom: 'earliest' }, col.handler('r'));
    await waitFor(() => col.unique().size >= N, 'all records consumed after the restart', 60_000).catch(() => undefined);
    await sub.close();

    const consumed = col.unique();
    const lost = values.filter((v) => !consumed.has(v));
    const counts = {
      produced: N,
      acked,
      consumedUnique: consumed.size,
      duplicates: col.received.length - consumed.size,
      kcatRead: kcatValues?.length ?? 'kcat not installed',
      kcatUnique: kcatValues ? new Set(kcatValues).size : 'kcat not installed',
    };
    console.info(`[kafka peer restart] ${JSON.stringify(counts)}`);
    expect(lost, `acknowledged but gone after peers down/up (${lost.length})`).toEqual([]);
    if (kcatValues) {
      expect(new Set(kcatValues).size).toBe(N);
      expect(values.filter((v) => !kcatValues.includes(v))).toEqual([]);
    }
  }, 240_000);
});
