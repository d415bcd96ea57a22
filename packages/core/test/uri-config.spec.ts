import { describe, expect, it } from 'vitest';
import {
  configFromQuery,
  connect,
  createCompute,
  parseHostList,
  parseUri,
  readSecretRef,
  resolveConfig,
  z,
} from '../src/index.js';

describe('core/uri', () => {
  it('splits scheme, location and query', () => {
    const u = parseUri('eventhubs+kafka://ns.servicebus.windows.net?tier=standard');
    expect(u.scheme).toBe('eventhubs+kafka');
    expect(u.location).toBe('ns.servicebus.windows.net');
    expect(u.params.get('tier')).toBe('standard');
    expect(parseUri('local://./data').location).toBe('./data');
  });

  it('refuses credentials in a URI', () => {
    expect(() => parseUri('kafka://alice:secret@b1:9092')).toThrow(expect.objectContaining({ kind: 'config', field: 'uri' }));
  });

  it('refuses malformed URIs with the field named', () => {
    expect(() => parseUri('not a uri')).toThrow(expect.objectContaining({ field: 'uri' }));
    expect(() => parseUri('')).toThrow(expect.objectContaining({ field: 'uri' }));
  });

  it('parses host lists', () => {
    expect(parseHostList('b1:9092,b2:9093')).toEqual(['b1:9092', 'b2:9093']);
    expect(() => parseHostList('b1')).toThrow(/host:port/);
  });

  it('connect names unknown schemes and lists the known ones', async () => {
    await expect(connect('nats://x')).rejects.toThrow(/unknown stream scheme "nats:\/\/"; known: local:\/\//);
    await expect(createCompute('nomad://x')).rejects.toMatchObject({ field: 'compute' });
  });
});

describe('core/config', () => {
  const schema = z.object({ brokers: z.array(z.string()).min(1), timeoutMs: z.number().int().positive().default(1000) }).strict();

  it('fills defaults', () => {
    expect(resolveConfig(schema, { brokers: ['a:1'] }, { target: 't' })).toEqual({ brokers: ['a:1'], timeoutMs: 1000 });
  });

  it('names the adapter and the field at fault', () => {
    expect(() => resolveConfig(schema, { brokers: ['a:1'], timeoutMs: -1 }, { target: 'aws-msk-eks' })).toThrow(
      expect.objectContaining({ kind: 'config', field: 'timeoutMs', target: 'aws-msk-eks' }),
    );
    expect(() => resolveConfig(schema, { brokers: [3] }, { target: 'x' })).toThrow(
      expect.objectContaining({ field: 'brokers[0]' }),
    );
    expect(() => resolveConfig(schema, { brokers: ['a'], extra: 1 }, { target: 'x' })).toThrow(/extra/);
  });

  it('reads secret references and refuses literals', async () => {
    process.env.SPEEDLAYER_TEST_SECRET = 's3cret';
    await expect(readSecretRef('env:SPEEDLAYER_TEST_SECRET', 'password')).resolves.toBe('s3cret');
    await expect(readSecretRef('hunter2', 'password')).rejects.toMatchObject({ field: 'password' });
    await expect(readSecretRef('env:SPEEDLAYER_NOT_SET_X', 'password')).rejects.toThrow(/not set/);
  });
});

describe('core/config/configFromQuery', () => {
  const schema = z
    .object({
      retries: z.number().int().default(5),
      tls: z.boolean().optional(),
      name: z.string().optional(),
      store: z.object({ container: z.string(), create: z.boolean().default(false), limit: z.number().optional() }).optional(),
    })
    .strict();

  it('converts values by the schema field type, fills nested objects from dotted keys and leaves the rest to the schema', () => {
    const q = new URLSearchParams('retries=3&tls=1&name=42&store.container=c&store.create=true&store.limit=7&extra=9');
    expect(configFromQuery(schema, q)).toEqual({
      retries: 3,
      tls: true,
      name: '42',
      store: { container: 'c', create: true, limit: 7 },
      extra: '9',
    });
    // an empty number is NaN, which the schema refuses naming the field
    const bad = configFromQuery(schema, new URLSearchParams('retries='));
    expect(() => resolveConfig(schema, bad, { target: 't' })).toThrow(/retries/);
  });
});
