/**
 * Quickstart producer: what an application team writes to publish orders. Runs on any target: pass
 * `--stream kafka://...` or set SPEEDLAYER_STREAM; the default is the embedded local target.
 *
 * Run: `node examples/quickstart/dist/producer.js [uri]`
 *
 * @packageDocumentation
 */
import { connect, isSpeedlayerError } from '@speedlayer/core';

/** An order event. */
export interface Order {
  orderId: string;
  customer: string;
  totalCents: number;
}

/** Publishes `orders` keyed by customer, so each customer's orders stay in order. */
export async function publishOrders(uri: string, topic: string, orders: Order[]): Promise<number> {
  const client = await connect(uri);
  try {
    await client.admin.ensureTopic(topic, { partitions: 4 });
    const producer = client.producer();
    const sent = await producer.send(
      topic,
      orders.map((o) => ({
        key: o.customer,
        value: JSON.stringify(o),
        headers: { 'content-type': 'application/json', schema: 'order.v1' },
      })),
    );
    await producer.close();
    return sent.length;
  } catch (e) {
    // Misuse (bad URI, oversize message) is never retriable; connection trouble usually is.
    if (isSpeedlayerError(e) && e.retriable) console.error('temporary failure, try again:', e.message);
    throw e;
  } finally {
    await client.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const uri = process.argv[2] ?? process.env.SPEEDLAYER_STREAM ?? 'local://.speedlayer/data';
  const orders = Array.from({ length: 10 }, (_, i) => ({ orderId: `o-${i}`, customer: `c-${i % 3}`, totalCents: 100 * i }));
  publishOrders(uri, 'orders', orders).then((n) => console.log(`published ${n} orders to ${uri}`));
}
