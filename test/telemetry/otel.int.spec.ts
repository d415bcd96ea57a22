/**
 * OpenTelemetry end to end, against the real OpenTelemetry Collector peer (its OTLP receiver writes what it
 * receives to files): produce and consume on every stream target export PRODUCER and CONSUMER spans per the
 * messaging semantic conventions, tied across the stream (the consume span is the child of the produce span,
 * through the `traceparent` header), and the metrics; the CLI does the same from the standard `OTEL_*` variables.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type StreamClient, utf8 } from '@speedlayer/core';
import { runNode, uniqueName, waitFor } from '@speedlayer/testing';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: string | number; boolValue?: boolean };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: OtlpAttribute[];
}
const SPAN_KIND_PRODUCER = 4;
const SPAN_KIND_CONSUMER = 5;

function attrs(list: OtlpAttribute[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of list ?? []) out[a.key] = String(a.value.stringValue ?? a.value.intValue ?? a.value.boolValue ?? '');
  return out;
}

function readSpans(file: string): OtlpSpan[] {
  if (!existsSync(file)) return [];
  const spans: OtlpSpan[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const doc = JSON.parse(line) as { resourceSpans?: { scopeSpans?: { spans?: OtlpSpan[] }[] }[] };
    for (const rs of doc.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) spans.push(...(ss.spans ?? []));
  }
  return spans;
}

/** Metric data points of `name` whose attributes include `match`. */
function metricPoints(file: string, name: string, match: Record<string, string>): number[] {
  if (!existsSync(file)) return [];
  const out: number[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const doc = JSON.parse(line) as {
      resourceMetrics?: {
        scopeMetrics?: {
          metrics?: {
            name: string;
            sum?: { dataPoints?: { asInt?: string; asDouble?: number; attributes?: OtlpAttribute[] }[] };
            gauge?: { dataPoints?: { asInt?: string; asDouble?: number; attributes?: OtlpAttribute[] }[] };
            histogram?: { dataPoints?: { count?: string; attributes?: OtlpAttribute[] }[] };
          }[];
        }[];
      }[];
    };
    for (const rm of doc.resourceMetrics ?? []) {
      for (const sm of rm.scopeMetrics ?? []) {
        for (const m of sm.metrics ?? []) {
          if (m.name !== name) continue;
          for (const p of [...(m.sum?.dataPoints ?? []), ...(m.gauge?.dataPoints ?? []), ...(m.histogram?.dataPoints ?? [])]) {
            const a = attrs(p.attributes);
            if (Object.entries(match).every(([k, v]) => a[k] === v)) {
              const v =
                'asInt' in p ? Number(p.asInt) : 'asDouble' in p ? Number(p.asDouble) : Number((p as { count?: string }).count);
              out.push(v);
            }
          }
        }
      }
    }
  }
  return out;
}

/** Each CONSUMER span of `topic` with the PRODUCER span it descends from. */
function tiedPairs(spans: OtlpSpan[], topic: string) {
  const producers = new Map(
    spans
      .filter((s) => s.kind === SPAN_KIND_PRODUCER && attrs(s.attributes)['messaging.destination.name'] === topic)
      .map((s) => [s.spanId, s]),
  );
  const consumers = spans.filter(
    (s) => s.kind === SPAN_KIND_CONSUMER && attrs(s.attributes)['messaging.destination.name'] === topic,
  );
  return {
    producers,
    consumers,
    tied: consumers.filter((c) => c.parentSpanId && producers.get(c.parentSpanId)?.traceId === c.traceId),
  };
}

const cliBin = fileURLToPath(new URL('../../packages/cli/bin/speedlayer.js', import.meta.url));

const runCli = (args: string[], env: NodeJS.ProcessEnv, stdin?: string) => runNode(cliBin, args, { env, stdin });

