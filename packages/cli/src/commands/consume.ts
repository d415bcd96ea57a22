/**
 * `speedlayer consume`: prints a topic's messages. Written for shells: a closed pipe (`| head -3`) is a quiet
 * end that checkpoints only what reached stdout, and bytes that a terminal would obey (escape sequences,
 * control characters) are shown escaped when stdout is a terminal.
 *
 * @packageDocumentation
 */

import { randomUUID } from 'node:crypto';
import { type ConsumedMessage, connect } from '@speedlayer/core';
import type { Command } from 'commander';
import { action, DEFAULT_STREAM, examples, intOption, startOption, stdoutState, stopSignal } from '../common.js';

function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** The JSON line `consume --json` prints for a message. */
export function messageJson(m: ConsumedMessage, base64: boolean): Record<string, unknown> {
  const asText = !base64 && isUtf8(m.value);
  return {
    partition: m.partition,
    key: m.key,
    value: asText ? Buffer.from(m.value).toString('utf8') : Buffer.from(m.value).toString('base64'),
    ...(asText ? {} : { valueEncoding: 'base64' }),
    headers: m.headers,
    timestamp: m.timestamp,
    position: m.position,
  };
}

/**
 * Characters a terminal acts on instead of showing: C0 controls (ESC starts escape sequences, BEL, BS, CR...),
 * DEL, C1 controls (U+009B is a one-character CSI), and the bidirectional overrides and isolates that reorder
 * what is shown ("Trojan Source").
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters being escaped
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\\]/g;

function escapeChar(c: string): string {
  switch (c) {
    case '\\':
      return '\\\\';
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    default: {
      const code = c.charCodeAt(0);
      return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
    }
  }
}

/**
 * Text that is safe to show on a terminal: controls, DEL, C1 controls and bidi overrides become `\xNN` / `\uNNNN`
 * (`\n`, `\r`, `\t` and `\\` for the common ones), bytes that are not UTF-8 become `\xNN`. Printable text,
 * including non-ASCII letters and emoji, is unchanged.
 */
export function terminalSafe(input: Uint8Array | string): string {
  let text: string;
  if (typeof input === 'string') text = input;
  else if (isUtf8(input)) text = Buffer.from(input).toString('utf8');
  else {
    // decode valid runs, escape the bytes that are not UTF-8
    text = '';
    const bytes = Buffer.from(input);
    let i = 0;
    while (i < bytes.length) {
      let j = i + 1;
      const b = bytes[i] as number;
      const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
      if (len > 0 && i + len <= bytes.length && isUtf8(bytes.subarray(i, i + len))) {
        j = i + len;
        text += bytes.subarray(i, j).toString('utf8').replace(UNSAFE, escapeChar);
      } else text += `\\x${b.toString(16).padStart(2, '0')}`;
      i = j;
    }
    return text;
  }
  return text.replace(UNSAFE, escapeChar);
}

/** `JSON.stringify` leaves C1 controls and bidi overrides as they are; a terminal must not get them raw. */
function jsonTerminalSafe(json: string): string {
  return json.replace(/[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Writes to stdout and resolves once the bytes were handed to the OS; rejects when the reader is gone. */
function writeOut(text: string | Buffer): Promise<void> {
  if (stdoutState.closed) return Promise.reject(new Error('stdout is closed'));
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (e) => (e ? reject(e) : resolve()));
  });
}

interface ConsumeOptions {
  topic: string;
  stream: string;
  group?: string;
  from: 'earliest' | 'latest' | { timestamp: number };
  count?: number;
  idleExit?: number;
  json?: boolean;
  base64?: boolean;
  raw?: boolean;
}

