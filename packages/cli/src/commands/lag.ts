/**
 * `lag`: how far a consumer group is behind on a topic, per partition, on every stream target that can tell.
 *
 * @packageDocumentation
 */

import { connect, type LagReport, sleep } from '@speedlayer/core';
import type { Command } from 'commander';
import { action, DEFAULT_STREAM, examples, intOption, stopSignal } from '../common.js';

interface LagOptions {
  stream: string;
  topic: string;
  group: string;
  json?: boolean;
  watch?: boolean;
  interval: number;
}

function table(r: LagReport): string {
  const lines = [
    `lag of group ${r.group} on ${r.topic}: ${r.partitions.some((p) => p.truncated) ? 'at least ' : ''}${r.total} message(s)${r.maxAgeSeconds !== undefined ? `, oldest ${r.maxAgeSeconds.toFixed(1)} s` : ''}`,
  ];
  lines.push('  partition  lag        end        committed');
  for (const p of r.partitions) {
    lines.push(
      `  ${String(p.partition).padEnd(9)}  ${`${p.truncated ? '>=' : ''}${p.lag}`.padEnd(9)}  ${(p.endPosition ?? '-').padEnd(9)}  ${p.committedPosition ?? 'none'}${p.ageSeconds !== undefined && p.lag > 0 ? `  (oldest ${p.ageSeconds.toFixed(1)} s)` : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Registers `lag`. */
export function registerLag(program: Command): void {
  program
    .command('lag')
    .description('show how far a consumer group is behind on a topic: messages (and age where the target tells) per partition')
    .requiredOption('--topic <topic>', 'topic')
    .requiredOption('--group <group>', 'consumer group')
    .option('--stream <uri>', 'stream URI', DEFAULT_STREAM)
    .option('--json', 'one JSON object per report: {"topic","group","total","partitions":[{"partition","lag",...}]}')
    .option('--watch', 'report again every --interval seconds until interrupted')
    .option('--interval <s>', 'seconds between reports with --watch', intOption(1, 3600), 5)
    .addHelpText('after', examples('speedlayer lag --topic orders --group billing --stream kafka://127.0.0.1:9092 --json'))
    .action(
      action(async (o: LagOptions) => {
        const client = await connect(o.stream);
        const signal = o.watch ? stopSignal() : undefined;
        try {
          for (;;) {
            const report = await client.lag(o.topic, o.group);
            process.stdout.write(o.json ? `${JSON.stringify(report)}\n` : table(report));
            if (!o.watch || signal?.aborted) return 0;
            await sleep(o.interval * 1000, signal);
            if (signal?.aborted) return 0;
          }
        } finally {
          await client.close();
        }
      }),
    );
}
