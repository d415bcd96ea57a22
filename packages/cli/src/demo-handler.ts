/**
 * The demo's verifying handler: each replica appends `key seq time` receipts to its own file in
 * `SPEEDLAYER_DEMO_RECEIPTS`, flushed every 50 ms and on teardown, so the demo can count unique,
 * duplicate, lost and out-of-order messages across processes.
 *
 * @packageDocumentation
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ConsumedMessage, WorkerContext } from '@speedlayer/core';

let out: WriteStream | undefined;
let buffer: string[] = [];
let timer: NodeJS.Timeout | undefined;

function flush(): void {
  if (buffer.length === 0 || !out) return;
  out.write(buffer.join(''));
  buffer = [];
}

/** Opens this replica's receipt file. */
export function setup(context: WorkerContext): void {
  const dir = process.env.SPEEDLAYER_DEMO_RECEIPTS;
  if (!dir) throw new Error('SPEEDLAYER_DEMO_RECEIPTS is not set');
  out = createWriteStream(join(dir, `receipts-${context.workerId}-${process.pid}.log`), { flags: 'a' });
  timer = setInterval(flush, 50);
}

/** Records one message: its key, its per-key sequence number and the time it was handled. */
export default function handler(m: ConsumedMessage): void {
  const text = Buffer.from(m.value).toString('utf8');
  const sep = text.lastIndexOf(':');
  buffer.push(`${m.key ?? ''} ${text.slice(sep + 1)} ${(performance.timeOrigin + performance.now()).toFixed(3)}\n`);
}

/** Flushes and closes the receipt file. */
export async function teardown(): Promise<void> {
  if (timer) clearInterval(timer);
  flush();
  const o = out;
  out = undefined;
  if (o) await new Promise<void>((r) => o.end(() => r()));
}
