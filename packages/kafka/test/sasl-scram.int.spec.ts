/**
 * The driver's TLS + SASL path against a broker that enforces it (the `kafkaAuth` peer: SASL_SSL with
 * SCRAM-SHA-512 only, StandardAuthorizer, no ACL = no access): a URI with `tls`, `caFile`, `sasl`, `username` and
 * `password=env:VAR` connects, sends and consumes; a wrong password fails at once with a typed auth error (no retry
 * storm, counted at a TCP relay in front of the broker) that carries no secret; a user without ACLs is refused.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { inspect } from 'node:util';
import { type ConsumedMessage, connect, isSpeedlayerError, registerStreamTarget, type StreamClient } from '@speedlayer/core';
import { uniqueName, waitFor } from '@speedlayer/testing';
import { ensureKafkaAuthUser } from '@speedlayer/testing/peers';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { streamFactory } from '../src/index.js';

// `kafka://` is served by this package's own factory, registered in-process as the registry also routes it here.
registerStreamTarget('kafka', { target: 'kafka', module: '@speedlayer/kafka', factory: streamFactory });

async function failure(p: Promise<unknown>): Promise<Error & { kind?: string; retriable?: boolean; target?: string }> {
  try {
    await p;
  } catch (e) {
    expect(isSpeedlayerError(e), String(e)).toBe(true);
    return e as Error & { kind?: string; retriable?: boolean };
  }
  throw new Error('expected a failure');
}

/** A TCP relay to `target` that counts the connections made through it. */
async function countingRelay(
  target: string,
): Promise<{ bootstrap: string; connections: () => number; close: () => Promise<void> }> {
  const [host, port] = target.split(':') as [string, string];
  let count = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((inbound) => {
    count++;
    const outbound = tcpConnect(Number(port), host);
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const relayPort = typeof address === 'object' && address ? address.port : 0;
  return {
    bootstrap: `127.0.0.1:${relayPort}`,
    connections: () => count,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describePeer('kafkaAuth', 'kafka driver over SASL_SSL / SCRAM-SHA-512 with ACLs enforced', (peer) => {
  const caFile = encodeURIComponent(peer.caFile);
  const uriFor = (bootstrap: string, user: string, passwordVar: string) =>
    `kafka://${bootstrap}?tls=true&caFile=${caFile}&sasl=scram-sha-512&username=${user}&password=env:${passwordVar}`;
  const adminPassword = readFileSync(peer.adminPasswordFile, 'utf8').trim();
  process.env.SL_TEST_KAFKA_ADMIN_PW = adminPassword;
  let admin: StreamClient;
  let topic: string;

  beforeAll(async () => {
    admin = await connect(uriFor(peer.bootstrap, peer.adminUser, 'SL_TEST_KAFKA_ADMIN_PW'));
    topic = uniqueName('sasl-scram');
    await admin.admin.ensureTopic(topic, { partitions: 2 });
  });
  afterAll(async () => {
    await admin?.admin.deleteTopic(topic).catch(() => {});
    await admin?.close();
    delete process.env.SL_TEST_KAFKA_ADMIN_PW;
    delete process.env.SL_TEST_KAFKA_WRONG_PW;
    delete process.env.SL_TEST_KAFKA_NOACL_PW;
  });

  it('the peer status names the endpoint, CA, mechanism and admin, with the password only by file', () => {
    expect(peer).toMatchObject({ mechanism: 'scram-sha-512', adminUser: 'admin' });
    expect(peer.bootstrap).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(readFileSync(peer.caFile, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(adminPassword.length).toBeGreaterThanOrEqual(20);
    expect(JSON.stringify(peer)).not.toContain(adminPassword);
  });

  it('connects with tls, caFile, sasl=scram-sha-512 and password=env:VAR, then sends and consumes', async () => {
    const sent = Array.from({ length: 20 }, (_, i) => ({ key: `k${i % 4}`, value: Buffer.from(`v${i}`) }));
    const producer = admin.producer();
    await producer.send(topic, sent);
    await producer.close();
    const got: ConsumedMessage[] = [];
    const sub = await admin.subscribe({ topic, group: uniqueName('sasl-scram-g'), startFrom: 'earliest' }, async (m) => {
      got.push(m);
    });
    try {
      await waitFor(() => got.length >= sent.length, 'all 20 records consumed', 60_000);
    } finally {
      await sub.close();
    }
    expect(got.map((m) => m.value.toString()).sort()).toEqual(sent.map((m) => m.value.toString()).sort());
    // Per-key order kept end to end.
    for (const key of ['k0', 'k1', 'k2', 'k3']) {
      const values = got.filter((m) => m.key?.toString() === key).map((m) => Number(m.value.toString().slice(1)));
      expect(values).toEqual([...values].sort((a, b) => a - b));
    }
  });

  it('a wrong password: a non-retriable auth error at once, one connection, no secret in it', async () => {
    const relay = await countingRelay(peer.bootstrap);
    const wrong = 'Wr0ng-but-plausible-password';
    process.env.SL_TEST_KAFKA_WRONG_PW = wrong;
    try {
      const t0 = Date.now();
      // The driver's defaults (retries 5 from 300 ms): an auth failure must not go through them.
      const e = await failure(connect(uriFor(relay.bootstrap, peer.adminUser, 'SL_TEST_KAFKA_WRONG_PW')));
      const ms = Date.now() - t0;
      expect(e).toMatchObject({ kind: 'auth', retriable: false, target: 'kafka' });
      expect(e.message).toMatch(/refused the SASL credentials/);
      expect(e.message).toContain(relay.bootstrap);
      for (const secret of [wrong, adminPassword]) {
        expect(e.message).not.toContain(secret);
        expect(inspect(e, { depth: 10 })).not.toContain(secret);
      }
      // kafkajs treats a SASL failure as non-retriable: one connection, not one per retry.
      expect(relay.connections()).toBe(1);
      process.stderr.write(`[sasl-scram] wrong password refused in ${ms} ms over ${relay.connections()} connection(s)\n`);
    } finally {
      await relay.close();
    }
  });

  it('a user without ACLs authenticates but is refused the topic with a typed authorization error', async () => {
    const user = await ensureKafkaAuthUser(peer, uniqueName('noacl').slice(0, 60));
    process.env.SL_TEST_KAFKA_NOACL_PW = readFileSync(user.passwordFile, 'utf8').trim();
    const client = await connect(uriFor(peer.bootstrap, user.username, 'SL_TEST_KAFKA_NOACL_PW'));
    try {
      const producer = client.producer();
      const sendError = await failure(producer.send(topic, [{ key: 'k', value: Buffer.from('nope') }]));
      await producer.close().catch(() => {});
      expect(sendError).toMatchObject({ kind: 'auth', retriable: false });
      expect(sendError.message).toMatch(/not authorized \(TOPIC_AUTHORIZATION_FAILED\)/);
      const subError = await failure(client.subscribe({ topic, group: uniqueName('noacl-g') }, async () => {}));
      expect(subError).toMatchObject({ kind: 'auth', retriable: false });
      expect(subError.message).toMatch(/not authorized/);
      expect(`${sendError.message}${subError.message}`).not.toContain(process.env.SL_TEST_KAFKA_NOACL_PW);
    } finally {
      await client.close();
    }
  });
});
