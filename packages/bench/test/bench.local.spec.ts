/**
 * `speedlayer bench` as a user runs it: the built CLI in a child process on the local and memory targets, then
 * its HTML report in headless Chromium.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../cli/bin/speedlayer.js', import.meta.url));
const tiny = fileURLToPath(new URL('../../../examples/omb/tiny-1-topic-2-partitions-100b.yaml', import.meta.url));
const cwd = mkdtempSync(join(tmpdir(), 'speedlayer-bench-'));
const CHROMIUM = process.env.SPEEDLAYER_CHROMIUM ?? '/usr/bin/chromium';

function run(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 110_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const PCTS = ['Avg', '50pct', '75pct', '95pct', '99pct', '999pct', '9999pct', 'Max'];

interface Outcome {
  stream: string;
  target?: string;
  error?: { message: string; kind?: string; field?: string };
  result?: Record<string, unknown> & { speedlayer: Record<string, unknown> };
}

describe('bench cli: local and memory targets in one invocation', () => {
  let doc: { targets: Outcome[]; files: { results: string[]; markdown: string; html: string } };
  let code: number | null;

  beforeAll(() => {
    const r = run([
      'bench',
      tiny,
      '--stream',
      `local://${join(cwd, 'data')}`,
      '--stream',
      'memory://x',
      '--duration',
      '3s',
      '--warmup',
      '1s',
      '--out',
      join(cwd, 'out'),
      '--json',
    ]);
    code = r.code;
    if (r.code !== 0) throw new Error(`bench failed (${r.code}): ${r.stderr}`);
    doc = JSON.parse(r.stdout);
  }, 120_000);

  it('exits 0 and reports one result per target, in order', () => {
    expect(code).toBe(0);
    expect(doc.targets.map((t) => [t.stream.split('://')[0], t.target])).toEqual([
      ['local', 'local'],
      ['memory', 'memory'],
    ]);
    for (const t of doc.targets) expect(t.error).toBeUndefined();
  });

  it('gives each target OMB results with every percentile, and sane numbers', () => {
    for (const t of doc.targets) {
      const r = t.result!;
      expect(r.workload).toBe('tiny 1 topic / 2 partitions / 100b');
      expect(r.driver).toBe(`speedlayer:${t.target}`);
      for (const metric of ['PublishLatency', 'PublishDelayLatency', 'EndToEndLatency']) {
        for (const p of PCTS) {
          const v = r[`aggregated${metric}${p}`];
          expect(typeof v, `${t.stream} aggregated${metric}${p}`).toBe('number');
          expect(v as number).toBeGreaterThanOrEqual(0);
        }
      }
      expect(r.aggregatedPublishLatency50pct as number).toBeGreaterThan(0);
      expect(r.aggregatedEndToEndLatencyMax as number).toBeGreaterThan(0);
      expect(r.aggregatedEndToEndLatency99pct as number).toBeLessThanOrEqual(r.aggregatedEndToEndLatencyMax as number);
      expect((r.publishRate as number[]).length).toBeGreaterThan(0);
      expect(r.speedlayer.avgPublishRate as number).toBeGreaterThan(0);
      // two subscriptions each read everything
      expect(r.speedlayer.received as number).toBeGreaterThan(0);
      expect(r.speedlayer.publishErrors).toBe(0);
    }
  });

  it('writes one OMB JSON file per target plus the Markdown and HTML reports', () => {
    expect(doc.files.results).toHaveLength(2);
    for (const f of doc.files.results) {
      const r = JSON.parse(readFileSync(f, 'utf8'));
      expect(r).toHaveProperty('aggregatedEndToEndLatencyQuantiles');
      expect(r).toHaveProperty('publishDelayLatency99pct');
    }
    const md = readFileSync(doc.files.markdown, 'utf8');
    expect(md).toMatch(/\| metric \| `local:\/\/.*` \| `memory:\/\/x` \|/);
    expect(md).toContain('end-to-end latency p99.99 (ms)');
  });

  describe('the HTML report in headless Chromium', () => {
    const hasChromium = existsSync(CHROMIUM);
    if (!hasChromium && process.env.CI === 'true') {
      it('needs Chromium', () => {
        throw new Error(
          `Chromium is not installed at ${CHROMIUM}: install it with "apt-get install -y chromium" (CI must install it in .ci/run)`,
        );
      });
      return;
    }
    const maybe = hasChromium ? it : it.skip;
    let browser: import('playwright-core').Browser | undefined;
    afterAll(async () => {
      await browser?.close();
    });

    maybe('shows its six charts with data points for both targets, and the screenshot is written', async () => {
      const { chromium } = await import('playwright-core');
      // Playwright starts Chromium with a fresh temporary profile (its own --user-data-dir) on every launch.
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--no-first-run',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
      const page = await browser.newPage({ viewport: { width: 1400, height: 1500 } });
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(pathToFileURL(doc.files.html).href);
      const charts = await page.$$eval('svg.chart', (els) =>
        els.map((el) => ({
          id: el.getAttribute('data-chart'),
          series: Array.from(el.querySelectorAll('g.series')).map((g) => ({
            name: g.getAttribute('data-series'),
            points: g.querySelectorAll('circle.point').length,
          })),
          width: el.getBoundingClientRect().width,
        })),
      );
      expect(charts.map((c) => c.id)).toEqual([
        'publish-rate',
        'consume-rate',
        'backlog',
        'publish-latency',
        'publish-delay',
        'end-to-end-latency',
      ]);
      for (const c of charts) {
        expect(c.width).toBeGreaterThan(100);
        expect(c.series).toHaveLength(2);
        for (const s of c.series) expect(s.points, `${c.id} ${s.name}`).toBeGreaterThan(0);
      }
      // self-contained: nothing but the file itself was loaded
      expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
      const shot = join(cwd, 'report.png');
      writeFileSync(shot, await page.screenshot({ fullPage: false }));
      expect(readFileSync(shot).byteLength).toBeGreaterThan(10_000);
      process.stderr.write(`bench report screenshot: ${shot}\n`);
    });
  });
});

describe('bench cli: bad input', () => {
  function workload(extra: string): string {
    const file = join(cwd, `w-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, `${readFileSync(tiny, 'utf8')}${extra}`);
    return file;
  }

  it('names an unknown workload field and exits 2 before running anything', () => {
    const r = run([
      'bench',
      workload('partitionPerTopic: 3\n'),
      '--stream',
      'memory://bad',
      '--duration',
      '1s',
      '--warmup',
      '0s',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('partitionPerTopic: unknown field');
  });

  it('rejects a bad duration as a usage error', () => {
    const r = run(['bench', tiny, '--duration', 'soon']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--duration');
  });

  it('names a target that cannot be reached or cannot hold the partitions, and still runs the others', () => {
    const big = workload('').replace(/\.yaml$/, '-big.yaml');
    writeFileSync(big, readFileSync(tiny, 'utf8').replace('partitionsPerTopic: 2', 'partitionsPerTopic: 20000'));
    const r1 = run([
      'bench',
      big,
      '--stream',
      'memory://big',
      '--duration',
      '1s',
      '--warmup',
      '0s',
      '--json',
      '--out',
      join(cwd, 'o1'),
    ]);
    expect(r1.code).toBe(2);
    const d1 = JSON.parse(r1.stdout) as { targets: Outcome[] };
    expect(d1.targets[0]?.error).toMatchObject({ field: 'partitionsPerTopic', message: expect.stringContaining('memory://big') });

    const r2 = run([
      'bench',
      tiny,
      '--stream',
      'nope://x',
      '--stream',
      'memory://still-runs',
      '--duration',
      '1s',
      '--warmup',
      '0s',
      '--json',
      '--out',
      join(cwd, 'o2'),
    ]);
    expect(r2.code).toBe(2);
    const d2 = JSON.parse(r2.stdout) as { targets: Outcome[] };
    expect(d2.targets[0]?.error?.message).toContain('nope://');
    expect(d2.targets[1]?.error).toBeUndefined();
    expect(d2.targets[1]?.result?.speedlayer.avgPublishRate as number).toBeGreaterThan(0);
    expect(r2.stderr).toContain('bench nope://x');
  });
});

describe('bench cli: Ctrl-C', () => {
  it('stops on SIGINT, exits 130 and writes what was measured', async () => {
    const out = join(cwd, 'interrupted');
    const child = spawn(
      process.execPath,
      [
        bin,
        'bench',
        tiny,
        '--stream',
        'memory://ctrlc',
        '--stream',
        'memory://never',
        '--duration',
        '60s',
        '--warmup',
        '1s',
        '--json',
        '--out',
        out,
      ],
      { cwd, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    // interrupt once the measured phase has begun
    await new Promise((r) => setTimeout(r, 5000));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code, stderr).toBe(130);
    const doc = JSON.parse(stdout) as { aborted: boolean; targets: Outcome[]; files: { results: string[] } };
    expect(doc.aborted).toBe(true);
    expect(doc.targets).toHaveLength(1);
    expect(doc.targets[0]?.result?.speedlayer).toMatchObject({ aborted: true });
    expect(doc.targets[0]?.result?.speedlayer.sent as number).toBeGreaterThan(0);
    expect(doc.files.results).toHaveLength(1);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
  });
});
