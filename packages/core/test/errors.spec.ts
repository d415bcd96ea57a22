import { describe, expect, it } from 'vitest';
import {
  ClosedError,
  ConfigError,
  ConnectionError,
  describeError,
  isSpeedlayerError,
  MessageTooLargeError,
  redact,
  SpeedlayerError,
  ThrottledError,
} from '../src/index.js';

describe('core/errors', () => {
  it('misuse errors are never retriable, transport errors are', () => {
    expect(new ConfigError('x').retriable).toBe(false);
    expect(new ClosedError('producer').retriable).toBe(false);
    expect(new MessageTooLargeError(2, 11, 10).retriable).toBe(false);
    expect(new ConnectionError('down').retriable).toBe(true);
    expect(new ThrottledError('slow down').retriable).toBe(true);
  });

  it('isSpeedlayerError recognises errors from another copy of the package by the Symbol.for brand', () => {
    const foreign = new Error('from a duplicate install');
    Object.defineProperty(foreign, Symbol.for('speedlayer.error'), { value: true });
    expect(isSpeedlayerError(foreign)).toBe(true);
    expect(isSpeedlayerError(new Error('plain'))).toBe(false);
    expect(isSpeedlayerError(new SpeedlayerError('internal', 'x'))).toBe(true);
  });

  it('MessageTooLargeError names the record, its size and the limit', () => {
    const e = new MessageTooLargeError(3, 2048, 1024, { target: 'local' });
    expect(e.field).toBe('records[3]');
    expect(e.message).toContain('2048');
    expect(e.message).toContain('1024');
    expect(e.message).toContain('nothing of the batch was sent');
  });

  it('keeps the cause', () => {
    const cause = new Error('root');
    expect(new ConnectionError('wrapped', { cause }).cause).toBe(cause);
  });

  it('redacts secrets from messages', () => {
    const s = redact(
      'Endpoint=sb://ns/;SharedAccessKeyName=k;SharedAccessKey=abc123== and kafka://user:pw@host {"password":"hunter2"}',
    );
    expect(s).not.toContain('abc123');
    expect(s).not.toContain('pw@');
    expect(s).not.toContain('hunter2');
    expect(describeError(new Error('token=xyz'))).toBe('token=***');
  });
});