/** Registers `consume`. */
export function registerConsume(program: Command): void {
  program
    .command('consume')
    .description(
      'print messages of a topic; Ctrl-C, --count, --idle-exit or a closed pipe stop it, and a group checkpoints only what was written to stdout',
    )
    .requiredOption('--topic <topic>', 'topic')
    .option('--stream <uri>', 'stream URI', DEFAULT_STREAM)
    .option('--group <group>', 'consumer group (default: a new one, so everything is read)')
    .option('--from <position>', 'earliest | latest | <ISO time>', startOption, 'earliest')
    .option('--count <n>', 'stop after n messages', intOption(1))
    .option('--idle-exit <ms>', 'stop after this long without a message', intOption(1))
    .option('--json', 'one JSON object per message')
    .option('--base64', 'with --json: always print values as base64')
    .option('--raw', 'print keys and values byte for byte even on a terminal (default there: control bytes escaped)')
    .addHelpText(
      'after',
      examples(
        'speedlayer consume --topic orders --group audit --count 10',
        'speedlayer consume --topic orders --group audit --json | head -3   # the next run starts after what head got',
      ),
    )
    .action(
      action(async (o: ConsumeOptions) => {
        const signal = stopSignal();
        const client = await connect(o.stream);
        const escaping = !o.raw && process.stdout.isTTY === true;
        const format = (m: ConsumedMessage): string | Buffer => {
          if (o.json) {
            const line = JSON.stringify(messageJson(m, !!o.base64));
            return `${escaping ? jsonTerminalSafe(line) : line}\n`;
          }
          if (escaping) return `${m.key === null ? '' : terminalSafe(m.key)}\t${terminalSafe(m.value)}\n`;
          // not a terminal: the value's bytes as they are (binary survives a redirect to a file)
          return Buffer.concat([Buffer.from(`${m.key ?? ''}\t`), m.value, Buffer.from('\n')]);
        };
        const group = o.group ?? `speedlayer-cli-${randomUUID().slice(0, 8)}`;
        if (o.from === 'earliest' && client.capabilities.historyForNewGroups === false) {
          process.stderr.write(
            `speedlayer: warning: on ${client.target} a new group sees only messages published after it first subscribed; ` +
              `${o.group ? `if group ${o.group} is new, ` : 'this new group: '}earlier messages of ${o.topic} are not delivered ` +
              '(subscribe the group before producing to read from the start)\n',
          );
        }
        let written = 0;
        let pipeClosed = false;
        let last = Date.now();
        const done = new AbortController();
        const stopping = new Promise<void>((r) => done.signal.addEventListener('abort', () => r(), { once: true }));
        try {
          const sub = await client.subscribe(
            // a failed write is not a message failure: retried (never dead-lettered) until close leaves it unacknowledged
            { topic: o.topic, group, startFrom: o.from, maxAttempts: 1000 },
            async (m) => {
              if (done.signal.aborted || (o.count !== undefined && written >= o.count)) {
                // Not printed: fail it while stopping so its checkpoint does not advance.
                await stopping;
                throw new Error('consume stopped before this message was printed');
              }
              try {
                await writeOut(format(m));
              } catch (e) {
                // The reader went away (EPIPE): this message was not written, so it stays unacknowledged.
                pipeClosed = true;
                done.abort();
                throw e;
              }
              written++;
              last = Date.now();
              if (o.count !== undefined && written >= o.count) done.abort();
            },
          );
          const onSignal = () => done.abort();
          signal.addEventListener('abort', onSignal, { once: true });
          while (!done.signal.aborted && !signal.aborted) {
            const wait = o.idleExit !== undefined ? Math.max(1, Math.min(200, last + o.idleExit - Date.now())) : 200;
            await Promise.race([stopping, new Promise((r) => setTimeout(r, wait))]);
            if (stdoutState.closed) pipeClosed = true;
            if (pipeClosed) break;
            if (o.idleExit !== undefined && Date.now() - last > o.idleExit) break;
          }
          const closing = sub.close();
          done.abort();
          await closing;
        } finally {
          await client.close();
        }
        if (pipeClosed && o.group) {
          process.stderr.write(
            `speedlayer: stdout closed after ${written} messages; group ${o.group} resumes after them ` +
              '(a reader such as head may have dropped some of them unread, as a pipe does not say what its reader read; --count N takes exactly N)\n',
          );
        }
      }),
    );
}
