import { describe, expect, it } from 'vitest';
import { type StreamCapabilities, ValidationError, validateBatch, validateTopicName, validateUtf8 } from '../src/index.js';

const caps: StreamCapabilities = {
  nativeHeaders: true,
  partitions: true,
  partitionGrowth: true,
  nativeConsumerGroups: true,
  timestampSeek: true,
  idempotentProduce: false,
  nativeDeadLetter: false,
  maxMessageBytes: 100,
  maxHeaders: 2,
  multiProcess: true,
  durable: true,
};

describe('core/validate', () => {
  it('accepts a good batch', () => {
    expect(validateBatch([{ key: 'a', value: 'x', headers: { h: 'v' } }], caps, 't')).toHaveLength(1);
  });

  it('names the record and field at fault', () => {
    expect(() => validateBatch([{ value: 'ok' }, { value: 5 as unknown as string }], caps, 't')).toThrow(
      expect.objectContaining({ field: 'records[1].value' }),
    );
    expect(() => validateBatch([{ value: 'x', headers: { a: '1', b: '2', c: '3' } }], caps, 't')).toThrow(
      expect.objectContaining({ field: 'records[0].headers' }),
    );
    expect(() => validateBatch([{ value: 'x', headers: { a: 1 as unknown as string } }], caps, 't')).toThrow(/headers\["a"\]/);
    expect(() => validateBatch([{ value: 'x', partition: -1 }], caps, 't')).toThrow(
      expect.objectContaining({ field: 'records[0].partition' }),
    );
  });

  it('counts key, value and headers against the size limit', () => {
    expect(() => validateBatch([{ key: 'k'.repeat(60), value: 'v'.repeat(41) }], caps, 't')).toThrow(
      expect.objectContaining({ kind: 'message-too-large', index: 0 }),
    );
    expect(() => validateBatch([{ key: 'k'.repeat(60), value: 'v'.repeat(40) }], caps, 't')).not.toThrow();
  });

  it('refuses a partition on a target without partitions', () => {
    expect(() => validateBatch([{ value: 'x', partition: 0 }], { ...caps, partitions: false }, 'pubsub')).toThrow(
      /has no partitions/,
    );
  });

  it('checks topic names', () => {
    expect(validateTopicName('orders.v1_x-y')).toBe('orders.v1_x-y');
    expect(() => validateTopicName('a/b')).toThrow(expect.objectContaining({ field: 'topic' }));
    expect(() => validateTopicName('')).toThrow();
  });
});

describe('core/validate/utf8', () => {
  const lone = 'a\uD800b';
  it('refuses a key, value or header with a lone surrogate, naming the field, non-retriable', () => {
    const cases: [Parameters<typeof validateBatch>[0], string][] = [
      [[{ value: 'ok' }, { key: lone, value: 'x' }], 'records[1].key'],
      [[{ value: `x${'\uDC00'}` }], 'records[0].value'],
      [[{ value: 'x', headers: { h: lone } }], 'records[0].headers.h'],
      [[{ value: 'x', headers: { [lone]: 'v' } }], 'records[0].headers'],
    ];
    for (const [records, field] of cases) {
      let err: unknown;
      try {
        validateBatch(records, caps, 't');
      } catch (e) {
        err = e;
      }
      expect(err, field).toBeInstanceOf(ValidationError);
      expect(err).toMatchObject({ field, retriable: false, kind: 'validation' });
      expect(String((err as Error).message)).toMatch(/lone surrogate/);
    }
  });

  it('accepts paired surrogates (emoji) and binary values', () => {
    expect(
      validateBatch([{ key: '😀', value: new Uint8Array([0xff, 0xfe]), headers: { '😀': '\uD83D\uDE00' } }], caps, 't'),
    ).toHaveLength(1);
    expect(validateUtf8('\uD83D\uDE00', 'f')).toBe('😀');
    expect(() => validateUtf8('\uDE00\uD83D', 'f')).toThrow(ValidationError);
  });
});
