/**
 * The `eventhubs+kafka://` transport without a server: URI → bootstrap mapping, the connection string only by
 * reference (a literal refused, never echoed), its shape, the namespace check, Event Hubs' tier limits and the
 * Kafka adapter config built from it (secret still a reference).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { parseUri } from '@speedlayer/core';
import { kafkaCapabilities, mapKafkaError, resolveKafkaConfig } from '@speedlayer/kafka';
import { afterEach, describe, expect, it } from 'vitest';
import {
  EVENTHUBS_KAFKA_REQUEST_BYTES,
  EVENTHUBS_KAFKA_REQUEST_LIMIT_BYTES,
  eventHubsKafkaCapabilities,
  eventHubsKafkaConfigJsonSchema,
  eventHubsKafkaDialect,
  eventHubsKafkaEndpoint,
  eventHubsKafkaTier,
  mapEventHubsKafkaError,
  parseEventHubsConnectionString,
  resolveEventHubsKafkaConfig,
  resolveEventHubsKafkaConnection,
} from '../src/kafka/index.js';

const KEY = 'c2VjcmV0LWtleS1ub3QtdG8tYmUtc2hvd24tYW55d2hlcmU9';
const good = (host = 'orders-ns.servicebus.windows.net') =>
  `Endpoint=sb://${host}/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=${KEY}`;

function thrown(fn: () => unknown): Record<string, unknown> & Error {
  try {
    fn();
  } catch (e) {
    return e as Record<string, unknown> & Error;
  }
  throw new Error('expected a throw');
}

async function rejected(p: Promise<unknown>): Promise<Record<string, unknown> & Error> {
  try {
    await p;
  } catch (e) {
    return e as Record<string, unknown> & Error;
  }
  throw new Error('expected a rejection');
}

const envNames: string[] = [];
function env(value: string): string {
  const name = `SPEEDLAYER_TEST_EH_${envNames.length}_${process.pid}`;
  process.env[name] = value;
  envNames.push(name);
  return `env:${name}`;
}
afterEach(() => {
  for (const n of envNames.splice(0)) delete process.env[n];
});

describe('azure-eventhubs-aks/kafka: URI → Kafka endpoint', () => {
  it('maps a bare namespace name to <name>.servicebus.windows.net:9093', () => {
    expect(eventHubsKafkaEndpoint('Orders-NS')).toEqual({
      brokers: ['orders-ns.servicebus.windows.net:9093'],
      host: 'orders-ns.servicebus.windows.net',
      namespace: 'orders-ns',
      explicit: false,
    });
  });

  it('keeps a namespace host name (sovereign clouds too) and adds port 9093', () => {
    expect(eventHubsKafkaEndpoint('orders-ns.servicebus.windows.net/')).toMatchObject({
      brokers: ['orders-ns.servicebus.windows.net:9093'],
      namespace: 'orders-ns',
      explicit: false,
    });
    expect(eventHubsKafkaEndpoint('orders-ns.servicebus.chinacloudapi.cn').brokers).toEqual([
      'orders-ns.servicebus.chinacloudapi.cn:9093',
    ]);
  });

  it('takes an explicit host:port as is (local peer, private endpoint)', () => {
    expect(eventHubsKafkaEndpoint('127.0.0.1:9094')).toEqual({
      brokers: ['127.0.0.1:9094'],
      host: undefined,
      namespace: undefined,
      explicit: true,
    });
  });

  it('refuses what is no namespace (too short, bad characters, empty) naming uri', () => {
    for (const loc of ['abc', 'my_namespace', '', '-leading-hyphen', 'ns:notaport']) {
      expect(
        thrown(() => eventHubsKafkaEndpoint(loc)),
        loc,
      ).toMatchObject({
        kind: 'config',
        field: 'uri',
        target: 'azure-eventhubs-aks',
      });
    }
  });
});

describe('azure-eventhubs-aks/kafka: config', () => {
  it('applies Event Hubs defaults and reads the query; config wins', () => {
    const config = resolveEventHubsKafkaConfig(
      parseUri('eventhubs+kafka://orders-ns?connectionString=env:EH&retries=2&tier=premium&idempotent=false'),
      { retries: 4 },
    );
    expect(config).toMatchObject({
      connectionString: 'env:EH',
      tier: 'premium',
      retries: 4,
      idempotent: false,
      requestTimeoutMs: 60_000,
      commitIntervalMs: 250,
      metadataMaxAgeMs: 30_000,
      clientId: 'speedlayer',
    });
  });

  it('refuses a literal connection string (query or config) naming connectionString, never echoing it', () => {
    const literal = good();
    for (const e of [
      thrown(() =>
        resolveEventHubsKafkaConfig(parseUri(`eventhubs+kafka://orders-ns?connectionString=${encodeURIComponent(literal)}`)),
      ),
      thrown(() => resolveEventHubsKafkaConfig(parseUri('eventhubs+kafka://orders-ns'), { connectionString: literal })),
    ]) {
      expect(e).toMatchObject({ kind: 'config', field: 'connectionString', retriable: false, target: 'azure-eventhubs-aks' });
      expect(e.message).not.toContain(KEY);
      expect(e.message).not.toContain('SharedAccessKey=');
      expect(e.message).toMatch(/env:VAR|file:/);
    }
  });

  it('needs the connection string', () => {
    const e = thrown(() => resolveEventHubsKafkaConfig(parseUri('eventhubs+kafka://orders-ns')));
    expect(e).toMatchObject({ kind: 'config', field: 'connectionString' });
  });

  it('refuses settings Event Hubs cannot take, each named', () => {
    const uri = parseUri('eventhubs+kafka://orders-ns?connectionString=env:EH');
    expect(thrown(() => resolveEventHubsKafkaConfig(uri, { requestTimeoutMs: 20_000 }))).toMatchObject({
      field: 'requestTimeoutMs',
    });
    expect(thrown(() => resolveEventHubsKafkaConfig(uri, { metadataMaxAgeMs: 240_000 }))).toMatchObject({
      field: 'metadataMaxAgeMs',
    });
    expect(thrown(() => resolveEventHubsKafkaConfig(uri, { commitIntervalMs: 100 }))).toMatchObject({
      field: 'commitIntervalMs',
    });
    expect(thrown(() => resolveEventHubsKafkaConfig(uri, { tier: 'gold' }))).toMatchObject({ field: 'tier' });
    // SASL, TLS and the record limit are fixed by the endpoint, not options
    expect(thrown(() => resolveEventHubsKafkaConfig(uri, { sasl: { mechanism: 'plain' } }))).toMatchObject({
      kind: 'config',
      field: 'sasl',
    });
    expect(thrown(() => resolveEventHubsKafkaConfig(uri, { messageMaxBytes: 2_000_000 }))).toMatchObject({
      field: 'messageMaxBytes',
    });
    expect(
      thrown(() => resolveEventHubsKafkaConfig(parseUri('eventhubs+kafka://orders-ns?connectionString=env:EH&retries=x'))),
    ).toMatchObject({ field: 'retries' });
  });

  it('exports its schema as JSON Schema', () => {
    const schema = eventHubsKafkaConfigJsonSchema();
    expect(schema.type).toBe('object');
    expect(Object.keys(schema.properties as object)).toEqual(
      expect.arrayContaining(['connectionString', 'tier', 'caFile', 'requestTimeoutMs', 'idempotent']),
    );
    expect(schema.required).toContain('connectionString');
    expect(schema.required).not.toContain('caFile');
  });
});

describe('azure-eventhubs-aks/kafka: connection string shape', () => {
  it('accepts Endpoint + SharedAccessKeyName + SharedAccessKey, names case-insensitive, optional EntityPath', () => {
    expect(parseEventHubsConnectionString(good())).toEqual({
      endpointHost: 'orders-ns.servicebus.windows.net',
      sharedAccessKeyName: 'RootManageSharedAccessKey',
      credential: 'key',
      entityPath: undefined,
    });
    expect(
      parseEventHubsConnectionString(
        `endpoint=sb://Orders-NS.servicebus.windows.net;sharedaccesskeyname=send;sharedaccesskey=${KEY};EntityPath=orders;`,
      ),
    ).toMatchObject({ endpointHost: 'orders-ns.servicebus.windows.net', entityPath: 'orders', sharedAccessKeyName: 'send' });
    expect(
      parseEventHubsConnectionString(
        'Endpoint=sb://orders-ns.servicebus.windows.net/;SharedAccessSignature=SharedAccessSignature sr=x&sig=y&se=1&skn=send',
      ),
    ).toMatchObject({ credential: 'signature' });
  });

  it('refuses broken strings naming the part at fault, never showing a value', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /empty/],
      [KEY, /part 1/], // a key pasted alone
      [`SharedAccessKeyName=a;SharedAccessKey=${KEY}`, /Endpoint is missing/],
      [`Endpoint=https://orders-ns.servicebus.windows.net/;SharedAccessKeyName=a;SharedAccessKey=${KEY}`, /sb:\/\//],
      ['Endpoint=sb://orders-ns.servicebus.windows.net/;SharedAccessKeyName=a', /SharedAccessKey is missing/],
      [`Endpoint=sb://orders-ns.servicebus.windows.net/;SharedAccessKey=${KEY}`, /SharedAccessKeyName/],
      [`${good()};SharedAccessSignature=SharedAccessSignature sig=${KEY}`, /both/],
      [`${good()};Password=${KEY}`, /part 4 is not one of/],
      [`${good()};SharedAccessKey=${KEY}`, /twice/],
      [`${good()};EntityPath=`, /EntityPath is empty/],
    ];
    for (const [text, why] of cases) {
      const e = thrown(() => parseEventHubsConnectionString(text));
      expect(e, text).toMatchObject({ kind: 'config', field: 'connectionString', retriable: false });
      expect(e.message, text).toMatch(why);
      expect(e.message, text).not.toContain(KEY);
    }
  });
});

describe('azure-eventhubs-aks/kafka: resolving the connection', () => {
  it('builds SASL_SSL PLAIN with user $ConnectionString and the password still a reference', async () => {
    const ref = env(good());
    const uri = parseUri(`eventhubs+kafka://orders-ns?connectionString=${ref}`);
    const c = await resolveEventHubsKafkaConnection(uri, resolveEventHubsKafkaConfig(uri));
    expect(c.endpoint.brokers).toEqual(['orders-ns.servicebus.windows.net:9093']);
    expect(c.kafka).toMatchObject({
      tls: true,
      sasl: { mechanism: 'plain', username: '$ConnectionString', password: ref },
      messageMaxBytes: EVENTHUBS_KAFKA_REQUEST_BYTES,
      maxRequestBytes: EVENTHUBS_KAFKA_REQUEST_BYTES,
      requestTimeoutMs: 60_000,
      commitIntervalMs: 250,
    });
    expect(inspect(c, { depth: 10, showHidden: true })).not.toContain(KEY);
    expect(JSON.stringify(c)).not.toContain(KEY);
  });

  it('reads file: references too, and accepts the FQDN form of the same namespace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'speedlayer-eh-kafka-'));
    const file = join(dir, 'cs');
    writeFileSync(file, `${good()}\n`, { mode: 0o600 });
    const uri = parseUri(`eventhubs+kafka://orders-ns.servicebus.windows.net?connectionString=file:${file}`);
    const c = await resolveEventHubsKafkaConnection(uri, resolveEventHubsKafkaConfig(uri));
    expect(c.connectionString.endpointHost).toBe('orders-ns.servicebus.windows.net');
  });

  it('a connection string of another namespace is a ConfigError naming both hosts, not the key', async () => {
    const ref = env(good('billing-ns.servicebus.windows.net'));
    const uri = parseUri(`eventhubs+kafka://orders-ns?connectionString=${ref}`);
    const e = await rejected(resolveEventHubsKafkaConnection(uri, resolveEventHubsKafkaConfig(uri)));
    expect(e).toMatchObject({ kind: 'config', field: 'connectionString', retriable: false });
    expect(e.message).toContain('billing-ns.servicebus.windows.net');
    expect(e.message).toContain('orders-ns.servicebus.windows.net');
    expect(e.message).not.toContain(KEY);
  });

  it('an explicit host:port skips the namespace check (the local peer’s string names 127.0.0.1)', async () => {
    const ref = env(good('some-other-ns.servicebus.windows.net'));
    const uri = parseUri(`eventhubs+kafka://127.0.0.1:9094?connectionString=${ref}&caFile=/ca.pem`);
    const c = await resolveEventHubsKafkaConnection(uri, resolveEventHubsKafkaConfig(uri));
    expect(c.endpoint).toMatchObject({ explicit: true, brokers: ['127.0.0.1:9094'] });
    expect(c.kafka.caFile).toBe('/ca.pem');
  });

  it('refuses a generated SAS token (the Kafka endpoint does not take them) and a missing variable', async () => {
    const sas = env(
      `Endpoint=sb://orders-ns.servicebus.windows.net/;SharedAccessSignature=SharedAccessSignature sr=a&sig=${KEY}&se=1&skn=s`,
    );
    const uri = parseUri(`eventhubs+kafka://orders-ns?connectionString=${sas}`);
    const e = await rejected(resolveEventHubsKafkaConnection(uri, resolveEventHubsKafkaConfig(uri)));
    expect(e).toMatchObject({ kind: 'config', field: 'connectionString' });
    expect(e.message).toMatch(/shared access signature/);
    expect(e.message).not.toContain(KEY);

    const missing = parseUri('eventhubs+kafka://orders-ns?connectionString=env:SPEEDLAYER_TEST_EH_NOT_SET');
    const m = await rejected(resolveEventHubsKafkaConnection(missing, resolveEventHubsKafkaConfig(missing)));
    expect(m).toMatchObject({ kind: 'config', field: 'connectionString', target: 'azure-eventhubs-aks' });
    expect(m.message).toContain('SPEEDLAYER_TEST_EH_NOT_SET');
  });
});

describe('azure-eventhubs-aks/kafka: tiers', () => {
  it('Basic has no Kafka endpoint: a ConfigError naming tier, before anything is read', async () => {
    expect(thrown(() => eventHubsKafkaTier('basic'))).toMatchObject({ kind: 'config', field: 'tier' });
    const uri = parseUri('eventhubs+kafka://orders-ns?connectionString=env:SPEEDLAYER_TEST_EH_NOT_SET&tier=basic');
    expect(await rejected(resolveEventHubsKafkaConnection(uri, resolveEventHubsKafkaConfig(uri)))).toMatchObject({
      field: 'tier',
    });
  });

  it('declares what each tier has: growth on premium/dedicated only, partitions per hub, records below the request limit', () => {
    const base = (idempotent: boolean) =>
      kafkaCapabilities(
        resolveKafkaConfig(parseUri('kafka://b:9093'), { messageMaxBytes: EVENTHUBS_KAFKA_REQUEST_BYTES, idempotent }),
      );
    const standard = eventHubsKafkaCapabilities(base(true), eventHubsKafkaTier('standard'));
    expect(standard).toMatchObject({
      partitionGrowth: false,
      partitions: true,
      nativeHeaders: true,
      nativeConsumerGroups: true,
      timestampSeek: true,
      idempotentProduce: true,
      nativeDeadLetter: false,
      maxPartitions: 32,
      maxBatchBytes: EVENTHUBS_KAFKA_REQUEST_BYTES,
    });
    expect(standard.maxMessageBytes).toBe(1_000_000 - 512);
    expect(standard.maxMessageBytes).toBeLessThan(EVENTHUBS_KAFKA_REQUEST_LIMIT_BYTES);
    expect(eventHubsKafkaCapabilities(base(true), eventHubsKafkaTier('premium'))).toMatchObject({
      partitionGrowth: true,
      maxPartitions: 100,
    });
    expect(eventHubsKafkaCapabilities(base(false), eventHubsKafkaTier('dedicated'))).toMatchObject({
      partitionGrowth: true,
      idempotentProduce: false,
      maxPartitions: 1024,
    });
  });

  it('a retention, hub name, growth or session timeout the tier does not allow is refused before any request', async () => {
    // the dialect's checks are pure: the shared Kafka driver runs them before it sends anything
    const make = async (tier: 'standard' | 'premium') => {
      const uri = parseUri(`eventhubs+kafka://127.0.0.1:9094?connectionString=${env(good())}&tier=${tier}`);
      const config = resolveEventHubsKafkaConfig(uri);
      return eventHubsKafkaDialect(config, await resolveEventHubsKafkaConnection(uri, config));
    };
    const standard = await make('standard');
    const checks = standard.checks ?? {};
    // partitions per hub are the declared maxPartitions, which the portable client checks (see the capabilities test)
    const e = thrown(() => checks.ensureTopic?.('orders', { partitions: 4, retentionHours: 169 }));
    expect(e).toMatchObject({ kind: 'validation', field: 'retentionHours', retriable: false, target: 'azure-eventhubs-aks' });
    expect(e.message).toContain('standard');
    expect(() => checks.ensureTopic?.('orders', { partitions: 32, retentionHours: 168 })).not.toThrow();
    expect(thrown(() => checks.growPartitions?.('orders', 8))).toMatchObject({ kind: 'unsupported', field: 'partitions' });
    expect(thrown(() => checks.topic?.('orders-'))).toMatchObject({ kind: 'validation', field: 'topic' });
    expect(() => checks.topic?.('orders.v1_a-b')).not.toThrow();
    expect(standard.describeBeforeCreate).toBe(true);
    const premium = await make('premium');
    expect(() => premium.checks?.growPartitions?.('orders', 100)).not.toThrow();
    expect(() => premium.checks?.ensureTopic?.('orders', { partitions: 4, retentionHours: 2160 })).not.toThrow();
    expect(premium.describe?.()).toMatchObject({
      tier: 'premium',
      maxPartitions: 100,
      maxRetentionHours: 2160,
      transport: 'kafka',
      sharedAccessKeyName: 'RootManageSharedAccessKey',
    });
    expect(premium.topicDetails?.({ name: 'orders', partitions: 4 })).toMatchObject({
      details: { eventHubs: { tier: 'premium', maxPartitions: 100, partitionGrowth: true } },
    });
    expect(inspect(premium, { depth: 10, showHidden: true })).not.toContain(KEY);
    expect(JSON.stringify(premium.describe?.())).not.toContain(KEY);
    // session timeouts of the Kafka endpoint
    for (const sessionTimeoutMs of [5000, 300_001]) {
      expect(thrown(() => premium.checks?.subscribe?.({ topic: 'orders', group: 'g', sessionTimeoutMs }))).toMatchObject({
        kind: 'config',
        field: 'sessionTimeoutMs',
      });
    }
    expect(() => premium.checks?.subscribe?.({ topic: 'orders', group: 'g', sessionTimeoutMs: 6000 })).not.toThrow();
  });
});

describe('azure-eventhubs-aks/kafka: errors', () => {
  const brokers = ['orders-ns.servicebus.windows.net:9093'];
  const ctx = { brokers, topic: 'orders', target: 'azure-eventhubs-aks' };
  const kafkaJs = (type: string) => Object.assign(new Error(`Broker: ${type}`), { name: 'KafkaJSProtocolError', type });

  it('a produce answered with POLICY_VIOLATION is Event Hubs throttling: a retriable ThrottledError', () => {
    const inner = mapKafkaError(kafkaJs('POLICY_VIOLATION'), { ...ctx, op: 'send to orders' });
    expect(inner).toMatchObject({ kind: 'validation', target: 'azure-eventhubs-aks' });
    expect(mapEventHubsKafkaError(inner)).toMatchObject({ kind: 'throttled', retriable: true, target: 'azure-eventhubs-aks' });
  });

  it('other errors keep their kind', () => {
    const create = mapKafkaError(kafkaJs('POLICY_VIOLATION'), { ...ctx, op: 'create topic orders' });
    expect(mapEventHubsKafkaError(create)).toBe(create);
    const sasl = mapKafkaError(
      Object.assign(new Error('SASL PLAIN authentication failed: Invalid username or password'), {
        name: 'KafkaJSSASLAuthenticationError',
      }),
      { ...ctx, op: 'connect' },
    );
    expect(mapEventHubsKafkaError(sasl)).toMatchObject({ kind: 'auth', retriable: false, target: 'azure-eventhubs-aks' });
  });
});
