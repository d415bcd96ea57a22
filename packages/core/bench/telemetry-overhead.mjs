/**
 * Overhead of OpenTelemetry tracing on the batched send path: the same client sends hand-made batches of 500
 * (1 KB records) on memory://, with telemetry off (`connect(uri, { telemetry: false })`) and on (the Node SDK
 * registered, spans batched to an OTLP/HTTP endpoint), interleaved round by round; prints the ratio on / off.
 *
 *   OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 node packages/core/bench/telemetry-overhead.mjs [<stream-uri>]
 * (default memory://; give e.g. kafka://127.0.0.1:9092 to measure on a broker, fewer records with --records N)
 * (without an endpoint the spans go to an OTLP exporter that is never reached; they are still created and batched)
 */
import { connect } from '@speedlayer/core';

process.env.OTEL_EXPORTER_OTLP_ENDPOINT ??= 'http://127.0.0.1:9';
process.env.OTEL_EXPORTER_OTLP_PROTOCOL ??= 'http/json';
process.env.OTEL_METRICS_EXPORTER ??= 'none';
process.env.OTEL_LOGS_EXPORTER ??= 'none';
const { NodeSDK } = await import('@opentelemetry/sdk-node');

const args = process.argv.slice(2);
const at = args.indexOf('--records');
const records = at >= 0 ? Number(args[at + 1]) : 200_000;
const uri = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--records');
const stamp = Date.now().toString(36);
const batch = 500;
const rounds = 5;
const value = new Uint8Array(1024);
const list = Array.from({ length: batch }, (_, i) => ({ key: `k${i % 100}`, value }));

async function run(client, topic) {
  await client.admin.ensureTopic(topic, { partitions: 4 });
  const p = client.producer();
  const t0 = performance.now();
  for (let i = 0; i < records; i += batch) await p.send(topic, list);
  const rate = (records * 1000) / (performance.now() - t0);
  await p.close();
  return rate;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const off = [];
const on = [];
const sdk = new NodeSDK({});
for (let r = 0; r < rounds; r++) {
  const a = await connect(uri ?? `memory://tel-off-${r}`, { telemetry: false });
  off.push(await run(a, `tel-${stamp}-off-${r}`));
  await a.admin.deleteTopic(`tel-${stamp}-off-${r}`).catch(() => {});
  await a.close();
  if (r === 0) sdk.start();
  const b = await connect(uri ?? `memory://tel-on-${r}`);
  on.push(await run(b, `tel-${stamp}-on-${r}`));
  await b.admin.deleteTopic(`tel-${stamp}-on-${r}`).catch(() => {});
  await b.close();
}
await sdk.shutdown().catch(() => {});
console.log(
  `batched sends of ${batch} x 1 KB on ${(uri ?? 'memory://').replace(/\?.*/, '')}, ${rounds} rounds of ${records} records`,
);
console.log(`telemetry off: median ${Math.round(median(off))} msg/s  (${off.map(Math.round).join(', ')})`);
console.log(`telemetry on:  median ${Math.round(median(on))} msg/s  (${on.map(Math.round).join(', ')})`);
console.log(`ratio on/off: ${(median(on) / median(off)).toFixed(3)}`);
