/**
 * Disk faults of the embedded log, on real files: each must end in a typed StorageError naming the path, never
 * a native crash (SIGBUS, SIGSEGV) nor a silently empty or corrupt log.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { isSpeedlayerError, type SpeedlayerError, StorageError, utf8 } from '@speedlayer/core';
import { afterAll, describe, expect, it } from 'vitest';
import { driver, tempDir, unique, waitUntil } from './support.js';

async function errorOf(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** A local:// log with `n` records of `bytes` bytes each, closed. Returns its directory. */
async function makeLog(n: number, bytes: number, marker = ''): Promise<{ dir: string; topic: string }> {
  const dir = tempDir();
  const topic = unique('t');
  const client = await driver(`local://${dir}`);
  await client.admin.ensureTopic(topic, { partitions: 1 });
  const producer = client.producer();
  for (let i = 0; i < n; i += 100) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 100); j++) {
      const value = Buffer.alloc(bytes, 0x61);
      if (marker) value.write(`${marker}${String(j).padStart(6, '0')}`);
      batch.push({ key: `k${j}`, value });
    }
    await producer.send(topic, batch);
  }
  await client.close();
  return { dir, topic };
}

function expectStorageError(e: unknown, path: string): void {
  expect(e).toBeInstanceOf(StorageError);
  const err = e as StorageError;
  expect(err.kind).toBe('storage');
  expect(err.path).toBe(path);
  expect(err.message).toContain(path);
}

describe('local/storage/faults', () => {
  it('a 0-byte data file is a StorageError naming it, not an empty log', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'data.mdb'), '');
    const e = await errorOf(() => driver(`local://${dir}`));
    expectStorageError(e, join(dir, 'data.mdb'));
    expect((e as Error).message).toContain('empty');
  });

  it('a truncated data file is a StorageError naming it, not a SIGBUS', async () => {
    const { dir } = await makeLog(2000, 1024);
    const file = join(dir, 'data.mdb');
    const size = readFileSync(file).length;
    truncateSync(file, Math.floor(size / 2));
    const e = await errorOf(() => driver(`local://${dir}`));
    expectStorageError(e, file);
    expect((e as Error).message).toContain('truncated');
  });

  it('a file that is not an LMDB log (garbage header) is a StorageError naming it', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'data.mdb'), Buffer.alloc(16384, 0x5a));
    const e = await errorOf(() => driver(`local://${dir}`));
    expectStorageError(e, join(dir, 'data.mdb'));
    expect((e as Error).message).toContain('no LMDB header');
  });

  it('a data file of another LMDB format version is a StorageError naming both versions', async () => {
    const { dir } = await makeLog(10, 100);
    const file = join(dir, 'data.mdb');
    const bytes = readFileSync(file);
    bytes.writeUInt32LE(1, 28); // page 0: MDB_meta.mm_version
    writeFileSync(file, bytes);
    const e = await errorOf(() => driver(`local://${dir}`));
    expectStorageError(e, file);
    expect((e as Error).message).toMatch(/format 1.*format 2/);
  });

  it('a flipped bit in a stored record is detected on read (checksum) and reported with its position', async () => {
    const marker = 'MARK-';
    const { dir, topic } = await makeLog(50, 200, marker);
    const file = join(dir, 'data.mdb');
    const bytes = readFileSync(file);
    // flip one bit of record 17's value, wherever LMDB keeps a copy of it
    const needle = Buffer.from(`${marker}000017`);
    let flipped = 0;
    for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) {
      bytes[at + needle.length + 3] = (bytes[at + needle.length + 3] as number) ^ 0x04;
      flipped++;
    }
    expect(flipped).toBeGreaterThan(0);
    writeFileSync(file, bytes);

    const client = await driver(`local://${dir}`);
    try {
      // a read stops before the corrupt record, and a read starting at it throws
      const before = client.log.read(topic, 0, 0, 100);
      const e = await errorOf(() => client.log.read(topic, 0, 17, 100));
      expectStorageError(e, file);
      expect((e as SpeedlayerError).field).toBe(`${topic}/0@17`);
      expect(before.map((r) => utf8(r.msg.v).slice(0, 11))).toEqual(
        Array.from({ length: 17 }, (_, i) => `${marker}${String(i).padStart(6, '0')}`),
      );
      // a subscription surfaces it to onError and does not skip it silently
      const errors: unknown[] = [];
      const handled: string[] = [];
      const sub = await client.subscribe({ topic, group: 'g', onError: (err) => errors.push(err) }, (m) => {
        handled.push(m.position);
      });
      await waitUntil(() => errors.length > 0, 'the checksum error to be reported');
      await new Promise((r) => setTimeout(r, 100));
      expect(handled).toEqual(Array.from({ length: 17 }, (_, i) => String(i)));
      expect(isSpeedlayerError(errors[0]) && (errors[0] as SpeedlayerError).kind).toBe('storage');
      await sub.close();
    } finally {
      await client.close();
    }
  });

  it('a data directory that cannot be created is a StorageError naming it', async () => {
    const dir = tempDir();
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const path = join(file, 'data');
    const e = await errorOf(() => driver(`local://${path}`));
    expectStorageError(e, path);
    expect((e as Error).message).toMatch(/ENOTDIR|EEXIST/);
  });

  it('a data directory whose name has a dot is a directory, not a file name', async () => {
    const dir = join(tempDir(), 'data.v1');
    const client = await driver(`local://${dir}`);
    await client.admin.ensureTopic(unique('t'));
    await client.close();
    expect(readFileSync(join(dir, 'data.mdb')).length).toBeGreaterThan(0);
  });

  it('data written survives reopening and reads back exactly (checksums match)', async () => {
    const { dir, topic } = await makeLog(300, 500, 'OK-');
    const client = await driver(`local://${dir}`);
    try {
      const rows = client.log.read(topic, 0, 0, 1000);
      expect(rows).toHaveLength(300);
      expect(rows[299]?.msg.k).toBe('k299');
    } finally {
      await client.close();
    }
  });
});

