import { CancelledError, type ProducerRecord, type RecordMetadata, recordBytes, TopicBatcher } from '@speedlayer/core';
import { describe, expect, it } from 'vitest';
import { batcherOptions } from './batcher-options.js';

const opts = batcherOptions;

/** A batch sender that holds every batch until released, recording what it was given. */
function heldSender() {
  const batches: ProducerRecord[][] = [];
  const release: Array<() => void> = [];
  let offset = 0;
  const send = async (records: ProducerRecord[]): Promise<RecordMetadata[]> => {
    batches.push(records);
    await new Promise<void>((r) => release.push(r));
    return records.map(() => ({ partition: 0, position: String(offset++) }));
  };
  const values = () => batches.map((x) => x.map((r) => r.value));
  return { batches, release, send, values };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('core/batcher: TopicBatcher keys, bytes and settling', () => {
  it('a call of several keys blocks each of them while in flight; a call held behind it holds its keys too', async () => {
    const s = heldSender();
    const b = new TopicBatcher(s.send, opts());
    const first = b.add([
      { key: 'a', value: 'a1' },
      { key: 'b', value: 'b1' },
      { key: 'a', value: 'a1bis' },
    ]);
    await turn();
    // b2 waits for the batch holding b; x2 shares x with the held call and must stay behind it; c1 goes ahead
    const later = [
      b.add([
        { key: 'b', value: 'b2' },
        { key: 'x', value: 'x1' },
      ]),
      b.add([{ key: 'x', value: 'x2' }]),
      b.add([{ key: 'c', value: 'c1' }]),
      b.add([{ value: 'nokey' }]),
    ];
    await turn();
    expect(s.values()).toEqual([
      ['a1', 'b1', 'a1bis'],
      ['c1', 'nokey'],
    ]);
    s.release.shift()?.();
    await first;
    await turn();
    expect(s.values()[2]).toEqual(['b2', 'x1', 'x2']);
    for (const r of s.release.splice(0)) r();
    await turn();
    for (const r of s.release.splice(0)) r();
    const results = await Promise.all(later);
    expect(results.map((m) => m.length)).toEqual([2, 1, 1, 1]);
  });

  it('a caller that resumes after its send settles finds its key free: one caller, one key, in order', async () => {
    const sent: string[] = [];
    const b = new TopicBatcher(
      async (records) => {
        for (const r of records) sent.push(r.value as string);
        return records.map((_, i) => ({ partition: 0, position: String(sent.length - records.length + i) }));
      },
      opts({ maxInFlight: 1 }),
    );
    const positions: string[] = [];
    for (let i = 0; i < 50; i++) positions.push(((await b.add([{ key: 'k', value: `v${i}` }]))[0] as RecordMetadata).position);
    expect(sent).toEqual(Array.from({ length: 50 }, (_, i) => `v${i}`));
    expect(positions).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
    expect(b.pending).toBe(0);
  });

  it('counts bytes as recordBytes does (UTF-8 of string values and keys, header names and values)', async () => {
    const record: ProducerRecord = { key: 'clé', value: 'é€😀', headers: { 'trace-id': 'ü', n: '12' } };
    const size = recordBytes(record);
    expect(size).toBe(4 + 9 + 8 + 2 + 1 + 2);
    // two such calls fit a batch of exactly 2 x size bytes; one byte less splits them
    for (const [limit, batches] of [
      [2 * size, 1],
      [2 * size - 1, 2],
    ] as const) {
      let sends = 0;
      const b = new TopicBatcher(
        async (records) => {
          sends++;
          return records.map(() => ({ partition: 0, position: '0' }));
        },
        opts({ maxBatchBytes: limit }),
      );
      await Promise.all([b.add([{ ...record }]), b.add([{ ...record }])]);
      expect(sends).toBe(batches);
    }
  });

  it('inherited header properties are not counted (own enumerable names only, as recordBytes)', async () => {
    const headers = Object.assign(Object.create({ inherited: 'x'.repeat(100) }) as Record<string, string>, { own: 'v' });
    const record: ProducerRecord = { value: new Uint8Array(10), headers };
    expect(recordBytes(record)).toBe(14);
    let sends = 0;
    const b = new TopicBatcher(
      async (records) => {
        sends++;
        return records.map(() => ({ partition: 0, position: '0' }));
      },
      opts({ maxBatchBytes: 28 }),
    );
    await Promise.all([b.add([record]), b.add([record])]);
    expect(sends).toBe(1);
  });

  it('never throws from add: a malformed call and an already aborted signal are rejections', async () => {
    const b = new TopicBatcher(async (records) => records.map(() => ({ partition: 0, position: '0' })), opts());
    let bad: Promise<RecordMetadata[]> | undefined;
    expect(() => {
      bad = b.add([{ value: null as unknown as string }]);
    }).not.toThrow();
    await expect(bad).rejects.toBeInstanceOf(TypeError);
    const ac = new AbortController();
    ac.abort();
    await expect(b.add([{ value: 'x' }], ac.signal)).rejects.toBeInstanceOf(CancelledError);
    expect(b.pending).toBe(0);
  });

  it('over maxQueuedBytes a call waits for room and still goes out in call order', async () => {
    const s = heldSender();
    const b = new TopicBatcher(s.send, opts({ maxInFlight: 1, maxQueuedBytes: 3 }));
    const calls = ['v1', 'v2', 'v3', 'v4'].map((v) => b.add([{ value: v }]));
    await turn();
    // v1 and v2 are queued (2 then 4 bytes); v3 and v4 find the queue over 3 bytes and wait for room
    expect(s.values()).toEqual([['v1', 'v2']]);
    for (let i = 0; i < 10 && s.release.length > 0; i++) {
      s.release.shift()?.();
      await turn();
      await turn();
    }
    await Promise.all(calls);
    expect(s.values().flat()).toEqual(['v1', 'v2', 'v3', 'v4']);
  });

  it('a lone call gets its own metadata; calls of a coalesced batch get their own slices', async () => {
    const b = new TopicBatcher(async (records) => records.map((r, i) => ({ partition: i, position: String(r.value) })), opts());
    const lone = await b.add([{ value: 'only' }]);
    expect(lone).toEqual([{ partition: 0, position: 'only' }]);
    const [one, two] = await Promise.all([b.add([{ value: 'a' }]), b.add([{ value: 'b' }, { value: 'c' }])]);
    expect(one).toEqual([{ partition: 0, position: 'a' }]);
    expect(two).toEqual([
      { partition: 1, position: 'b' },
      { partition: 2, position: 'c' },
    ]);
  });
});
