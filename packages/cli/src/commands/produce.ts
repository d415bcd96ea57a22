/**
 * `speedlayer produce`: one message per stdin line (or the whole of stdin as one binary message), with results
 * a person can act on: a bad line is named by its number together with how many records were written before
 * it, and Ctrl-C stops reading, sends what was read and says exactly how many records were written.
 *
 * @packageDocumentation
 */

import { connect, isSpeedlayerError, type ProducerRecord, ValidationError } from '@speedlayer/core';
import { type Command, Option } from 'commander';
import { action, DEFAULT_STREAM, errorJson, examples, exitCodeFor, headerOption, intOption, jsonRequested } from '../common.js';

/** How a line (or stdin) becomes a message value. */
export type ValueEncoding = 'text' | 'base64' | 'hex' | 'raw';

/** A line that became a record. */
interface Line {
  /** 1-based line number in the input. */
  line: number;
  record: ProducerRecord;
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const HEX = /^(?:[0-9a-fA-F]{2})*$/;

/** Decodes one line's value. @throws `ValidationError` naming the line when it is not valid in `encoding`. */
export function decodeValue(bytes: Buffer, encoding: ValueEncoding, line: number): Uint8Array {
  if (encoding === 'text' || encoding === 'raw') return bytes;
  const s = bytes.toString('latin1').trim();
  if (encoding === 'base64') {
    if (!BASE64.test(s) || s.replace(/=+$/, '').length % 4 === 1)
      throw new ValidationError(`line ${line}: value is not valid base64`, { field: `line ${line}` });
    return Buffer.from(s, s.includes('-') || s.includes('_') ? 'base64url' : 'base64');
  }
  if (!HEX.test(s))
    throw new ValidationError(`line ${line}: value is not valid hex (pairs of 0-9a-f)`, { field: `line ${line}` });
  return Buffer.from(s, 'hex');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Turns one input line into a record. @throws `ValidationError` naming the line. */
export function lineRecord(
  bytes: Buffer,
  line: number,
  o: { keySeparator?: string; valueEncoding: ValueEncoding; header?: Record<string, string> },
): ProducerRecord {
  let key: string | null = null;
  let value = bytes;
  if (o.keySeparator !== undefined) {
    const i = bytes.indexOf(o.keySeparator);
    if (i >= 0) {
      try {
        key = utf8.decode(bytes.subarray(0, i));
      } catch {
        throw new ValidationError(`line ${line}: key is not valid UTF-8`, { field: `line ${line}` });
      }
      value = bytes.subarray(i + Buffer.byteLength(o.keySeparator));
    }
  }
  return { key, value: decodeValue(value, o.valueEncoding, line), ...(o.header ? { headers: o.header } : {}) };
}

/** Splits chunks of stdin into lines (without `\n`, and without a `\r` before it in text mode). */
export class LineSplitter {
  private rest: Buffer = Buffer.alloc(0);
  constructor(private readonly stripCr: boolean) {}
  push(chunk: Buffer): Buffer[] {
    const data = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    const lines: Buffer[] = [];
    let start = 0;
    for (let i = data.indexOf(10); i >= 0; i = data.indexOf(10, start)) {
      lines.push(this.trim(data.subarray(start, i)));
      start = i + 1;
    }
    this.rest = Buffer.from(data.subarray(start));
    return lines;
  }
  /** The last line when the input does not end with a newline. */
  end(): Buffer[] {
    const last = this.rest;
    this.rest = Buffer.alloc(0);
    return last.length ? [this.trim(last)] : [];
  }
  private trim(b: Buffer): Buffer {
    return this.stripCr && b.length > 0 && b[b.length - 1] === 13 ? b.subarray(0, -1) : b;
  }
}

interface ProduceOptions {
  topic: string;
  stream: string;
  keySeparator?: string;
  header?: Record<string, string>;
  batch: number;
  valueEncoding: ValueEncoding;
  binary?: boolean;
  json?: boolean;
}

/** What `produce` did: printed as the summary (`--json`: this object on stdout). */
export interface ProduceSummary {
  topic: string;
  /** Records written (acknowledged by the target). */
  produced: number;
  /** Input lines read (blank lines included, they are skipped). */
  lines: number;
  /** The line that stopped the run, with why. */
  failed?: { line: number; lastLine?: number; message: string; written: 'no' | 'unknown' };
  /** Ctrl-C (SIGINT) or SIGTERM stopped reading. */
  interrupted?: boolean;
}

/** Registers `produce`. */
export function registerProduce(program: Command): void {
  program
    .command('produce')
    .description(
      'send one message per stdin line (with --key-separator the line is split into key and value, as kcat -K); ' +
        'a bad line stops the run, naming the line and how many records were written before it',
    )
    .requiredOption('--topic <topic>', 'topic')
    .option('--stream <uri>', 'stream URI', DEFAULT_STREAM)
    .option('--key-separator <sep>', 'split each line at the first <sep> into key and value')
    .option('--header <k=v>', 'header on every message (repeatable)', headerOption)
    .option('--batch <n>', 'most lines per send call', intOption(1, 10_000), 500)
    .addOption(
      new Option(
        '--value-encoding <enc>',
        'text: the line as it is; base64 / hex: the line decoded; raw: all of stdin is one message, byte for byte',
      )
        .choices(['text', 'base64', 'hex', 'raw'])
        .default('text'),
    )
    .option('--binary', 'all of stdin is one message, byte for byte (= --value-encoding raw)')
    .option('--json', 'print a summary object on stdout')
    .addHelpText(
      'after',
      examples(
        'printf \'alice:{"total":10}\\nbob:hi\\n\' | speedlayer produce --topic orders --key-separator :',
        'base64 -w0 photo.jpg | speedlayer produce --topic images --value-encoding base64',
        'speedlayer produce --topic images --binary < photo.jpg',
      ),
    )
    .action(
      action(async (o: ProduceOptions) => {
        const encoding: ValueEncoding = o.binary ? 'raw' : o.valueEncoding;
        if (o.binary && o.valueEncoding !== 'text' && o.valueEncoding !== 'raw')
          throw new ValidationError(`--binary reads raw bytes; it cannot be combined with --value-encoding ${o.valueEncoding}`, {
            field: 'binary',
          });
        if (encoding === 'raw' && o.keySeparator !== undefined)
          throw new ValidationError('--key-separator splits lines; raw input is one message without a key', {
            field: 'key-separator',
          });
        const summary: ProduceSummary = { topic: o.topic, produced: 0, lines: 0 };
        let failure: unknown;
        // Ctrl-C / SIGTERM: stop reading, send what was read, report exactly what was written. A second signal
        // stops at once with what is acknowledged so far.
        let stop: () => void = () => {};
        const stopped = new Promise<void>((r) => {
          stop = r;
        });
        let signals = 0;
        const onSignal = () => {
          signals++;
          summary.interrupted = true;
          if (signals === 1) {
            stop();
            return;
          }
          printSummary(summary, o, undefined);
          process.exit(130);
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        const client = await connect(o.stream).catch((e: unknown) => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          throw e;
        });
        try {
          // Fail on a missing topic before reading stdin.
          await client.admin.describeTopic(o.topic);
          const producer = client.producer();
          let pending: Line[] = [];
          /** Sends the lines read so far; on a bad record finds it and records what was written before it. */
          const flush = async (): Promise<boolean> => {
            const lines = pending;
            pending = [];
            if (lines.length === 0) return true;
            try {
              await producer.send(
                o.topic,
                lines.map((l) => l.record),
              );
              summary.produced += lines.length;
              return true;
            } catch (e) {
              if (!isSpeedlayerError(e) || e.retriable) {
                // the target failed mid-call: which of these records it stored is not known
                const first = lines[0] as Line;
                const last = lines[lines.length - 1] as Line;
                summary.failed = {
                  line: first.line,
                  ...(last.line !== first.line ? { lastLine: last.line } : {}),
                  message: (e as Error).message,
                  written: 'unknown',
                };
                failure = e;
                return false;
              }
            }
            // A batch is refused whole: send its records one by one to find the bad one (nothing after it is sent).
            for (const l of lines) {
              try {
                await producer.send(o.topic, l.record);
                summary.produced++;
              } catch (e) {
                summary.failed = {
                  line: l.line,
                  message: (e as Error).message,
                  written: isSpeedlayerError(e) && !e.retriable ? 'no' : 'unknown',
                };
                failure = e;
                return false;
              }
            }
            return true;
          };

          try {
            const reader = readChunks(process.stdin);
            const splitter = new LineSplitter(encoding === 'text');
            let raw: Buffer[] = [];
            let ok = true;
            const take = (bytes: Buffer): boolean => {
              summary.lines++;
              if (bytes.length === 0) return true; // blank lines are skipped
              try {
                pending.push({
                  line: summary.lines,
                  record: lineRecord(bytes, summary.lines, { ...o, valueEncoding: encoding }),
                });
                return true;
              } catch (e) {
                summary.failed = { line: summary.lines, message: (e as Error).message, written: 'no' };
                failure = e;
                return false;
              }
            };
            while (ok && !summary.interrupted) {
              const reading = reader.next();
              const next = await Promise.race([reading, stopped.then(() => undefined)]);
              if (next === undefined) reading.catch(() => {}); // stdin is destroyed below: that read ends unread
              if (next === undefined || next.done) {
                if (next?.done && encoding !== 'raw') for (const b of splitter.end()) if (ok) ok = take(b);
                break;
              }
              if (encoding === 'raw') {
                raw.push(next.value);
                continue;
              }
              for (const b of splitter.push(next.value)) {
                if (!take(b)) {
                  ok = false;
                  break;
                }
                if (pending.length >= o.batch && !(await flush())) {
                  ok = false;
                  break;
                }
              }
              // what one read brought is sent at once: interactive input is not held back for a full batch
              if (ok && !(await flush())) ok = false;
            }
            if (encoding === 'raw' && !summary.interrupted && ok) {
              summary.lines = 1;
              pending.push({ line: 1, record: { value: Buffer.concat(raw), ...(o.header ? { headers: o.header } : {}) } });
              raw = [];
            }
            // Lines read before a bad line or a signal are sent, nothing after them (pending holds only those lines;
            // if one of them is refused, it is the first bad line and replaces the one that stopped the reading).
            await flush();
            await producer.close();
          } finally {
            process.stdin.destroy();
          }
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          await client.close();
        }
        printSummary(summary, o, failure);
        if (failure !== undefined) return exitCodeFor(failure);
        return summary.interrupted ? 130 : 0;
      }),
    );
}

async function* readChunks(input: NodeJS.ReadableStream): AsyncGenerator<Buffer> {
  for await (const chunk of input) yield typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
}

function printSummary(s: ProduceSummary, o: ProduceOptions, failure: unknown): void {
  if (o.json) process.stdout.write(`${JSON.stringify(s)}\n`);
  const f = s.failed;
  if (f) {
    const lines = `line ${f.line}${f.lastLine ? `-${f.lastLine}` : ''}`;
    const message = f.message.startsWith('line ') ? f.message : `${lines}: ${f.message}`;
    if (jsonRequested()) {
      const { error } = errorJson(failure, exitCodeFor(failure));
      process.stderr.write(`${JSON.stringify({ error: { ...error, message, line: f.line, produced: s.produced } })}\n`);
      return;
    }
    process.stderr.write(`speedlayer: ${message}\n`);
    process.stderr.write(
      f.written === 'unknown'
        ? `speedlayer: ${s.produced} records written before line ${f.line}; whether ${lines} reached ${s.topic} is not known; nothing after was sent\n`
        : `speedlayer: ${s.produced} records written before line ${f.line}; line ${f.line} and the lines after it were not sent\n`,
    );
    return;
  }
  if (s.interrupted) {
    if (!o.json)
      process.stderr.write(
        `speedlayer: interrupted: ${s.produced} records written to ${s.topic} (input read up to line ${s.lines}; nothing after it was sent)\n`,
      );
    return;
  }
  if (!o.json) process.stderr.write(`produced ${s.produced} messages to ${s.topic}\n`);
}
