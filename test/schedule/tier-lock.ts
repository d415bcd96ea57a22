/**
 * Setup file of the `local` and `int` projects: lets their files run side by side (two vitest workers) while a few
 * int files still run alone. Each file takes a lock before its tests and gives it back after them:
 * - most files take it SHARED: any number run at once (each has its own topics, groups, directories and, where it
 *   stops a peer, a private peer on other ports);
 * - the files in `EXCLUSIVE` (./exclusive.ts) take it EXCLUSIVE: they start once no local or int file runs, and none starts
 *   until they end. One waiting exclusive file holds back new shared ones, so it is not starved.
 * The lock is a directory per vitest run (`SPEEDLAYER_TIER_LOCK_DIR`, set in vitest.config.ts): `x` (a file holding
 * the exclusive owner's pid) and `s/<pid>` (one file per shared owner). A holder whose process is gone (a crashed
 * or killed worker) is ignored and its entry removed.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { isExclusive } from './exclusive.js';

const POLL_MS = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return true; // still being written: count it as held
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(file: string): number | undefined {
  try {
    return Number(readFileSync(file, 'utf8').trim() || '0');
  } catch {
    return undefined; // gone
  }
}

/** True while a live process holds (or is taking) the exclusive lock; removes the entry of a dead one. */
function exclusiveHeld(dir: string): boolean {
  const file = join(dir, 'x');
  const pid = readPid(file);
  if (pid === undefined) return false;
  if (alive(pid)) return true;
  rmSync(file, { force: true });
  return false;
}

/** Live shared holders other than this process; removes the entries of dead ones. */
function sharedHolders(dir: string): number[] {
  const live: number[] = [];
  for (const name of readdirSync(join(dir, 's'))) {
    const pid = Number(name);
    if (pid === process.pid) continue;
    if (alive(pid)) live.push(pid);
    else rmSync(join(dir, 's', name), { force: true });
  }
  return live;
}

async function takeExclusive(dir: string): Promise<void> {
  for (;;) {
    try {
      writeFileSync(join(dir, 'x'), String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      exclusiveHeld(dir); // clears a dead holder
      await sleep(POLL_MS);
    }
  }
  while (sharedHolders(dir).length > 0) await sleep(POLL_MS);
}

async function takeShared(dir: string): Promise<void> {
  const mine = join(dir, 's', String(process.pid));
  for (;;) {
    if (!exclusiveHeld(dir)) {
      writeFileSync(mine, '');
      // written first, checked second: an exclusive taker that came in between waits for this entry or sees it gone
      if (!exclusiveHeld(dir)) return;
      rmSync(mine, { force: true });
    }
    await sleep(POLL_MS);
  }
}

const lockDir = process.env.SPEEDLAYER_TIER_LOCK_DIR;
if (lockDir) {
  let release = () => {};
  // biome-ignore lint/correctness/noEmptyPattern: vitest reads a hook's fixtures from this pattern; it uses none
  beforeAll(async ({}, suite) => {
    mkdirSync(join(lockDir, 's'), { recursive: true });
    if (isExclusive(suite.file.filepath)) {
      await takeExclusive(lockDir);
      release = () => rmSync(join(lockDir, 'x'), { force: true });
    } else {
      await takeShared(lockDir);
      release = () => rmSync(join(lockDir, 's', String(process.pid)), { force: true });
    }
    process.once('exit', release);
  }, 3_600_000);
  afterAll(() => release());
}
