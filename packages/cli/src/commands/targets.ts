/**
 * `speedlayer targets [--json]`: the targets this installation knows, read from their descriptors (core's registry and
 * any registered in-process): id, title, URI schemes, whether it plans, and the package that implements it.
 *
 * @packageDocumentation
 */
import { type TargetDescriptor, targetDescriptors } from '@speedlayer/core';
import type { Command } from 'commander';
import { action, examples } from '../common.js';

/** One row of `speedlayer targets`. */
export interface TargetRow {
  readonly id: string;
  readonly title: string;
  readonly package: string;
  readonly streams: readonly string[];
  readonly computes: readonly string[];
  /** Whether `plan`/`compare` can plan it. */
  readonly plan: boolean;
  /** The plan target that prices it in `bench --with-cost`, when not its own. */
  readonly pricedAs?: string;
}

/** The rows, in registry order. */
export function targetRows(descriptors: readonly TargetDescriptor[]): TargetRow[] {
  return descriptors.map((d) => ({
    id: d.id,
    title: d.title,
    package: d.package,
    streams: d.streamSchemes.map((s) => `${s}://`),
    computes: (d.computeSchemes ?? []).map((s) => `${s}://`),
    plan: d.plan !== undefined,
    ...(d.pricedAs ? { pricedAs: d.pricedAs } : {}),
  }));
}

/** The rows as a text table. */
export function targetTable(rows: readonly TargetRow[]): string {
  const cells = [
    ['target', 'title', 'stream', 'compute', 'plan', 'package'],
    ...rows.map((r) => [r.id, r.title, r.streams.join(' ') || '-', r.computes.join(' ') || '-', r.plan ? 'yes' : '-', r.package]),
  ];
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  return `${cells.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n')}\n`;
}

/** Registers `speedlayer targets`. */
export function registerTargets(program: Command): void {
  program
    .command('targets')
    .description('list the targets this installation knows (from their descriptors): schemes, planning, package')
    .option('--json', 'one JSON object: {"targets":[{"id","title","package","streams","computes","plan"}]}')
    .addHelpText('after', examples('speedlayer targets', 'speedlayer targets --json'))
    .action(
      action(async (o: { json?: boolean }) => {
        const rows = targetRows(await targetDescriptors());
        process.stdout.write(o.json ? `${JSON.stringify({ targets: rows })}\n` : targetTable(rows));
      }),
    );
}
