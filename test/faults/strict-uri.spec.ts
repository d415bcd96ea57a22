/**
 * URI and config values are validated strictly before any connection (issue #23): a boolean that is not
 * true/false/1/0 and a port outside 1-65535 are `ConfigError`s naming the field, at once, on every cloud target.
 * Before: `?tls=maybe` was read as false (plaintext), and port 99999 surfaced after 12 s of retries as a
 * connection error.
 */
import { createServer, type Server } from 'node:net';
import { ConfigError, configFromQuery, connect, parseHostList, resolveConfig, z } from '@speedlayer/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The rejection of `p` (undefined when it resolved; a resolved client is closed). */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    const v = await p;
    await (v as { close?: () => Promise<void> })?.close?.();
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('faults/strict URI values/core', () => {
  const schema = z.object({ tls: z.boolean().optional(), idempotent: z.boolean().default(true) }).strict();

  it('a boolean query value other than true/false/1/0 is refused naming the field', () => {
    for (const raw of ['maybe', 'yes', 'TRUE', '']) {
      const input = configFromQuery(schema, new URLSearchParams(`tls=${raw}`));
      expect(() => resolveConfig(schema, input, { target: 't' }), raw).toThrow(
        expect.objectContaining({ kind: 'config', field: 'tls' }),
      );
    }
    expect(
      resolveConfig(schema, configFromQuery(schema, new URLSearchParams('tls=false&idempotent=0')), { target: 't' }),
    ).toEqual({ tls: false, idempotent: false });
  });

  it('a port outside 1-65535 in a host list is a ConfigError naming uri', () => {
    for (const hosts of ['127.0.0.1:99999', 'a:9092,b:0', 'h:65536']) {
      expect(() => parseHostList(hosts), hosts).toThrow(expect.objectContaining({ kind: 'config', field: 'uri' }));
    }
    expect(parseHostList('a:1,b:65535')).toEqual(['a:1', 'b:65535']);
  });
});

describe('faults/strict URI values/every cloud target', () => {
  // a listener that counts connections: a value refused before connecting never reaches it
  let server: Server;
  let port = 0;
  let connections = 0;
  beforeAll(async () => {
    server = createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const cases: [string, string, string][] = [
    ['kafka tls=maybe', 'kafka://127.0.0.1:PORT?tls=maybe', 'tls'],
    ['kafka idempotent=yes', 'kafka://127.0.0.1:PORT?idempotent=yes', 'idempotent'],
    ['pubsub seek=maybe', 'pubsub://p-1?emulatorHost=127.0.0.1:PORT&seek=maybe', 'uri'],
    ['kafka port 99999', 'kafka://127.0.0.1:99999', 'uri'],
    ['eventhubs+kafka port 99999', 'eventhubs+kafka://127.0.0.1:99999?connectionString=env:SPEEDLAYER_NOT_SET', 'uri'],
    ['eventhubs port 99999', 'eventhubs://127.0.0.1:99999?connectionString=env:SPEEDLAYER_NOT_SET', 'uri'],
    ['pubsub emulator port 99999', 'pubsub://p-1?emulatorHost=127.0.0.1:99999', 'uri'],
    ['kinesis endpoint port 99999', 'kinesis://us-east-1?endpoint=http://127.0.0.1:99999', 'endpoint'],
  ];
  for (const [what, uri, field] of cases) {
    it(`${what} is a ConfigError naming ${field} before any connection`, async () => {
      const before = connections;
      const error = await rejection(connect(uri.replace('PORT', String(port))));
      expect(error, `${what}: connect() succeeded`).toBeInstanceOf(ConfigError);
      expect(error).toMatchObject({ kind: 'config', field, retriable: false });
      expect(connections - before, 'connections made before the refusal').toBe(0);
    });
  }
});
