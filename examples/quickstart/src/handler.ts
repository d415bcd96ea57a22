/**
 * Quickstart handler: the module a team hands to the worker runtime.
 *
 * Run: `npx speedlayer worker --topic orders --group billing --handler examples/quickstart/dist/handler.js`
 *
 * Throwing means "not handled": the message is retried with backoff and, after `--max-attempts`, sent to
 * `orders.dlq` with the error in its headers; the partition moves on. Returning means handled: the group's
 * checkpoint advances over it once everything before it in the partition is handled too.
 *
 * @packageDocumentation
 */
import type { ConsumedMessage, WorkerContext } from '@speedlayer/core';
import type { Order } from './producer.js';

/** Running totals per customer (state of this replica only). */
export const totals = new Map<string, number>();

/** Called once per replica before the first message. */
export function setup(context: WorkerContext): void {
  console.error(`billing replica ${context.workerId} consuming ${context.topic} as ${context.group}`);
}

/** Handles one order. */
export default async function handle(message: ConsumedMessage): Promise<void> {
  const order = JSON.parse(Buffer.from(message.value).toString('utf8')) as Order;
  if (!Number.isInteger(order.totalCents) || order.totalCents < 0) {
    throw new Error(`order ${order.orderId} has an invalid total`); // -> retried, then dead-lettered
  }
  totals.set(order.customer, (totals.get(order.customer) ?? 0) + order.totalCents);
}
