/**
 * `topic create|grow|describe|delete|list`: topic admin on every stream target.
 *
 * @packageDocumentation
 */

import { ConflictError, connect, type StreamClient, type TopicInfo, UnsupportedError, ValidationError } from '@speedlayer/core';
import type { Command } from 'commander';
import { action, DEFAULT_STREAM, examples, intOption } from '../common.js';

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
  const topic = program
    .command('topic')
    .description('create, grow, describe, delete and list topics on any stream target')
    .addHelpText('after', examples('speedlayer topic create orders --partitions 3'));
  topic
    .command('create <topic>')
    .description(
      'create a topic (idempotent); an existing topic with another partition count is refused (grow it with topic grow)',
    )
    .option('--stream <uri>', 'stream URI', DEFAULT_STREAM)
    // the upper bound is the target's own (checked by its admin), not a copy here
    .option('--partitions <n>', 'partitions or shards (up to the target limit, e.g. 10000 on local)', intOption(1), 1)
    .option('--retention-hours <h>', 'retention in hours', intOption(1, 24 * 365 * 10))
    .option('--json', 'print the topic as JSON')
    .addHelpText('after', examples('speedlayer topic create orders --partitions 6 --stream local://./data'))
    .action(
      action(
        async (
          name: string,
          o: { stream: string; partitions: number; retentionHours?: number; json?: boolean },
          cmd: Command,
        ) => {
          const info = await withClient(o.stream, (c) =>
            c.admin.ensureTopic(name, {
              partitions: o.partitions,
              ...(o.retentionHours ? { retentionHours: o.retentionHours } : {}),
            }),
          );
          const asked = cmd.getOptionValueSource('partitions') === 'cli';
          if (asked && info.partitions !== null && info.partitions !== o.partitions) {
            throw new ConflictError(
              `topic ${name} exists with ${info.partitions} partitions, not ${o.partitions}: ` +
                (info.partitions < o.partitions
                  ? `grow it with: speedlayer topic grow ${name} --partitions ${o.partitions}`
                  : 'partitions never shrink (create a new topic and migrate to it)'),
              { field: 'partitions' },
            );
          }
          printTopic(info, !!o.json);
        },
      ),
    );
  topic
    .command('grow <topic>')
    .description('grow a topic to more partitions (never shrinks); refused on targets that cannot grow partitions')
    .requiredOption('--partitions <n>', 'the new partition count', intOption(1))
    .option('--stream <uri>', 'stream URI', DEFAULT_STREAM)
    .option('--json', 'print the topic as JSON')
    .addHelpText(
      'after',
      examples('speedlayer topic grow orders --partitions 12 --stream kafka://127.0.0.1:9092   # then: deploy aligns replicas'),
    )
    .action(
      action(async (name: string, o: { stream: string; partitions: number; json?: boolean }) => {
        const info = await withClient(o.stream, async (c) => {
          if (!c.capabilities.partitionGrowth) {
            throw new UnsupportedError(
              c.capabilities.partitions
                ? `${c.target} cannot grow the partitions of a topic: create a topic with ${o.partitions} partitions and migrate to it`
                : `${c.target} topics have no partitions to grow (consumers scale on backlog)`,
              { field: 'partitions', target: c.target },
            );
          }
          const before = await c.admin.describeTopic(name);
          if (before.partitions !== null && o.partitions < before.partitions)
            throw new ValidationError(
              `--partitions ${o.partitions}: topic ${name} has ${before.partitions} partitions and partitions never shrink`,
              { field: 'partitions' },
            );
          if (before.partitions === o.partitions) return before;
          return c.admin.growPartitions(name, o.partitions);
        });
        printTopic(info, !!o.json);
      }),
    );
  topic
    .command('describe <topic>')
    .description('describe a topic')
    .option('--stream <uri>', 'stream URI', DEFAULT_STREAM)
    .option('--json', 'print as JSON')
    .addHelpText('after', examples('speedlayer topic describe orders --json'))
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
    .addHelpText('after', examples('speedlayer topic delete orders --stream local://./data'))
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
    .addHelpText('after', examples('speedlayer topic list --stream pubsub://my-project'))
    .action(
      action(async (o: { stream: string; json?: boolean }) => {
        const names = await withClient(o.stream, (c) => c.admin.listTopics());
        process.stdout.write(o.json ? `${JSON.stringify(names)}\n` : names.map((n) => `${n}\n`).join(''));
      }),
    );
}
