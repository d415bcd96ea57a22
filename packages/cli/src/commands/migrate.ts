/**
 * `speedlayer migrate`: plan, copy, move groups and verify a topic between any two stream targets.
 *
 * @packageDocumentation
 */

import { isSpeedlayerError } from '@speedlayer/core';
import {
  type CopyProgress,
  type MigrateResult,
  type MigrationPlan,
  migrate,
  type OnOversize,
  type Until,
} from '@speedlayer/migrate';
import { Presets, SingleBar } from 'cli-progress';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { action, examples, intOption, reportError, stopSignal } from '../common.js';

/** Parses `now | follow | <ISO time | epoch ms>`. */
export function untilOption(value: string): Until {
  if (value === 'now' || value === 'follow') return value;
  const t = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidArgumentError(`expected now, follow, an ISO time or epoch milliseconds, got "${value}"`);
  return { timestamp: t };
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

interface MigrateCliOptions {
  from: string;
  to: string;
  topic: string;
  toTopic?: string;
  checkpoint?: string;
  group?: string;
  until: Until;
  rate?: number;
  dryRun?: boolean;
  verify?: boolean;
  verifyOnly?: boolean;
  json?: boolean;
  onOversize: OnOversize;
  moveGroup?: string[];
  partitions?: number;
  provenance: boolean;
  batchSize?: number;
  idleMs?: number;
  progress: boolean;
}

function printPlan(plan: MigrationPlan): void {
  const w = (s: string) => process.stdout.write(`${s}\n`);
  w(`plan: ${plan.sourceTarget}:${plan.sourceTopic} -> ${plan.targetTarget}:${plan.targetTopic}`);
  w(
    `  partitions: ${plan.sourcePartitions ?? 'none'} -> ${plan.targetPartitions ?? 'none (ordering keys)'}${
      plan.targetExists ? ' (target topic exists)' : ' (target topic will be created)'
    }`,
  );
  w(`  keys: ${plan.keyMapping}; headers: ${plan.headerMapping}; max record: ${plan.targetMaxMessageBytes} bytes`);
  for (const n of plan.notes) w(`  ${n.level.padEnd(7)} ${n.area}: ${n.message}`);
  w('  not carried over:');
  for (const n of plan.notCarried) w(`    - ${n}`);
}

function printResult(r: MigrateResult): void {
  const w = (s: string) => process.stdout.write(`${s}\n`);
  if (r.copy) {
    const c = r.copy;
    w(
      `copy: ${c.copied} copied, ${c.deadLettered} dead-lettered${c.total !== undefined ? ` of ${c.total} at start` : ''}; stopped: ${c.stoppedBy}; ${
        c.duplicatesRecorded
      } duplicate writes recorded across runs (${c.duplicateBound}); scan ${c.scanMs} ms, copy ${c.copyMs} ms`,
    );
    if (c.unfinished.length) w(`  partitions not at their end: ${c.unfinished.join(', ')}`);
    for (const o of c.oversize)
      w(`  oversize: source partition ${o.partition} position ${o.position}: ${o.bytes} bytes > ${o.limit}`);
    if (c.error) w(`  ${c.error}`);
  }
  for (const g of r.groups ?? []) {
    w(
      `group ${g.group} -> ${g.targetGroup}: ${g.acknowledged} acknowledged on the target, ${g.duplicates} will be delivered again`,
    );
    for (const t of g.targets)
      w(`  target partition ${t.partition}: starts at ${t.start ?? `after ${t.lastWritten}`} (${t.duplicates} duplicates)`);
    if (g.unreached.length)
      w(`  start not reached on target partitions ${g.unreached.join(', ')} (they start earlier: duplicates, no loss)`);
  }
  if (r.verify) {
    const v = r.verify;
    w(
      `verify (${v.matchedBy}): ${v.ok ? 'OK' : 'FAILED'}: source ${v.source.count} messages / ${v.source.keys} keys, target ${v.target.count} / ${v.target.keys}; missing ${v.missing}, out of order ${v.outOfOrder}, mismatched ${v.mismatched}, extra ${v.extra}, duplicates ${v.duplicates}, dead-lettered ${v.deadLettered}`,
    );
    for (const d of v.differences.slice(0, 20))
      w(
        `  ${d.kind} key=${d.key ?? '<none>'} ${d.source ? `source ${d.source.partition}:${d.source.position}` : ''} ${
          d.target ? `target ${d.target.partition}:${d.target.position}` : ''
        }`.trimEnd(),
      );
  }
  w(`checkpoint store: ${r.checkpoint}`);
}

/** Registers `migrate`. */
export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('copy a topic between any two stream targets, resumably, move consumer groups, and verify the result')
    .requiredOption('--from <uri>', 'source stream URI')
    .requiredOption('--to <uri>', 'target stream URI')
    .requiredOption('--topic <topic>', 'source topic')
    .option('--to-topic <topic>', 'target topic (default: the source topic name)')
    .option(
      '--checkpoint <path>',
      'checkpoint store directory, locked while a run uses it (default: ./.speedlayer/migrate/<topic>-<hash>; printed absolute)',
    )
    .option('--group <group>', 'source consumer group holding progress (default: speedlayer-migrate-<topic>-<target hash>)')
    .option('--until <when>', 'now (end positions at start) | follow | an ISO time or epoch ms', untilOption, 'now' as Until)
    .option('--rate <msgs>', 'largest write rate in messages per second', intOption(1))
    .option('--dry-run', 'print the plan only')
    .option('--verify', 'verify source against target after the copy (exit 1 when missing or reordered)')
    .option('--verify-only', 'skip the copy; verify only')
    .option('--json', 'print the result as JSON')
    .addOption(
      new Option('--on-oversize <action>', 'a message too large for the target').choices(['stop', 'dead-letter']).default('stop'),
    )
    .option('--move-group <group>', 'move this source consumer group to the target after the copy (repeatable)', collect)
    .option(
      '--partitions <n>',
      'partitions for the target topic (default: the source count; up to the target limit)',
      intOption(1),
    )
    .option('--no-provenance', 'do not write the speedlayer-migrate-source header')
    .option('--batch-size <n>', 'messages in flight per partition and largest write batch', intOption(1, 10_000))
    .option('--idle-ms <ms>', 'idle time meaning "read to the end"', intOption(100, 600_000))
    .option('--no-progress', 'no progress bar')
    .addHelpText(
      'after',
      examples(
        'speedlayer migrate --from kafka://b1:9092 --to kinesis://us-east-1 --topic orders --dry-run',
        'speedlayer migrate --from local://./old --to local://./new --topic orders --verify --checkpoint ./orders-ckpt',
      ),
    )
    .action(
      action(async (o: MigrateCliOptions) => {
        const bar =
          o.progress && !o.dryRun && !o.verifyOnly && process.stderr.isTTY
            ? new SingleBar(
                {
                  format: 'migrate |{bar}| {value}/{total} | ETA {eta_formatted} | {rate} msg/s',
                  hideCursor: true,
                  stream: process.stderr,
                },
                Presets.shades_classic,
              )
            : undefined;
        const started = Date.now();
        let barStarted = false;
        const onProgress = (p: CopyProgress) => {
          if (!bar) return;
          const rate = Math.round(p.copied / ((Date.now() - started) / 1000 || 1));
          if (!barStarted) {
            bar.start(p.total ?? p.done, p.done, { rate });
            barStarted = true;
          } else {
            if (p.total === undefined) bar.setTotal(p.done);
            bar.update(p.done, { rate });
          }
        };
        let result: MigrateResult;
        try {
          result = await migrate({
            from: o.from,
            to: o.to,
            topic: o.topic,
            ...(o.toTopic ? { toTopic: o.toTopic } : {}),
            ...(o.checkpoint ? { checkpoint: o.checkpoint } : {}),
            ...(o.group ? { group: o.group } : {}),
            until: o.until,
            ...(o.rate !== undefined ? { rate: o.rate } : {}),
            dryRun: !!o.dryRun,
            verify: !!o.verify || !!o.verifyOnly,
            skipCopy: !!o.verifyOnly,
            onOversize: o.onOversize,
            ...(o.moveGroup ? { moveGroups: o.moveGroup } : {}),
            ...(o.partitions !== undefined ? { partitions: o.partitions } : {}),
            provenance: o.provenance,
            ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
            ...(o.idleMs !== undefined ? { idleMs: o.idleMs } : {}),
            signal: stopSignal(),
            onProgress,
          });
        } catch (e) {
          if (isSpeedlayerError(e) && e.kind === 'conflict') {
            // an incompatible target topic or a store of another run: the caller's input
            reportError(e, 2);
            return 2;
          }
          throw e;
        } finally {
          bar?.stop();
        }
        if (o.json) process.stdout.write(`${JSON.stringify(result)}\n`);
        else {
          printPlan(result.plan);
          printResult(result);
        }
        if (result.dryRun) return result.plan.notes.some((n) => n.level === 'error') ? 2 : 0;
        if (result.copy?.stoppedBy === 'oversize') return 2;
        return result.ok ? 0 : 1;
      }),
    );
}
