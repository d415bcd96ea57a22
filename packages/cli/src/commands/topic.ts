/**
 * kcat-style verbs that work on every stream target: `topic create|describe|delete|list`, `produce`, `consume`.
 *
 * @packageDocumentation
 */

import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { type ConsumedMessage, connect, type ProducerRecord, type StreamClient, type TopicInfo } from '@speedlayer/core';
import type { Command } from 'commander';
import { action, DEFAULT_STREAM, headerOption, intOption, startOption, stopSignal } from '../common.js';

async function withClient<T>(uri: string, fn: (c: StreamClient) => Promise<T>): Promise<T> {
  const client = await connect(uri);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

function printTopic(info: TopicInfo, json: boolean): void {
  if (json) process.stdout.write(`${JSON.stringify(info)}\n`);
  else
    process.stdout.write(
      `topic ${info.name}: ${info.partitions === null ? 'no partitions' : `${info.partitions} partitions`}` +
        `${info.retentionHours !== undefined ? `, retention ${info.retentionHours} h` : ''}\n`,
    );
}

/** Registers `topic`. */
export function registerTopic(program: Command): void {
  const topic = program.command('topic').description('create, describe, delete and list topics on any stream target');
  topic
    .command('create <topic>')
    .description('create a topic (idempotent)')
    .option('--stream <uri>', 'stream URI', DEFAULT_STREAM)
    .option('--partitions <n>', 'partitions or shards', intOption(1, 100_000), 1)
    .option('--retention-hours <h>', 'retention in hours', intOption(1, 24 * 365 * 10))
    .option('--json', 'print the topic as JSON')
    .action(
      action(async (name: string, o: { stream: string; partitions: number; retentionHours?: number; json?: boolean }) => {
        const info = await withClient(o.stream, (c) =>
          c.admin.ensureTopic(name, {
            partitions: o.partitions,
            ...(o.retentionHours ? { retentionHours: o.retentionHours } : {}),
          }),
        );
        printTopic(info, !!o.json);
      }),
    );
  topic
    .command('describe <topic>')
    .description('describe a topic')
    .option('--stream <uri>', 'stream URI', DEFAULT_STREAM)
    .option('--json', 'print as JSON')
    .action(
      action(async (name: string, o: { stream: string; json?: boolean }) => {
        printTopic(await withClient(o.stream, (c) => c.admin.describeTopic(name)), !!o.json);
      }),
    );
  topic
    .command('delete <topic>')
    .description('delete a topic (a missing topic is not an error)')
    .option('--stream <uri>', 'stream URI', DEFAULT_STREAM)
    .option('--json', 'print the result as JSON')
    .action(
      action(async (name: string, o: { stream: string; json?: boolean }) => {
        await withClient(o.stream, (c) => c.admin.deleteTopic(name));
        process.stdout.write(o.json ? `${JSON.stringify({ name, deleted: true })}\n` : `topic ${name} deleted\n`);
      }),
    );
  topic
    .command('list')
    .description('list topics')
    .option('--stream <uri>', 'stream URI', DEFAULT_STREAM)
    .option('--json', 'print as JSON')
    .action(
      action(async (o: { stream: string; json?: boolean }) => {
        const names = await withClient(o.stream, (c) => c.admin.listTopics());
        process.stdout.write(o.json ? `${JSON.stringify(names)}\n` : names.map((n) => `${n}\n`).join(''));
      }),
    );
}

/** Registers `produce`. */
export function registerProduce(program: Command): void {
  program
    .command('produce')
    .description('send one message per stdin line; with --key-separator the line is split into key and value (as kcat -K)')
    .requiredOption('--topic <topic>', 'topic')
    .option('--stream <uri>', 'stream URI', DEFAULT_STREAM)
    .option('--key-separator <sep>', 'split each line at the first <sep> into key and value')
    .option('--header <k=v>', 'header on every message (repeatable)', headerOption)
    .option('--batch <n>', 'lines per send call', intOption(1, 10_000), 500)
    .option('--json', 'print a summary object on stdout')
    .action(
      action(
        async (o: {
          topic: string;
          stream: string;
          keySeparator?: string;
          header?: Record<string, string>;
          batch: number;
          json?: boolean;
        }) => {
          let count = 0;
          await withClient(o.stream, async (c) => {
            // Fail on a missing topic before reading stdin.
            await c.admin.describeTopic(o.topic);
            const producer = c.producer();
            let batch: ProducerRecord[] = [];
            const flush = async () => {
              if (batch.length === 0) return;
              await producer.send(o.topic, batch);
              count += batch.length;
              batch = [];
            };
            const rl = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
            for await (const line of rl) {
              if (line === '') continue;
              let key: string | null = null;
              let value = line;
              if (o.keySeparator !== undefined) {
                const i = line.indexOf(o.keySeparator);
                if (i >= 0) {
                  key = line.slice(0, i);
                  value = line.slice(i + o.keySeparator.length);
                }
              }
              batch.push({ key, value, ...(o.header ? { headers: o.header } : {}) });
              if (batch.length >= o.batch) await flush();
            }
            await flush();
            await producer.close();
          });
          if (o.json) process.stdout.write(`${JSON.stringify({ topic: o.topic, produced: count })}\n`);
          else process.stderr.write(`produced ${count} messages to ${o.topic}\n`);
        },
      ),
    );
}

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

/** Registers `consume`. */
export function registerConsume(program: Command): void {
  program
    .command('consume')
    .description('print messages of a topic; Ctrl-C stops (checkpoints cover only what was printed)')
    .requiredOption('--topic <topic>', 'topic')
    .option('--stream <uri>', 'stream URI', DEFAULT_STREAM)
    .option('--group <group>', 'consumer group (default: a new one, so everything is read)')
    .option('--from <position>', 'earliest | latest | <ISO time>', startOption, 'earliest')
    .option('--count <n>', 'stop after n messages', intOption(1))
    .option('--idle-exit <ms>', 'stop after this long without a message', intOption(1))
    .option('--json', 'one JSON object per message')
    .option('--base64', 'with --json: always print values as base64')
    .action(
      action(
        async (o: {
          topic: string;
          stream: string;
          group?: string;
          from: 'earliest' | 'latest' | { timestamp: number };
          count?: number;
          idleExit?: number;
          json?: boolean;
          base64?: boolean;
        }) => {
          const signal = stopSignal();
          await withClient(o.stream, async (c) => {
            let printed = 0;
            let last = Date.now();
            const done = new AbortController();
            const stopping = new Promise<void>((r) => done.signal.addEventListener('abort', () => r(), { once: true }));
            const sub = await c.subscribe(
              { topic: o.topic, group: o.group ?? `speedlayer-cli-${randomUUID().slice(0, 8)}`, startFrom: o.from },
              async (m) => {
                if (done.signal.aborted || (o.count !== undefined && printed >= o.count)) {
                  // Not printed: fail it while stopping so its checkpoint does not advance.
                  await stopping;
                  throw new Error('consume stopped before this message was printed');
                }
                printed++;
                last = Date.now();
                if (o.json) process.stdout.write(`${JSON.stringify(messageJson(m, !!o.base64))}\n`);
                else process.stdout.write(`${m.key ?? ''}\t${Buffer.from(m.value).toString('utf8')}\n`);
                if (o.count !== undefined && printed >= o.count) done.abort();
              },
            );
            while (!done.signal.aborted && !signal.aborted) {
              await new Promise((r) => setTimeout(r, 50));
              if (o.idleExit !== undefined && Date.now() - last > o.idleExit) break;
            }
            const closing = sub.close();
            done.abort();
            await closing;
          });
        },
      ),
    );
}
