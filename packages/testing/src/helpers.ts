/**
 * Test helpers: unique names per run, wait helpers, message collectors.
 *
 * @packageDocumentation
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type {
  ConsumedMessage,
  ProducerRecord,
  RecordMetadata,
  StreamClient,
  SubscribeOptions,
  Subscription,
} from '@speedlayer/core';
import { utf8 } from '@speedlayer/core';

/** Anything that makes producers: a `StreamClient`, or an adapter's driver used directly in its own tests. */
export interface ProducerSource {
  producer(): {
    send(topic: string, records: ProducerRecord | readonly ProducerRecord[]): Promise<RecordMetadata[]>;
    close(): Promise<void>;
  };
}

/** A name unique to this run: `<prefix>-<time>-<random>`; isolates test traffic on shared peers. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/**
 * Polls `condition` until it returns a truthy value or `timeoutMs` passes.
 * @throws an Error naming `what` on timeout.
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  what: string,
  timeoutMs = 30_000,
  intervalMs = 25,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await condition();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** How a child process ended and what it printed. */
export interface RunResult {
  /** Exit code; -1 when a signal ended it. */
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a Node script (such as the built `speedlayer` CLI) in a child process and collects its output, without
 * blocking this event loop (peers, stand-ins and receivers served by the test process keep answering). The child's
 * stdin gets `stdin` (default: nothing) and is closed.
 */
export function runNode(
  script: string,
  args: readonly string[],
  options: { cwd?: string | undefined; env?: NodeJS.ProcessEnv | undefined; stdin?: string | undefined } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [script, ...args],
      { cwd: options.cwd, env: options.env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (!error) resolve({ code: 0, stdout, stderr });
        else if (typeof error.code === 'number') resolve({ code: error.code, stdout, stderr });
        else if (error.signal) resolve({ code: -1, stdout, stderr });
        else reject(error); // it did not start, or printed more than maxBuffer
      },
    );
    child.stdin?.end(options.stdin ?? '');
  });
}

/** What a collector saw. */
export interface Received {
  /** Member that handled it. */
  member: string;
  /** The message. */
  message: ConsumedMessage;
  /** Value as text. */
  text: string;
}

/** Collects messages handled by one or more members, in the order handlers were called. */
export class Collector {
  readonly received: Received[] = [];

  /** A handler that records into this collector under `member`. */
  handler(member: string, inner?: (m: ConsumedMessage) => Promise<void> | void) {
    return async (m: ConsumedMessage) => {
      if (inner) await inner(m);
      this.received.push({ member, message: m, text: utf8(m.value) });
    };
  }

  /** Distinct values seen. */
  unique(): Set<string> {
    return new Set(this.received.map((r) => r.text));
  }

  /** Waits until `n` distinct values were seen. */
  async waitForUnique(n: number, timeoutMs = 60_000): Promise<void> {
    await waitFor(() => this.unique().size >= n, `${n} distinct messages (have ${this.unique().size})`, timeoutMs);
  }

  /**
   * Order check on values shaped `<key>:<seq>`: for each key, a message must not be seen for the first time
   * after a later sequence number of the same key was seen. Returns the violations.
   */
  orderViolations(): string[] {
    const maxSeen = new Map<string, number>();
    const seen = new Set<string>();
    const out: string[] = [];
    for (const r of this.received) {
      if (seen.has(r.text)) continue;
      seen.add(r.text);
      const [key, seqText] = r.text.split(':');
      const seq = Number(seqText);
      const max = maxSeen.get(key ?? '') ?? -1;
      if (seq < max) out.push(`${r.text} first seen after ${key}:${max}`);
      else maxSeen.set(key ?? '', seq);
    }
    return out;
  }
}

/**
 * Produces `count` keyed messages `<key>:<seq>` over `keys` keys in batches; returns the values sent.
 * Pass the same `seqs` map to later calls to continue each key's sequence.
 */
export async function produceKeyed(
  client: ProducerSource,
  topic: string,
  count: number,
  keys: number,
  options: { batch?: number; seqs?: Map<string, number>; headers?: Record<string, string> } = {},
): Promise<string[]> {
  const producer = client.producer();
  const sent: string[] = [];
  const seqs = options.seqs ?? new Map<string, number>();
  const batch = options.batch ?? 100;
  try {
    for (let i = 0; i < count; i += batch) {
      const records = [];
      for (let j = i; j < Math.min(count, i + batch); j++) {
        const key = `k${j % keys}`;
        const seq = seqs.get(key) ?? 0;
        seqs.set(key, seq + 1);
        const value = `${key}:${seq}`;
        sent.push(value);
        records.push({ key, value, ...(options.headers ? { headers: options.headers } : {}) });
      }
      await producer.send(topic, records);
    }
  } finally {
    await producer.close();
  }
  return sent;
}

/** Subscribes and returns the subscription, merging suite defaults. */
export function subscribeWith(
  client: StreamClient,
  defaults: Partial<SubscribeOptions>,
  options: SubscribeOptions,
  handler: (m: ConsumedMessage) => Promise<void> | void,
): Promise<Subscription> {
  return client.subscribe({ ...defaults, ...options }, handler);
}

/** A promise with its resolve/reject exposed. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
