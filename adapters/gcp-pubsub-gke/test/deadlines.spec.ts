/**
 * Request deadlines (issue #23): every unary Pub/Sub call, retries included, is bounded by `requestTimeoutMs`
 * (default 20 s), so an unreachable endpoint fails with a typed error in that time. Before: the client library's
 * 60 s per call (83 s for `speedlayer topic create` against a dead emulator) with no setting to change it.
 */
import { createServer } from 'node:net';
import { connect, isSpeedlayerError } from '@speedlayer/core';
import { describe, expect, it } from 'vitest';
import { boundedClientConfig } from '../src/stream/client.js';
import { publishErrorField } from '../src/stream/mapping.js';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

describe('gcp-pubsub-gke/stream/deadlines', () => {
  it('bounds every unary call and its retries, and leaves streaming pull alone', () => {
    const config = boundedClientConfig(5000);
    const services = Object.entries(config.interfaces);
    expect(services.map(([s]) => s)).toEqual(
      expect.arrayContaining(['google.pubsub.v1.Publisher', 'google.pubsub.v1.Subscriber']),
    );
    let unary = 0;
    for (const [service, conf] of services) {
      for (const [method, m] of Object.entries(conf.methods ?? {})) {
        const params = conf.retry_params?.[m.retry_params_name ?? ''];
        if (method === 'StreamingPull') {
          expect(m.timeout_millis).toBeGreaterThan(5000);
          continue;
        }
        unary++;
        expect(m.timeout_millis, `${service}.${method}`).toBeLessThanOrEqual(5000);
        if (params) expect(params.total_timeout_millis, `${service}.${method}`).toBeLessThanOrEqual(5000);
        if (m.retry_codes_name) expect(conf.retry_codes?.[m.retry_codes_name], `${service}.${method}`).toBeDefined();
      }
    }
    expect(unary).toBeGreaterThan(10);
  });

  it('an unreachable endpoint fails within requestTimeoutMs with a typed error', async () => {
    const port = await closedPort();
    const client = await connect(`pubsub://p-1?emulatorHost=127.0.0.1:${port}`, { config: { requestTimeoutMs: 1500 } });
    try {
      const error = await client.admin.ensureTopic('deadline-topic', { partitions: 1 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isSpeedlayerError(error), String(error)).toBe(true);
      expect((error as { kind: string }).kind).toMatch(/^(timeout|connection)$/);
      expect(String((error as Error).message)).not.toMatch(/600000|60000 milliseconds/);
    } finally {
      await client.close();
    }
  }, 15_000);

  it('a send during an outage fails with a TimeoutError naming requestTimeoutMs, not the record', async () => {
    // a refused port (the client retries UNAVAILABLE until the deadline) and a server that accepts and never answers
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const ports = [await closedPort(), (silent.address() as { port: number }).port];
      for (const port of ports) {
        const client = await connect(`pubsub://p-1?emulatorHost=127.0.0.1:${port}`, { config: { requestTimeoutMs: 1000 } });
        const producer = client.producer();
        try {
          const started = Date.now();
          const error = await producer.send('outage-topic', { key: 'k', value: 'v' }).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(Date.now() - started).toBeLessThan(8000);
          expect(error, `port ${port}`).toMatchObject({ kind: 'timeout', field: 'requestTimeoutMs', retriable: true });
          expect(String((error as Error).message)).toMatch(/publish to topic "outage-topic"/);
        } finally {
          await producer.close().catch(() => {});
          await client.close();
        }
      }
    } finally {
      silent.close();
    }
  }, 30_000);

  it('a failed publish names the field at fault', () => {
    const err = (code: number) => Object.assign(new Error(`code ${code}`), { code });
    expect(publishErrorField(err(4), 2)).toBe('requestTimeoutMs'); // DEADLINE_EXCEEDED
    expect(publishErrorField(err(5), 2)).toBe('topic'); // NOT_FOUND
    expect(publishErrorField(err(14), 2)).toBeUndefined(); // UNAVAILABLE
    expect(publishErrorField(err(3), 2)).toBe('records[2]'); // INVALID_ARGUMENT
  });

  it('requestTimeoutMs is validated', async () => {
    await expect(connect('pubsub://p-1?emulatorHost=127.0.0.1:1', { config: { requestTimeoutMs: 0 } })).rejects.toMatchObject({
      kind: 'config',
      field: 'requestTimeoutMs',
    });
  });
});
