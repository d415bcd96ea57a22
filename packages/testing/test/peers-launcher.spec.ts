/**
 * The launcher's machinery without real peers: cache layout, `.complete` markers, ports, process groups,
 * tool checks, names and the data-driven stream table.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSpeedlayerError } from '@speedlayer/core';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestProject } from 'vitest/node';
import {
  cacheRoot,
  choosePorts,
  ensureUnit,
  fingerprint,
  type InstallUnit,
  killGroup,
  missingTools,
  PortInUseError,
  processAlive,
  readState,
  spawnDetached,
  unitDir,
  writeState,
} from '../src/peers/common.js';
import setup from '../src/peers/global-setup.js';
import { PEER_NAMES, packageAvailable, parsePeerNames, peersStatus, STREAM_TARGETS, streamUris } from '../src/peers/index.js';

const saved = { ...process.env };
let cache: string;

beforeEach(() => {
  cache = mkdtempSync(join(tmpdir(), 'speedlayer-peers-unit-'));
  process.env.SPEEDLAYER_CACHE = cache;
});
afterEach(() => {
  process.env = { ...saved };
});

describe('cache root', () => {
  it('honours SPEEDLAYER_CACHE, then XDG_CACHE_HOME, then ~/.cache', () => {
    expect(cacheRoot()).toBe(cache);
    delete process.env.SPEEDLAYER_CACHE;
    process.env.XDG_CACHE_HOME = '/tmp/xdg';
    expect(cacheRoot()).toBe('/tmp/xdg/speedlayer');
    delete process.env.XDG_CACHE_HOME;
    expect(cacheRoot()).toMatch(/\.cache\/speedlayer$/);
  });
});

describe('peer names', () => {
  it('defaults to all peers, accepts commas, keeps a stable order', () => {
    expect(parsePeerNames([])).toEqual([...PEER_NAMES]);
    expect(parsePeerNames(['moto,kafka', 'kafka'])).toEqual(['kafka', 'moto']);
  });
  it('rejects an unknown name with a config error that lists the known ones', () => {
    try {
      parsePeerNames(['kafka', 'zookeeper']);
      expect.unreachable();
    } catch (e) {
      expect(isSpeedlayerError(e) && e.kind).toBe('config');
      expect((e as Error).message).toMatch(/'zookeeper'.*known peers: kafka, kafkaAuth, moto/);
    }
  });
});

describe('install units', () => {
  const log: string[] = [];
  const ctx = () => ({ peer: 'moto' as const, log: (l: string) => log.push(l), logFile: join(cache, 'install.log') });
  function unit(recipe: { value: string }, fail = false): InstallUnit & { runs: number } {
    const u = {
      id: 'fake-1.0',
      runs: 0,
      fingerprint: async () => recipe.value,
      install: async (dir: string) => {
        u.runs++;
        writeFileSync(join(dir, 'payload'), recipe.value);
        if (fail) throw new Error('network down');
      },
    };
    return u;
  }

  it('installs once, writes the .complete marker last, and reuses a complete unit', async () => {
    const u = unit({ value: 'a' });
    expect(await ensureUnit(u, ctx())).toBeGreaterThanOrEqual(0);
    expect(existsSync(join(unitDir(u), '.complete'))).toBe(true);
    expect(await ensureUnit(u, ctx())).toBeUndefined();
    expect(u.runs).toBe(1);
  });

  it('two peers sharing a unit install it once: the second joins the first install (kafka and kafkaAuth)', async () => {
    let runs = 0;
    const shared: InstallUnit = {
      id: 'fake-shared-1.0',
      fingerprint: async () => 'shared',
      install: async (dir: string) => {
        runs++;
        await new Promise((r) => setTimeout(r, 50));
        writeFileSync(join(dir, 'payload'), 'shared');
      },
    };
    const [a, b] = await Promise.all([ensureUnit(shared, ctx()), ensureUnit({ ...shared }, ctx())]);
    expect(runs).toBe(1);
    // the install time is reported once, by the peer that installed; the joiner reports none of its own
    expect(a).toBeGreaterThanOrEqual(40);
    expect(b).toBeUndefined();
    expect(readFileSync(join(unitDir(shared), 'payload'), 'utf8')).toBe('shared');
    expect(existsSync(join(unitDir(shared), '.complete'))).toBe(true);
  });

  it('deletes and rebuilds a half-installed directory (no marker)', async () => {
    const u = unit({ value: 'a' });
    mkdirSync(unitDir(u), { recursive: true });
    writeFileSync(join(unitDir(u), 'leftover'), 'x');
    await ensureUnit(u, ctx());
    expect(existsSync(join(unitDir(u), 'leftover'))).toBe(false);
    expect(log.some((l) => /incomplete or outdated/.test(l))).toBe(true);
  });

  it('leaves no marker when the install fails, and rebuilds when the recipe changes', async () => {
    const failing = unit({ value: 'a' }, true);
    await expect(ensureUnit(failing, ctx())).rejects.toThrow('network down');
    expect(existsSync(join(unitDir(failing), '.complete'))).toBe(false);
    const recipe = { value: 'a' };
    const u = unit(recipe);
    await ensureUnit(u, ctx());
    recipe.value = 'b';
    await ensureUnit(u, ctx());
    expect(u.runs).toBe(2);
    expect(readFileSync(join(unitDir(u), 'payload'), 'utf8')).toBe('b');
  });
});

describe('ports', () => {
  let blocker: Server;
  let blocked: number;
  beforeEach(async () => {
    blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    blocked = (blocker.address() as { port: number }).port;
  });
  afterAll(() => blocker?.close());

  it('a forced port that is taken is an error naming the peer and the variable', async () => {
    process.env.SPEEDLAYER_TEST_PORT = String(blocked);
    const wish = [{ role: 'plaintext', preferred: blocked, env: 'SPEEDLAYER_TEST_PORT' }];
    await expect(choosePorts('kafka', wish, undefined, () => {})).rejects.toThrow(PortInUseError);
    await expect(choosePorts('kafka', wish, undefined, () => {})).rejects.toThrow(
      new RegExp(`peer kafka: port 127.0.0.1:${blocked} \\(plaintext\\) is already in use.*SPEEDLAYER_TEST_PORT`),
    );
    blocker.close();
  });

  it('a taken default falls back to a free port, said in the log; reserved ports are avoided', async () => {
    const lines: string[] = [];
    const ports = await choosePorts(
      'moto',
      [{ role: 'http', preferred: blocked, env: 'SPEEDLAYER_UNSET_PORT' }],
      undefined,
      (l) => lines.push(l),
    );
    expect(ports.http).not.toBe(blocked);
    expect(lines.join()).toMatch(new RegExp(`moto: port ${blocked} \\(http\\) is in use`));
    const again = await choosePorts(
      'moto',
      [{ role: 'http', preferred: ports.http as number, env: 'X' }],
      undefined,
      () => {},
      new Set([ports.http as number]),
    );
    expect(again.http).not.toBe(ports.http);
    blocker.close();
  });
});

describe('process groups', () => {
  it('killGroup stops a detached leader and its children and verifies none is left', async () => {
    const p = await spawnDetached('sleeper', 'sh', ['-c', 'sleep 300 & sleep 300 & wait'], {
      cwd: cache,
      log: join(cache, 'sleeper.log'),
    });
    expect(await processAlive(p)).toBe(true);
    await killGroup(p, 5000);
    expect(await processAlive(p)).toBe(false);
    // Nothing of the group is left running (a leader not yet reaped by its parent may linger as a zombie).
    const live = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map((d) => {
        try {
          const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
          const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          return { pgid: Number(fields[2]), state: fields[0] };
        } catch {
          return undefined;
        }
      })
      .filter((x) => x && x.pgid === p.pid && x.state !== 'Z');
    expect(live).toEqual([]);
  });

  it('a recorded peer whose process died is not reported up', async () => {
    const p = await spawnDetached('short', 'sh', ['-c', 'exit 0'], { cwd: cache, log: join(cache, 'short.log') });
    await new Promise((r) => setTimeout(r, 300));
    const state = await readState();
    state.peers.pubsub = {
      version: 'v2.7.0',
      startedAt: new Date().toISOString(),
      processes: [p],
      ports: {},
      status: { version: 'v2.7.0', emulatorHost: '127.0.0.1:1', projectId: 'x' },
    };
    await writeState(state);
    expect((await peersStatus()).pubsub).toBeUndefined();
  });
});

describe('tool checks', () => {
  it('names the peer, the tool and what to do', async () => {
    const problems = await missingTools('kafka', [
      { cmd: 'speedlayer-no-such-java', args: [], what: 'a Java runtime', fix: 'install a JDK 17' },
    ]);
    expect(problems).toEqual([
      'peer kafka needs a Java runtime: `speedlayer-no-such-java` not found or not working; install a JDK 17',
    ]);
  });
});

describe('stream URIs', () => {
  it('lists a URI only for installed adapter packages and peers that are up; never a secret', () => {
    const status = {
      kafka: {
        version: '3.9.1',
        bootstrap: '127.0.0.1:9092',
        saslSsl: '127.0.0.1:9094',
        oauthbearer: '127.0.0.1:9095',
        caFile: '/c/ca.pem',
        plainUsers: { admin: { username: 'admin', passwordFile: '/c/a' }, alice: { username: 'alice', passwordFile: '/c/b' } },
        connectionStringFile: '/c/conn',
      },
      moto: { version: '5', endpoint: 'http://127.0.0.1:5000', region: 'us-east-1' },
    };
    const uris = streamUris(status);
    const expected: Record<string, string> = {
      local: `local://${join(cache, 'local-data')}`,
      kafka: 'kafka://127.0.0.1:9092',
      kinesis: 'kinesis://us-east-1?endpoint=http://127.0.0.1:5000',
      'eventhubs+kafka': 'eventhubs+kafka://127.0.0.1:9094?connectionString=file:/c/conn&caFile=/c/ca.pem',
    };
    for (const row of STREAM_TARGETS) {
      if (packageAvailable(row.adapterPackage) && expected[row.scheme]) expect(uris[row.scheme]).toBe(expected[row.scheme]);
      else expect(uris[row.scheme]).toBeUndefined();
    }
    expect(packageAvailable('@speedlayer/local')).toBe(true);
    expect(packageAvailable('@speedlayer/no-such-adapter')).toBe(false);
  });
});

describe('vitest global setup', () => {
  const fakeProject = () => {
    const provided = new Map<string, unknown>();
    return { provided, project: { provide: (k: string, v: unknown) => provided.set(k, v) } as unknown as TestProject };
  };

  it('refuses SPEEDLAYER_SKIP_PEERS when CI is set', async () => {
    process.env.SPEEDLAYER_SKIP_PEERS = '1';
    process.env.CI = 'true';
    await expect(setup(fakeProject().project)).rejects.toThrow(/SPEEDLAYER_SKIP_PEERS is refused when CI is set/);
  });

  it('with SPEEDLAYER_SKIP_PEERS=1 starts nothing, says what it skipped, and provides the status', async () => {
    process.env.SPEEDLAYER_SKIP_PEERS = '1';
    process.env.SPEEDLAYER_PEERS = 'kafka,moto';
    delete process.env.CI;
    const { provided, project } = fakeProject();
    const teardown = await setup(project);
    expect(provided.get('peersSkipped')).toEqual(['kafka', 'moto']);
    expect(provided.get('peers')).toEqual({ streams: { local: `local://${join(cache, 'local-data')}` } });
    await teardown();
  });

  it('rejects an unknown name in SPEEDLAYER_PEERS', async () => {
    process.env.SPEEDLAYER_PEERS = 'kafka,zookeeper';
    await expect(setup(fakeProject().project)).rejects.toThrow(/unknown peer 'zookeeper'/);
  });
});

describe('peers/fingerprint', () => {
  it('is the same for the same sources in two checkouts and changes with their content', async () => {
    const [a, b] = [mkdtempSync(join(tmpdir(), 'fp-a-')), mkdtempSync(join(tmpdir(), 'fp-b-'))];
    for (const d of [a, b]) writeFileSync(join(d, 'go.mod'), 'module x\n');
    const fa = await fingerprint(['unit'], [join(a, 'go.mod')], a);
    expect(await fingerprint(['unit'], [join(b, 'go.mod')], b)).toBe(fa);
    writeFileSync(join(b, 'go.mod'), 'module y\n');
    expect(await fingerprint(['unit'], [join(b, 'go.mod')], b)).not.toBe(fa);
  });
});
