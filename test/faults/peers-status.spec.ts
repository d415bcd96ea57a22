/**
 * `speedlayer peers status` says, per peer, where its data lives and whether it survives `peers down` / `peers up`
 * (issue #23: a broker restart lost every topic and nobody could tell from the status which peers keep data).
 * Rows come from the real peer definitions (`peersReport`), so a peer added without a data note shows here.
 */
import { type PeersStatus, peersReport } from '@speedlayer/testing/peers';
import { describe, expect, it } from 'vitest';
import { dataLine, formatPeersTable } from '../../packages/cli/src/commands/peers.js';

const empty = { streams: {} } as unknown as PeersStatus;

describe('peers status data lines', () => {
  it('shows kept or LOST per peer, with run-directory paths under the cache', async () => {
    const { rows } = await peersReport();
    const cache = '/c/speedlayer';
    const table = formatPeersTable(cache, rows, empty);
    const lines = table.split('\n');
    const byName = new Map(rows.map((r) => [r.name, r]));
    for (const [name, row] of byName) {
      const i = lines.findIndex((l) => l.startsWith(`${name} `));
      expect(i, name).toBeGreaterThan(0);
      expect(lines[i + 1]?.trim()).toBe(dataLine(cache, row.data));
    }
    const kafka = lines[lines.findIndex((l) => l.startsWith('kafka ')) + 1] ?? '';
    expect(kafka).toMatch(/data kept across down\/up: .*\/c\/speedlayer\/run\/kafka\/data/);
    const moto = lines[lines.findIndex((l) => l.startsWith('moto ')) + 1] ?? '';
    expect(moto).toMatch(/data LOST on down\/up: in memory/);
    const pubsub = lines[lines.findIndex((l) => l.startsWith('pubsub ')) + 1] ?? '';
    expect(pubsub).toMatch(/LOST on down\/up/);
  });

  it('leaves a note without a run path as it is', () => {
    expect(dataLine('/c/', { kept: true, note: 'executables only; no data' })).toBe(
      'data kept across down/up: executables only; no data',
    );
    expect(dataLine('/c/', { kept: true, note: 'kept in run/x/data' })).toBe('data kept across down/up: kept in /c/run/x/data');
  });
});
