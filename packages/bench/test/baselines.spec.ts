import { describe, expect, it } from 'vitest';
import { RecordBatcher } from '../src/baselines/batch.js';
import { isLoopbackUrl, StaticSplit } from '../src/baselines/common.js';
import { baselineFor, baselineNames } from '../src/baselines/index.js';
import { frameRecord, unframeRecord } from '../src/baselines/kinesis.js';

const turn = () => new Promise<void>((r) => setImmediate(r));

describe('bench/baselines/RecordBatcher', () => {
  it('sends the records of one event-loop turn as one request and resolves each caller', async () => {
    const sent: number[][] = [];
    const b = new RecordBatcher<number>(
      async (items) => {
        sent.push(items);
      },
      { maxRecords: 500 },
    );
    const all = Promise.all([1, 2, 3].map((n) => b.add(n)));
    await all;
    expect(sent).toEqual([[1, 2, 3]]);
  });

  it('cuts requests at maxRecords and at maxBytes, keeping order', async () => {
    const sent: number[][] = [];
    const b = new RecordBatcher<number>(
      async (items) => {
        sent.push(items);
      },
      { maxRecords: 4, maxBytes: 30, maxInFlight: 10 },
      () => 10,
    );
    await Promise.all(Array.from({ length: 7 }, (_, i) => b.add(i)));
    expect(sent.flat()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    for (const req of sent) expect(req.length).toBeLessThanOrEqual(3);
  });

  it('lets batches grow while maxInFlight requests are outstanding', async () => {
    const sent: number[][] = [];
    let release: () => void = () => {};
    const b = new RecordBatcher<number>(
      (items) => {
        sent.push(items);
        return sent.length === 1 ? new Promise<void>((r) => (release = r)) : Promise.resolve();
      },
      { maxRecords: 100, maxInFlight: 1 },
    );
    const first = b.add(0);
    await turn();
    const rest = Array.from({ length: 5 }, (_, i) => b.add(i + 1));
    await turn();
    expect(sent).toEqual([[0]]);
    expect(b.queued).toBe(5);
    release();
    await Promise.all([first, ...rest]);
    expect(sent).toEqual([[0], [1, 2, 3, 4, 5]]);
    expect(b.batchSizes).toEqual([1, 5]);
  });

  it('fails every record of a failed request, and only those', async () => {
    let calls = 0;
    const b = new RecordBatcher<string>(
      async () => {
        calls++;
        if (calls === 1) throw new Error('throttled');
      },
      { maxRecords: 2, maxInFlight: 2 },
    );
    const results = await Promise.allSettled(['a', 'b', 'c'].map((x) => b.add(x)));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    expect((results[0] as PromiseRejectedResult).reason.message).toBe('throttled');
  });

  it('flush waits for queued and in-flight requests', async () => {
    const done: number[] = [];
    const b = new RecordBatcher<number>(
      async (items) => {
        await new Promise((r) => setTimeout(r, 20));
        done.push(...items);
      },
      { maxRecords: 2 },
    );
    for (let i = 0; i < 5; i++) void b.add(i);
    await b.flush();
    expect(done).toEqual([0, 1, 2, 3, 4]);
    await b.flush();
  });

  it('refuses maxRecords below 1', () => {
    expect(() => new RecordBatcher(async () => {}, { maxRecords: 0 })).toThrow(/maxRecords/);
  });
});

describe('bench/baselines/StaticSplit', () => {
  it('splits partitions round-robin over the live members of a group, and hands them over on leave', () => {
    const split = new StaticSplit();
    const a = split.join('t/g');
    const b = split.join('t/g');
    const other = split.join('t/h');
    expect([0, 1, 2, 3].map((p) => a.owns(p))).toEqual([true, false, true, false]);
    expect([0, 1, 2, 3].map((p) => b.owns(p))).toEqual([false, true, false, true]);
    expect([0, 1, 2, 3].every((p) => other.owns(p))).toBe(true);
    a.leave();
    expect([0, 1, 2, 3].every((p) => b.owns(p))).toBe(true);
    expect(a.owns(0)).toBe(false);
  });
});

describe('bench/baselines/isLoopbackUrl', () => {
  it.each([
    ['http://127.0.0.1:5000', true],
    ['http://localhost:4566', true],
    ['http://[::1]:5000', true],
    ['127.0.0.5:8085', true],
    ['https://kinesis.us-east-1.amazonaws.com', false],
    ['http://10.0.0.1:5000', false],
    ['http://127.0.0.1.evil.example', false],
    ['not a url at all', false],
  ])('%s -> %s', (url, expected) => {
    expect(isLoopbackUrl(url)).toBe(expected);
  });
});

describe('bench/baselines/kinesis frame', () => {
  it('carries the send time in front of the payload and reports the payload size', () => {
    const framed = frameRecord(1_733_212_345_678_901.5, new Uint8Array([1, 2, 3]));
    expect(framed.byteLength).toBe(11);
    expect(unframeRecord(framed)).toEqual({ sentAtUs: 1_733_212_345_678_901.5, bytes: 3 });
    expect(unframeRecord(framed.subarray(0, 7))).toBeUndefined();
  });
});

describe('bench/baselines/baselineFor', () => {
  it.each([
    ['kafka://127.0.0.1:9092', 'raw-kafkajs'],
    ['kinesis://us-east-1?endpoint=http://127.0.0.1:5000', 'raw-aws-sdk-kinesis'],
    ['pubsub://my-project-1', 'raw-google-cloud-pubsub'],
    ['eventhubs://ns?connectionString=env:X', 'raw-azure-event-hubs'],
    ['eventhubs+kafka://127.0.0.1:9094?connectionString=env:X', 'raw-kafkajs-eventhubs'],
    ['memory://x', 'raw-lmdb'],
  ])('%s has the raw client %s', async (uri, name) => {
    expect(await baselineFor(uri)).toMatchObject({ available: true, name });
  });

  it('names the schemes that have one when a scheme has none', async () => {
    const r = await baselineFor('msk://arn:aws:kafka:us-east-1:123456789012:cluster/x/y');
    expect(r).toEqual({
      available: false,
      reason:
        'no raw-client baseline for msk:// (baselines exist for local://, memory://, kafka://, kinesis://, eventhubs://, eventhubs+kafka://, pubsub://)',
    });
  });

  it("takes each scheme's raw client from its target's descriptor", async () => {
    expect(await baselineNames()).toEqual({
      local: 'raw-lmdb',
      memory: 'raw-lmdb',
      kafka: 'raw-kafkajs',
      kinesis: 'raw-aws-sdk-kinesis',
      eventhubs: 'raw-azure-event-hubs',
      'eventhubs+kafka': 'raw-kafkajs-eventhubs',
      pubsub: 'raw-google-cloud-pubsub',
    });
    const acme = { id: 'acme', title: 'Acme', package: '@acme/t', streamSchemes: ['acme'] };
    const withBaseline = { ...acme, baselines: { acme: { name: 'raw-acme', open: { module: '@acme/t', export: 'x' } } } };
    expect(await baselineFor('acme://x', [withBaseline])).toMatchObject({ available: true, name: 'raw-acme' });
    expect(await baselineFor('acme://x', [acme])).toMatchObject({ available: false });
  });

  it('refuses eventhubs+kafka:// without a connection string reference, naming the field', async () => {
    const r = await baselineFor('eventhubs+kafka://127.0.0.1:9094');
    if (!r.available) throw new Error('expected a baseline');
    await expect(r.open()).rejects.toMatchObject({ field: 'connectionString' });
  });
});