const posix = process.platform !== 'win32';
const root = process.geteuid?.() === 0;

describe.skipIf(!posix)('local/storage/ownership: another local user cannot read or swap the log', () => {
  it('the data file is readable by its user alone (0600), also when an earlier version left it 0644', async () => {
    const { dir } = await makeLog(10, 100);
    const file = join(dir, 'data.mdb');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    chmodSync(file, 0o644);
    const client = await driver(`local://${dir}`);
    await client.close();
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('a new log in a directory others may enter has its data file created 0600, and reads back after reopening', async () => {
    const dir = join(tempDir(), 'enterable');
    mkdirSync(dir, { mode: 0o755 });
    const topic = unique('t');
    const first = await driver(`local://${dir}`);
    expect(statSync(join(dir, 'data.mdb')).mode & 0o777).toBe(0o600);
    await first.admin.ensureTopic(topic, { partitions: 1 });
    await first.producer().send(topic, { key: 'k', value: 'v' });
    await first.close();
    const again = await driver(`local://${dir}`);
    try {
      expect(again.log.read(topic, 0, 0, 10).map((r) => r.msg.k)).toEqual(['k']);
    } finally {
      await again.close();
    }
  });

  it.each([
    ['0777', 0o777, 'all users'],
    ['0770', 0o770, 'its group'],
  ])('a directory of mode %s is refused before anything in it is opened, naming it and the fix', async (_, mode, who) => {
    const dir = join(tempDir(), 'shared');
    mkdirSync(dir);
    chmodSync(dir, mode);
    const e = await errorOf(() => driver(`local://${dir}`));
    expectStorageError(e, dir);
    expect((e as Error).message).toContain(`writable by ${who}`);
    expect((e as Error).message).toContain(`chmod go-w ${dir}`);
    expect(existsSync(join(dir, 'data.mdb'))).toBe(false);
    expect(existsSync(join(dir, 'lock.mdb'))).toBe(false);
  });

  it('a data directory whose parent anyone may write to is refused, unless the parent has the sticky bit (as /tmp)', async () => {
    const open = join(tempDir(), 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const e = await errorOf(() => driver(`local://${join(open, 'data')}`));
    expectStorageError(e, open);
    expect((e as Error).message).toContain('without the sticky bit');
    chmodSync(open, 0o1777);
    const client = await driver(`local://${join(open, 'data')}`);
    await client.close();
  });

  it('a data file that is a link (to a file another user could read) is refused and its target left alone', async () => {
    const dir = tempDir();
    const elsewhere = join(tempDir(), 'their-file');
    writeFileSync(elsewhere, 'theirs');
    symlinkSync(elsewhere, join(dir, 'data.mdb'));
    const e = await errorOf(() => driver(`local://${dir}`));
    expectStorageError(e, join(dir, 'data.mdb'));
    expect((e as Error).message).toContain('not a regular file');
    expect(readFileSync(elsewhere, 'utf8')).toBe('theirs');
  });

  it('a data directory that is itself a link to a private directory is used (a volume mounted elsewhere)', async () => {
    const target = tempDir();
    const link = join(tempDir(), 'data');
    symlinkSync(target, link);
    const client = await driver(`local://${link}`);
    await client.admin.ensureTopic(unique('t'));
    await client.close();
    expect(statSync(join(target, 'data.mdb')).size).toBeGreaterThan(0);
  });

  it.skipIf(!root)('a directory or data file of another user is refused (needs root to chown)', async () => {
    const theirs = tempDir();
    chownSync(theirs, 65534, 65534);
    const e = await errorOf(() => driver(`local://${theirs}`));
    expectStorageError(e, theirs);
    expect((e as Error).message).toContain('belongs to uid 65534');

    const { dir } = await makeLog(5, 10);
    chownSync(join(dir, 'data.mdb'), 65534, 65534);
    const e2 = await errorOf(() => driver(`local://${dir}`));
    expectStorageError(e2, join(dir, 'data.mdb'));
    expect((e2 as Error).message).toContain('belongs to uid 65534');
  });
});

/** A 3 MiB tmpfs to fill up, when this process may mount one (root on Linux); otherwise the step is skipped. */
function smallVolume(): string | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return undefined;
  const dir = tempDir('speedlayer-full-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    return undefined;
  }
}
const volume = smallVolume();
afterAll(() => {
  if (volume) execFileSync('umount', [volume], { stdio: 'ignore' });
});

describe.skipIf(!volume)('local/storage/disk-full (needs a tmpfs mount: root on Linux)', () => {
  it('a full disk fails the send with a retriable StorageError; the log stays readable and closes', async () => {
    const dir = join(volume as string, 'log');
    const client = await driver(`local://${dir}`);
    const topic = unique('t');
    await client.admin.ensureTopic(topic, { partitions: 1 });
    const producer = client.producer();
    let sent = 0;
    let failure: unknown;
    while (!failure && sent < 100_000) {
      try {
        await producer.send(
          topic,
          Array.from({ length: 50 }, () => ({ value: Buffer.alloc(1000) })),
        );
        sent += 50;
      } catch (e) {
        failure = e;
      }
    }
    expectStorageError(failure, dir);
    expect((failure as StorageError).retriable).toBe(true);
    expect(sent).toBeGreaterThan(0);
    expect(client.log.highWatermark(topic, 0)).toBeGreaterThanOrEqual(sent);
    expect(client.log.read(topic, 0, 0, 10)).toHaveLength(10);
    await client.close();
  });

  it('opening a log on a full volume is a retriable StorageError, not a SIGBUS', async () => {
    const filler = join(volume as string, 'filler');
    try {
      writeFileSync(filler, Buffer.alloc(4 * 1024 * 1024));
    } catch {
      // ENOSPC: the volume is full now, which is the point
    }
    const dir = join(volume as string, 'fresh');
    const e = await errorOf(() => driver(`local://${dir}`));
    expectStorageError(e, dir);
    expect((e as StorageError).retriable).toBe(true);
    expect((e as Error).message).toContain('full');
  });
});
