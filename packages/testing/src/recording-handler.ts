/**
 * A handler module for process-level conformance steps: appends each message's value (and partition) to the
 * file named by `SPEEDLAYER_RECORD_FILE` synchronously before returning, so a SIGKILL loses nothing it
 * acknowledged. Optional `SPEEDLAYER_HANDLER_DELAY_MS` slows it down.
 *
 * @packageDocumentation
 */
import { appendFileSync } from 'node:fs';
import type { ConsumedMessage } from '@speedlayer/core';

const file = process.env.SPEEDLAYER_RECORD_FILE;
const delay = Number(process.env.SPEEDLAYER_HANDLER_DELAY_MS ?? 0);
const member = process.env.SPEEDLAYER_WORKER_ID ?? String(process.pid);

/** Records the message. */
export default async function handler(m: ConsumedMessage): Promise<void> {
  if (delay > 0) await new Promise((r) => setTimeout(r, delay));
  if (!file) throw new Error('SPEEDLAYER_RECORD_FILE is not set');
  appendFileSync(file, `${JSON.stringify({ member, partition: m.partition, value: Buffer.from(m.value).toString('utf8') })}\n`);
}
