import { describe, expect, it } from 'vitest';
import { compareKey, EMPTY_DIGEST, rollDigest, type SeenMessage, valueDigest } from '../src/index.js';

const msg = (id: string, value = id, partition = 0): SeenMessage => ({
  id,
  digest: valueDigest(new TextEncoder().encode(value)),
  partition,
  position: id,
});

describe('migrate/digest/rollDigest', () => {
  it('depends on order', () => {
    const a = valueDigest(new Uint8Array([1]));
    const b = valueDigest(new Uint8Array([2]));
    expect(rollDigest(rollDigest(EMPTY_DIGEST, a), b)).not.toBe(rollDigest(rollDigest(EMPTY_DIGEST, b), a));
    expect(rollDigest(EMPTY_DIGEST, a)).toBe(rollDigest(EMPTY_DIGEST, a));
  });
});

describe('migrate/digest/compareKey', () => {
  const source = ['1', '2', '3', '4'].map((i) => msg(i));

  it('finds nothing when the target equals the source, with equal digests', () => {
    const c = compareKey('k', source, source);
    expect(c.differences).toEqual([]);
    expect(c.sourceDigest).toBe(c.targetDigest);
  });

  it('counts a replayed suffix as duplicates, not as a difference', () => {
    const c = compareKey('k', source, [source[0], source[1], source[2], source[1], source[2], source[3]] as SeenMessage[]);
    expect(c.differences).toEqual([]);
    expect(c.duplicates).toBe(2);
    expect(c.sourceDigest).toBe(c.targetDigest);
  });

  it('reports missing messages with their source position', () => {
    const c = compareKey('k', source, [source[0], source[1], source[3]] as SeenMessage[]);
    expect(c.differences).toEqual([{ kind: 'missing', key: 'k', id: '3', source: { partition: 0, position: '3' } }]);
  });

  it('reports a message written ahead of its turn as out of order', () => {
    const c = compareKey('k', source, [source[0], source[2], source[1], source[3]] as SeenMessage[]);
    expect(c.differences.map((d) => [d.kind, d.id])).toEqual([['out-of-order', '3']]);
    expect(c.sourceDigest).not.toBe(c.targetDigest);
  });

  it('reports unknown messages as extra and changed values as mismatched', () => {
    const c = compareKey('k', source, [source[0], msg('2', 'changed'), source[2], source[3], msg('9')] as SeenMessage[]);
    expect(c.differences.map((d) => [d.kind, d.id])).toEqual([
      ['mismatched', '2'],
      ['extra', '9'],
    ]);
  });

  it('does not check order for messages without a key', () => {
    const c = compareKey(null, source, [source[3], source[2], source[1], source[0]] as SeenMessage[]);
    expect(c.differences).toEqual([]);
  });
});
