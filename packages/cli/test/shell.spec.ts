/**
 * The pure pieces behind the shell-facing verbs: terminal escaping, stdin line splitting, value decoding, and
 * spotting `--json` for error output.
 */

import { ValidationError } from '@speedlayer/core';
import { describe, expect, it } from 'vitest';
import { terminalSafe } from '../src/commands/consume.js';
import { decodeValue, LineSplitter, lineRecord } from '../src/commands/produce.js';
import { errorJson, jsonRequested } from '../src/common.js';

describe('cli/consume terminalSafe', () => {
  it.each([
    ['\x1b[2J', '\\x1b[2J'],
    ['bell\x07', 'bell\\x07'],
    ['a\nb\r\tc\\', 'a\\nb\\r\\tc\\\\'],
    ['\x7f\u009b31m', '\\x7f\\x9b31m'],
    ['\u202eevil\u2066', '\\u202eevil\\u2066'],
    ['grüße 🚀 日本', 'grüße 🚀 日本'],
  ])('%j is shown as %j', (input, shown) => {
    expect(terminalSafe(input)).toBe(shown);
    expect(terminalSafe(Buffer.from(input, 'utf8'))).toBe(shown);
  });

  it('bytes that are not UTF-8 become \\xNN, valid sequences around them stay', () => {
    expect(terminalSafe(Buffer.from([0x41, 0xff, 0xc3, 0xa9, 0xc3, 0x1b, 0x42]))).toBe('A\\xffé\\xc3\\x1bB');
  });
});

describe('cli/produce input', () => {
  it('splits chunks at newlines, across chunk borders, with a last line without newline', () => {
    const s = new LineSplitter(true);
    expect(s.push(Buffer.from('a\r\nb')).map(String)).toEqual(['a']);
    expect(s.push(Buffer.from('c\n\nd')).map(String)).toEqual(['bc', '']);
    expect(s.end().map(String)).toEqual(['d']);
    expect(new LineSplitter(false).push(Buffer.from('x\r\n')).map((b) => [...b])).toEqual([[0x78, 0x0d]]);
  });

  it('decodes base64 (standard and URL-safe) and hex, and names the line of a bad value', () => {
    expect([...decodeValue(Buffer.from('AP8='), 'base64', 1)]).toEqual([0, 255]);
    expect([...decodeValue(Buffer.from('AP-_'), 'base64', 1)]).toEqual([0, 255, 191]);
    expect([...decodeValue(Buffer.from('00ff'), 'hex', 1)]).toEqual([0, 255]);
    expect(() => decodeValue(Buffer.from('abc'), 'hex', 7)).toThrow(/line 7: value is not valid hex/);
    expect(() => decodeValue(Buffer.from('a*b='), 'base64', 3)).toThrow(ValidationError);
  });

  it('splits key and value at the separator; a key that is not UTF-8 is refused with its line', () => {
    expect(lineRecord(Buffer.from('k:v:w'), 1, { keySeparator: ':', valueEncoding: 'text' })).toMatchObject({ key: 'k' });
    expect(() => lineRecord(Buffer.from([0xff, 0x3a, 0x41]), 9, { keySeparator: ':', valueEncoding: 'text' })).toThrow(
      /line 9: key is not valid UTF-8/,
    );
  });
});

describe('cli/common --json errors', () => {
  it('--json counts only before --', () => {
    expect(jsonRequested(['node', 'bin', 'topic', 'list', '--json'])).toBe(true);
    expect(jsonRequested(['node', 'bin', 'produce', '--', '--json'])).toBe(false);
  });

  it('an error becomes one object with kind, message, field and exit code', () => {
    expect(errorJson(new ValidationError('bad', { field: 'x' }), 2)).toEqual({
      error: { kind: 'validation', message: 'bad', field: 'x', retriable: false, exitCode: 2 },
    });
    expect(errorJson(new Error('boom'), 1)).toEqual({ error: { kind: 'internal', message: 'boom', exitCode: 1 } });
  });
});
