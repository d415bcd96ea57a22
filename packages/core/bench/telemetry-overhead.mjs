/**
 * Overhead of OpenTelemetry tracing on the batched send path: the same client sends hand-made batches of 500
 * (1 KB records) on memory://, with telemetry off (`connect(uri, { telemetry: false })`) and on (the Node SDK
 * registered, spans batched to an OTLP/HTTP endpoint), interleaved round by round; prints the ratio on / off.
 *
 *   OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 node packages/core/bench/telemetry-overhead.mjs
 * (without an endpoint the spans go to an OTLP exporter that is never reached; they are still created and batched)
 */
import { connect } from '@speedlayer/core';

process.env.OTEL_EXPORTER_OTLP_ENDPOINT ??= 'http://127.0.0.1:9';
process.env.OTEL_EXPORTER_OTLP_PROTOCOL ??= 'http/json';
process.env.OTEL_METRICS_EXPORTER ??= 'none';
process.env.OTEL_LOGS_EXPORTER ??= 'none';
const { NodeSDK } = await import('@opentelemetry/sdk-node');

const records = 200_000;
const batch = 500;
const rounds = 5;
const value = new Uint8Array(1024);
const list = Array.from({ length: batch }, (_, i) => ({ key: `k${i % 100}`, value }));

async function run(client) {
  await client.admin.ensureTopic('t', { partitions: 4 });
  const p = client.producer();
  const t0 = performance.now();
  for (let i = 0; i < records; i += batch) await p.send('t', list);
  const rate = (records * 1000) / (performance.now() - t0);
  await p.close();
  return rate;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const off = [];
const on = [];
const sdk = new NodeSDK({});
for (let r = 0; r < rounds; r++) {
  const a = await connect(`memory://tel-off-${r}`, { telemetry: false });
  off.push(await run(a));
  await a.close();
  if (r === 0) sdk.start();
  const b = await connect(`memory://tel-on-${r}`);
  on.push(await run(b));
  await b.close();
}
await sdk.shutdown().catch(() => {});
console.log(`batched sends of ${batch} x 1 KB on memory://, ${rounds} rounds of ${records} records`);
console.log(`telemetry off: median ${Math.round(median(off))} msg/s  (${off.map(Math.round).join(', ')})`);
console.log(`telemetry on:  median ${Math.round(median(on))} msg/s  (${on.map(Math.round).join(', ')})`);
console.log(`ratio on/off: ${(median(on) / median(off)).toFixed(3)}`);
