/**
 * The OpenTelemetry Collector (core v0.161.0 with the contrib file exporter v0.161.0, one release for every
 * module) built from Go modules by the project's wrapper (`packages/testing/peers-go/otelcol`): a real OTLP
 * receiver on loopback (HTTP on the `http` port — protobuf and JSON —, gRPC on the `grpc` port) that writes every
 * trace and metric batch it receives as OTLP JSON lines to one file per signal, which tests read.
 *
 * @packageDocumentation
 */

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type PeerRecord, spawnDetached, tools, withTimeout } from './common.js';
import { wrapperModuleUnit } from './gobuild.js';
import type { PeerDefinition, StartContext } from './peer.js';
import type { OtelcolStatus } from './types.js';

/** Pinned collector release (see peers-go/otelcol/go.mod). */
export const OTELCOL_VERSION = 'v0.161.0';

const unit = wrapperModuleUnit(`otelcol-${OTELCOL_VERSION}`, 'otelcol', ['.']);

async function start(ctx: StartContext): Promise<{ status: OtelcolStatus }> {
  const [dir] = ctx.installDirs as [string];
  const http = ctx.ports.http as number;
  const grpc = ctx.ports.grpc as number;
  const tracesFile = join(ctx.runDir, 'traces.jsonl');
  const metricsFile = join(ctx.runDir, 'metrics.jsonl');
  const config = join(ctx.runDir, 'config.yaml');
  await writeFile(
    config,
    [
      'receivers:',
      '  otlp:',
      '    protocols:',
      '      http:',
      `        endpoint: 127.0.0.1:${http}`,
      '      grpc:',
      `        endpoint: 127.0.0.1:${grpc}`,
      'exporters:',
      '  file/traces:',
      `    path: ${tracesFile}`,
      '    flush_interval: 100ms',
      '  file/metrics:',
      `    path: ${metricsFile}`,
      '    flush_interval: 100ms',
      'service:',
      '  telemetry:',
      '    metrics:',
      '      level: none',
      '  pipelines:',
      '    traces:',
      '      receivers: [otlp]',
      '      exporters: [file/traces]',
      '    metrics:',
      '      receivers: [otlp]',
      '      exporters: [file/metrics]',
      '',
    ].join('\n'),
  );
  ctx.track(
    await spawnDetached('otelcol', join(dir, 'bin', 'otelcol'), ['--config', config], {
      cwd: ctx.runDir,
      log: join(ctx.runDir, 'otelcol.log'),
    }),
  );
  return {
    status: {
      version: OTELCOL_VERSION,
      otlpHttpEndpoint: `http://127.0.0.1:${http}`,
      otlpGrpcEndpoint: `http://127.0.0.1:${grpc}`,
      tracesFile,
      metricsFile,
    },
  };
}

/** Posts an empty OTLP/JSON trace export: the receiver answers 200 once its pipeline runs. */
async function probe(record: PeerRecord): Promise<void> {
  const status = record.status as OtelcolStatus;
  const res = await withTimeout(
    fetch(`${status.otlpHttpEndpoint}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"resourceSpans":[]}',
    }),
    5000,
    'otelcol',
  );
  if (res.status !== 200) throw new Error(`otelcol: OTLP/HTTP answered ${res.status}`);
}

/** The OpenTelemetry Collector peer. */
export const otelcolPeer: PeerDefinition = {
  name: 'otelcol',
  version: OTELCOL_VERSION,
  requirements: [tools.go],
  units: [unit],
  ports: [
    { role: 'http', preferred: 4318, env: 'SPEEDLAYER_OTELCOL_HTTP_PORT' },
    { role: 'grpc', preferred: 4317, env: 'SPEEDLAYER_OTELCOL_GRPC_PORT' },
  ],
  data: { kept: true, note: 'what it received is kept in traces.jsonl and metrics.jsonl under its run directory (appended)' },
  startTimeoutMs: 30_000,
  start,
  probe,
};
