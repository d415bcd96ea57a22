/**
 * A send during a broker outage fails with a typed, retriable `TimeoutError` after `sendTimeoutMs` (issue #23), and
 * the producer works again once the broker is back. Before: no such setting; an in-flight send blocked for as long
 * as kafkajs' retries took (~21 s with the defaults, longer with more retries).
 *
 * Uses a PRIVATE broker (the shared peer is in use by other tests), killed with SIGKILL and restarted.
 * Run: `SPEEDLAYER_PEERS=kafka npx vitest run --project int packages/kafka/test/send-deadline.int.spec.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, isSpeedlayerError, type StreamClient } from '@speedlayer/core';
import { uniqueName } from '@speedlayer/testing';
import { type PrivateKafka, startPrivateKafka } from '@speedlayer/testing/peers';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';

describePeer('kafka', 'kafka stream: send deadline during a broker outage (private broker)', () => {
  let dir = '';
  let broker: PrivateKafka | undefined;
  let client: StreamClient | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'speedlayer-kafka-deadline-'));
    broker = await startPrivateKafka({ dataDir: dir });
  }, 120_000);

  afterAll(async () => {
    try {
      await client?.close().catch(() => {});
    } finally {
      await broker?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('fails with a retriable TimeoutError naming sendTimeoutMs while the broker is down, and sends again after it is back', async () => {
    const b = broker as PrivateKafka;
    // many client retries: without the deadline a send would block for minutes
    client = await connect(`kafka://${b.bootstrap}`, { config: { sendTimeoutMs: 2000, retries: 30, connectionTimeoutMs: 1000 } });
    const topic = uniqueName('deadline');
    await client.admin.ensureTopic(topic, { partitions: 2 });
    const producer = client.producer();
    await producer.send(topic, { key: 'k', value: 'before' });

    await b.kill('SIGKILL');
    const error = await producer.send(topic, { key: 'k', value: 'during' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isSpeedlayerError(error), String(error)).toBe(true);
    expect(error).toMatchObject({ kind: 'timeout', retriable: true, field: 'sendTimeoutMs' });

    await b.restart();
    await expect(producer.send(topic, { key: 'k', value: 'after' })).resolves.toBeDefined();
    await producer.close();
  }, 180_000);
});
