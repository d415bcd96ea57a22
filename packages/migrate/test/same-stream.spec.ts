/** `sameStream`: when a migration's target is its source. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sameStream } from '../src/index.js';

describe('migrate/sameStream', () => {
  it.each([
    ['local://./data', `local://${join(process.cwd(), 'data')}`, true],
    ['local://', 'local://.', true],
    ['kafka://B1:9092/', 'kafka://b1:9092', true],
    ['msk://arn', 'kafka://arn', true],
    ['kinesis://us-east-1?endpoint=http://a', 'kinesis://us-east-1?endpoint=http://b', false],
    ['local://./a', 'local://./b', false],
    ['pubsub://p', 'pubsub://q', false],
  ])('%s vs %s: %s', (a, b, same) => {
    expect(sameStream(a, b)).toBe(same);
  });
});
