import { connect } from '@speedlayer/core';
import { waitFor } from '@speedlayer/testing';
import { describe, expect, it } from 'vitest';
import handle, { totals } from '../src/handler.js';
import { publishOrders } from '../src/producer.js';

describe('examples/quickstart', () => {
  it('the producer and handler work together through connect()', async () => {
    const uri = 'memory://quickstart';
    const orders = Array.from({ length: 9 }, (_, i) => ({ orderId: `o-${i}`, customer: `c-${i % 3}`, totalCents: 100 }));
    expect(await publishOrders(uri, 'orders', orders)).toBe(9);
    const client = await connect(uri);
    const sub = await client.subscribe({ topic: 'orders', group: 'billing' }, handle);
    await waitFor(() => [...totals.values()].reduce((a, b) => a + b, 0) === 900, 'all orders totalled');
    await sub.close();
    await client.close();
    expect(totals.get('c-0')).toBe(300);
  });

  it('an invalid order is refused by the handler (so the runtime retries and dead-letters it)', async () => {
    const bad = { orderId: 'x', customer: 'c', totalCents: -1 };
    await expect(
      handle({
        topic: 'orders',
        partition: 0,
        position: '0',
        key: 'c',
        value: Buffer.from(JSON.stringify(bad)),
        headers: {},
        timestamp: 0,
        deliveryAttempt: 1,
      }),
    ).rejects.toThrow(/invalid total/);
  });
});
