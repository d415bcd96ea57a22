/**
 * An Event Hubs namespace that refuses connections (the service or a stand-in restarting) is a retriable
 * `ConnectionError`, not a non-retriable "internal" error with an empty message (issue #23 fault steps). Node's
 * connect to a host with several addresses fails with an AggregateError whose message is empty and which has no
 * code: the inner errors say what happened.
 */
import { describe, expect, it } from 'vitest';
import { mapAmqpError } from '../../adapters/azure-eventhubs-aks/src/amqp/errors.js';

const ctx = { op: 'send to event hub h', namespace: 'ns.servicebus.windows.net', topic: 'h' };

function refused(port: number): Error {
  return Object.assign(new Error(`connect ECONNREFUSED 127.0.0.1:${port}`), { code: 'ECONNREFUSED', syscall: 'connect' });
}

describe('mapAmqpError on connection failures', () => {
  it('an AggregateError of refused connections is a retriable ConnectionError naming the namespace', () => {
    const e = new AggregateError([refused(5672), refused(5672)], '');
    const mapped = mapAmqpError(e, ctx);
    expect(mapped).toMatchObject({ kind: 'connection', retriable: true });
    expect(mapped.message).toMatch(/cannot reach ns\.servicebus\.windows\.net: connect ECONNREFUSED/);
  });

  it('the same wrapped as a cause is mapped the same way', () => {
    const e = Object.assign(new Error('send failed'), { cause: new AggregateError([refused(1)], '') });
    expect(mapAmqpError(e, ctx)).toMatchObject({ kind: 'connection', retriable: true });
  });

  it('the AMQP library\'s "Failed to connect" (no code) is a retriable ConnectionError', () => {
    expect(mapAmqpError(new Error('Failed to connect'), ctx)).toMatchObject({ kind: 'connection', retriable: true });
  });

  it('an unknown error without a code stays internal (not retried blindly)', () => {
    expect(mapAmqpError(new Error('boom'), ctx)).toMatchObject({ kind: 'internal', retriable: false });
  });
});
