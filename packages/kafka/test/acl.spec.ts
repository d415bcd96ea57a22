/**
 * `applyKafkaAcls` refuses what it cannot apply before it talks to any broker: a malformed binding (a typed
 * `ConfigError` naming the field of the binding at fault) and a stream client that is not on Kafka.
 */
import { isSpeedlayerError, type StreamClient } from '@speedlayer/core';
import { describe, expect, it } from 'vitest';
import { applyKafkaAcls, type KafkaAcl, kafkaAclKey } from '../src/index.js';

const good: KafkaAcl = {
  resourceType: 'topic',
  resourceName: 'orders',
  patternType: 'LITERAL',
  principal: 'User:orders-api',
  host: '*',
  operation: 'WRITE',
  permission: 'ALLOW',
};

/** A stream client of another target: touching anything but `target` fails the test. */
const notKafka = new Proxy({ target: 'local' } as unknown as StreamClient, {
  get(t, p) {
    if (p === 'target' || p === 'driverInstance' || p === 'then') return (t as unknown as Record<PropertyKey, unknown>)[p];
    throw new Error(`applyKafkaAcls touched client.${String(p)}`);
  },
});

async function failure(p: Promise<unknown>): Promise<Error & { kind?: string; field?: string }> {
  try {
    await p;
  } catch (e) {
    expect(isSpeedlayerError(e), String(e)).toBe(true);
    return e as Error & { kind?: string; field?: string };
  }
  throw new Error('expected a failure');
}

describe('applyKafkaAcls input checks', () => {
  it.each([
    [{ resourceType: 'cluster' }, 'acls[1].resourceType'],
    [{ resourceName: '' }, 'acls[1].resourceName'],
    [{ patternType: 'PREFIXED' }, 'acls[1].patternType'],
    [{ principal: 'orders-api' }, 'acls[1].principal'],
    [{ host: '' }, 'acls[1].host'],
    [{ operation: 'PUBLISH' }, 'acls[1].operation'],
    [{ operation: 'ANY' }, 'acls[1].operation'],
    [{ permission: 'MAYBE' }, 'acls[1].permission'],
  ])('a binding with %o is a ConfigError naming %s, before any request', async (bad, field) => {
    const e = await failure(applyKafkaAcls(notKafka, [good, { ...good, ...bad } as unknown as KafkaAcl]));
    expect(e).toMatchObject({ kind: 'config', field });
    expect(e.message).toContain(field);
  });

  it('a client that is not on Kafka is an UnsupportedError naming the target', async () => {
    const e = await failure(applyKafkaAcls(notKafka, [good]));
    expect(e).toMatchObject({ kind: 'unsupported', field: 'stream' });
    expect(e.message).toMatch(/not the local target/);
  });

  it('kafkaAclKey tells bindings apart by every field', () => {
    const fields: Partial<KafkaAcl>[] = [
      { resourceType: 'group' },
      { resourceName: 'orders2' },
      { principal: 'User:other' },
      { host: '10.0.0.1' },
      { operation: 'READ' },
      { permission: 'DENY' },
    ];
    const keys = new Set([good, ...fields.map((f) => ({ ...good, ...f }) as KafkaAcl)].map(kafkaAclKey));
    expect(keys.size).toBe(fields.length + 1);
    expect(kafkaAclKey({ ...good })).toBe(kafkaAclKey(good));
  });
});