describePeer('otelcol', 'telemetry: spans and metrics on a real OpenTelemetry Collector', (otelcol, all) => {
  let sdk: { shutdown(): Promise<void> } | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'speedlayer-otel-'));

  beforeAll(async () => {
    // moto takes any static credentials (as in the Kinesis adapter's own int tests)
    process.env.AWS_ACCESS_KEY_ID ??= 'test';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = otelcol.otlpHttpEndpoint;
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/json';
    process.env.OTEL_SERVICE_NAME = 'speedlayer-int-test';
    process.env.OTEL_BSP_SCHEDULE_DELAY = '200';
    process.env.OTEL_METRIC_EXPORT_INTERVAL = '1000';
    process.env.OTEL_LOGS_EXPORTER = 'none';
    const { NodeSDK } = await import('@opentelemetry/sdk-node');
    const s = new NodeSDK({});
    s.start();
    sdk = s;
  });

  afterAll(async () => {
    await sdk?.shutdown();
  });

  const targets: Array<{ name: string; uri: () => string | undefined; system: string }> = [
    { name: 'local', uri: () => `local://${join(dir, 'data')}`, system: 'speedlayer_local' },
    { name: 'kafka', uri: () => all.streams.kafka, system: 'kafka' },
    { name: 'kinesis', uri: () => all.streams.kinesis, system: 'aws_kinesis' },
    { name: 'pubsub', uri: () => all.streams.pubsub, system: 'gcp_pubsub' },
    { name: 'eventhubs', uri: () => all.streams.eventhubs, system: 'eventhubs' },
  ];

  for (const t of targets) {
    it(`${t.name}: each consume span is the child of its produce span, with the messaging attributes and metrics`, async () => {
      const uri = t.uri();
      expect(uri, `stream URI of ${t.name} from the peers`).toBeTruthy();
      const client: StreamClient = await connect(uri as string);
      try {
        const topic = uniqueName(`otel-${t.name}`);
        const group = uniqueName('g');
        await client.admin.ensureTopic(topic, { partitions: 1 });
        const got: string[] = [];
        // subscribe first: Pub/Sub's new subscriptions see only later messages
        const sub = await client.subscribe({ topic, group }, (m) => {
          got.push(utf8(m.value));
        });
        const producer = client.producer();
        await Promise.all(['a', 'b', 'c'].map((v) => producer.send(topic, { key: 'k', value: v })));
        await waitFor(() => got.length >= 3, `3 messages consumed on ${t.name}`, 90_000);
        if (t.name !== 'pubsub') {
          // the lag gauge is read from the target while the subscription runs (Pub/Sub has no lag: see the adapter)
          await waitFor(
            () =>
              metricPoints(otelcol.metricsFile, 'messaging.consumer.lag', {
                'messaging.destination.name': topic,
                'messaging.consumer.group.name': group,
                'messaging.destination.partition.id': '0',
              }).length > 0,
            `the consumer lag gauge of ${topic}`,
            30_000,
            250,
          );
        }
        await sub.close();
        await producer.close();
        const pairs = await waitFor(
          () => {
            const p = tiedPairs(readSpans(otelcol.tracesFile), topic);
            return p.tied.length >= 3 ? p : undefined;
          },
          `3 consume spans tied to produce spans of ${topic} in the collector's output`,
          30_000,
          200,
        );
        const producerSpan = [...pairs.producers.values()][0] as OtlpSpan;
        expect(producerSpan.name).toBe(`send ${topic}`);
        expect(attrs(producerSpan.attributes)).toMatchObject({
          'messaging.system': t.system,
          'messaging.destination.name': topic,
          'messaging.operation.type': 'send',
        });
        const consumerSpan = pairs.tied[0] as OtlpSpan;
        expect(consumerSpan.name).toBe(`process ${topic}`);
        expect(attrs(consumerSpan.attributes)).toMatchObject({
          'messaging.system': t.system,
          'messaging.destination.name': topic,
          'messaging.operation.type': 'process',
          'messaging.consumer.group.name': group,
          'messaging.destination.partition.id': expect.any(String),
          'messaging.message.id': expect.any(String),
        });
        await waitFor(
          () =>
            metricPoints(otelcol.metricsFile, 'messaging.client.sent.messages', { 'messaging.destination.name': topic }).some(
              (v) => v >= 3,
            ) &&
            metricPoints(otelcol.metricsFile, 'messaging.client.consumed.messages', {
              'messaging.destination.name': topic,
              'messaging.consumer.group.name': group,
            }).some((v) => v >= 3) &&
            metricPoints(otelcol.metricsFile, 'messaging.process.duration', { 'messaging.destination.name': topic }).length > 0,
          `sent, consumed and process-duration metrics of ${topic}`,
          30_000,
          250,
        );
        await client.admin.deleteTopic(topic).catch(() => {});
      } finally {
        await client.close();
      }
    }, 180_000);
  }

  it('the CLI exports produce and consume spans from the standard OTEL_* variables alone (OTLP/HTTP JSON)', async () => {
    const stream = `local://${join(dir, 'cli-data')}`;
    const topic = uniqueName('otel-cli');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      OTEL_EXPORTER_OTLP_ENDPOINT: otelcol.otlpHttpEndpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'speedlayer-cli-test',
    };
    expect((await runCli(['topic', 'create', topic, '--partitions', '1', '--stream', stream], env)).code).toBe(0);
    const produced = await runCli(
      ['produce', '--topic', topic, '--stream', stream, '--key-separator', ':'],
      env,
      'k:one\nk:two\n',
    );
    expect(produced.code, produced.stderr).toBe(0);
    const consumed = await runCli(['consume', '--topic', topic, '--stream', stream, '--group', 'cli-g', '--count', '2'], env);
    expect(consumed.code, consumed.stderr).toBe(0);
    const pairs = await waitFor(
      () => {
        const p = tiedPairs(readSpans(otelcol.tracesFile), topic);
        return p.tied.length >= 2 ? p : undefined;
      },
      `the CLI's spans of ${topic}`,
      30_000,
      200,
    );
    expect(pairs.producers.size).toBeGreaterThanOrEqual(1);
    expect(attrs(pairs.tied[0]?.attributes)['messaging.consumer.group.name']).toBe('cli-g');
  }, 120_000);
});
