/**
 * `--rates` on the embedded memory target through the library, speedlayer and the raw LMDB baseline, then the HTML
 * report's latency-against-throughput charts in headless Chromium.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BenchReport, parseOmbWorkload, runBench, sweepTable, toHtml } from '../src/index.js';

const CHROMIUM = process.env.SPEEDLAYER_CHROMIUM ?? '/usr/bin/chromium';
const dir = mkdtempSync(join(tmpdir(), 'speedlayer-sweep-'));

const workload = parseOmbWorkload(`
name: sweep test
topics: 1
partitionsPerTopic: 2
keyDistributor: KEY_ROUND_ROBIN
messageSize: 100
subscriptionsPerTopic: 1
consumerPerSubscription: 1
producersPerTopic: 1
producerRate: 1
testDurationMinutes: 1
`);

describe('bench sweep: memory target, speedlayer and raw LMDB', () => {
  let report: BenchReport;
  let html: string;

  beforeAll(async () => {
    report = await runBench(
      { workload, payloads: [new Uint8Array(100).fill(1)], path: 'sweep-test.yaml' },
      {
        streams: [`local://${join(dir, 'data')}`],
        durations: { warmupMs: 300, testMs: 1500 },
        sampleIntervalMs: 300,
        overhead: true,
        sweep: { rates: [100, 300, 600], continueAfterRunaway: true },
      },
    );
    html = join(dir, 'report.html');
    writeFileSync(html, toHtml(report));
  }, 120_000);

  it('runs every rate on both clients, each step with its achieved rate and p50 <= p99', () => {
    const [t] = report.targets;
    expect(t?.error).toBeUndefined();
    const sweep = t?.sweep;
    expect(sweep?.speedlayer.client).toBe('speedlayer');
    expect(sweep?.raw?.client).toBe('raw-lmdb');
    for (const r of [sweep!.speedlayer, sweep!.raw!]) {
      expect(r.steps.map((s) => s.targetRate)).toEqual([100, 300, 600]);
      for (const s of r.steps) {
        expect(s.errors).toBe(0);
        expect(s.publishRate).toBeGreaterThan(s.targetRate * 0.5);
        expect(s.endToEndP50Ms).toBeLessThanOrEqual(s.endToEndP99Ms);
        expect(s.publishP50Ms).toBeLessThanOrEqual(s.publishP99Ms);
      }
    }
    // the regular result is the best sustained step's, so the report table still has numbers
    expect(t?.result?.speedlayer.avgPublishRate).toBeGreaterThan(0);
    expect(sweepTable(report)).toContain('| local | raw-lmdb | 600 |');
  });

  describe('the latency-against-throughput charts in headless Chromium', () => {
    const hasChromium = existsSync(CHROMIUM);
    if (!hasChromium && process.env.CI === 'true') {
      it('needs Chromium', () => {
        throw new Error(`Chromium is not installed at ${CHROMIUM}: install it with "apt-get install -y chromium"`);
      });
      return;
    }
    const maybe = hasChromium ? it : it.skip;
    let browser: import('playwright-core').Browser | undefined;
    afterAll(async () => {
      await browser?.close();
    });

    maybe('draws the three sweep charts with a curve of three points per client', async () => {
      const { chromium } = await import('playwright-core');
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-sync'],
      });
      const page = await browser.newPage({ viewport: { width: 1400, height: 1400 } });
      await page.goto(pathToFileURL(html).href);
      const charts = await page.$$eval('svg.chart[data-chart^="sweep-"]', (els) =>
        els.map((el) => ({
          id: el.getAttribute('data-chart'),
          width: el.getBoundingClientRect().width,
          series: Array.from(el.querySelectorAll('g.series')).map((g) => ({
            name: g.getAttribute('data-series'),
            points: g.querySelectorAll('circle.point').length,
            path: g.querySelector('path') !== null,
          })),
        })),
      );
      expect(charts.map((c) => c.id)).toEqual(['sweep-end-to-end-p99', 'sweep-end-to-end-p50', 'sweep-publish-p99']);
      for (const c of charts) {
        expect(c.width).toBeGreaterThan(100);
        expect(c.series).toEqual([
          { name: 'local speedlayer', points: 3, path: true },
          { name: 'local raw-lmdb', points: 3, path: true },
        ]);
      }
      const chart = await page.$('svg.chart[data-chart="sweep-end-to-end-p99"]');
      const shot = join(dir, 'sweep.png');
      writeFileSync(shot, (await chart?.screenshot()) ?? Buffer.alloc(0));
      expect(readFileSync(shot).byteLength).toBeGreaterThan(5_000);
      process.stderr.write(`sweep chart screenshot: ${shot}\n`);
    });
  });
});
