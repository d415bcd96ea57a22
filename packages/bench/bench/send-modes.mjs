/**
 * One-record sends against hand-made batches of 500, through the same speedlayer client, on each stream given
 * (default: memory and local; `--peers` adds every stream of the running test peers).
 *
 *   npm run bench:send-modes -w @speedlayer/bench -- [--records N] [--rounds N] [--peers] [<uri>...]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSendModes, sendModeTable } from '@speedlayer/bench';

const args = process.argv.slice(2);
let records = 20_000;
let rounds = 3;
const uris = [];
const slowRecords = {}; // per-scheme record counts for emulators that are slow by design
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--records') records = Number(args[++i]);
  else if (a === '--rounds') rounds = Number(args[++i]);
  else if (a === '--peers') {
    const status = JSON.parse(execFileSync('npx', ['speedlayer', 'peers', 'status', '--json'], { encoding: 'utf8' }));
    for (const [name, uri] of Object.entries(status.streams ?? {})) {
      if (name === 'local') continue; // a temp local:// is measured below
      uris.push(uri);
      if (name === 'kinesis' || name === 'pubsub' || name === 'eventhubs') slowRecords[uri] = 5_000;
    }
  } else uris.push(a);
}
// moto accepts any credentials; the SDK's chain needs some (never set for a cloud endpoint: --peers only)
if (args.includes('--peers') && !process.env.AWS_ACCESS_KEY_ID && !process.env.AWS_PROFILE) {
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
}
const dir = mkdtempSync(join(tmpdir(), 'sl-sendmode-'));
if (uris.length === 0 || args.includes('--peers')) uris.unshift('memory://send-modes', `local://${dir}`);
const results = [];
try {
  for (const uri of uris) {
    process.stderr.write(`${uri.replace(/\?.*/, '')}\n`);
    try {
      results.push(
        await runSendModes(uri, {
          records: slowRecords[uri] ?? records,
          rounds,
          onRun: (mode, rate) => process.stderr.write(`  ${mode.padEnd(14)} ${Math.round(rate)} msg/s\n`),
        }),
      );
    } catch (e) {
      process.stderr.write(`  failed: ${e?.message ?? e}\n`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(sendModeTable(results));
