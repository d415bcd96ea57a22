/**
 * Reading a whole topic through the contract: a throwaway consumer group from the earliest position, until
 * the topic has been idle for a while. The contract has no "end position" query, so "read to the end" is
 * defined as: no message delivered for `idleMs` after the last one (or after joining), with an optional
 * expected count that must be reached first.
 *
 * @packageDocumentation
 */
import { randomUUID } from 'node:crypto';
import type { ConsumedMessage, StreamClient } from '@speedlayer/core';

/**
 * Handler attempts of the migration's readers: unbounded in practice. Their handlers fail only while stopping
 * (what is not copied stays unacknowledged), so in practice nothing reaches a dead letter.
 */
export const MAX_HANDLER_ATTEMPTS = Number.MAX_SAFE_INTEGER;

/** Options of {@link readTopic}. */
export interface ReadTopicOptions {
  /** Group to read with. @default a fresh `speedlayer-migrate-read-<uuid>` group */
  group?: string;
  /** Idle time that means "read to the end", in ms. @default 3000 */
  idleMs?: number;
  /** Keep reading at least until this many messages were seen (or `maxWaitMs`). */
  expected?: number;
  /** Give up waiting for `expected` after this long, in ms. @default 120000 */
  maxWaitMs?: number;
  /** Stops early. */
  signal?: AbortSignal;
}

/** Reads every message of `topic` (at-least-once: a message can be seen twice) and calls `onMessage`. */
export async function readTopic(
  client: StreamClient,
  topic: string,
  onMessage: (m: ConsumedMessage) => void,
  options: ReadTopicOptions = {},
): Promise<{ count: number; group: string }> {
  const group = options.group ?? `speedlayer-migrate-read-${randomUUID().slice(0, 8)}`;
  const idleMs = options.idleMs ?? 3000;
  const maxWaitMs = options.maxWaitMs ?? 120_000;
  let count = 0;
  let last = Date.now();
  const sub = await client.subscribe(
    {
      topic,
      group,
      startFrom: 'earliest',
      concurrency: 1,
      maxAttempts: MAX_HANDLER_ATTEMPTS,
      onAssignment: () => {
        last = Date.now();
      },
      onError: () => {},
    },
    (m) => {
      count++;
      last = Date.now();
      onMessage(m);
    },
  );
  const started = Date.now();
  last = Date.now();
  try {
    for (;;) {
      if (options.signal?.aborted) break;
      const now = Date.now();
      const enough = options.expected === undefined || count >= options.expected || now - started > maxWaitMs;
      if (enough && now - last >= idleMs) break;
      await new Promise((r) => setTimeout(r, Math.min(100, idleMs)));
    }
  } finally {
    await sub.close();
  }
  return { count, group };
}
