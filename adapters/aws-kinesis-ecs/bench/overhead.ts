/**
 * Benchmark (not a test): produce throughput through speedlayer's Kinesis producer against a raw loop of
 * `PutRecords` calls with the same batch size, interleaved round by round in one run against the same
 * endpoint, so that both see the same server, machine and moment. Prints records/s of each and the ratio.
 *
 * Run: `npm run bench:overhead -w @speedlayer/aws-kinesis-ecs` with the moto peer up (or set
 * `KINESIS_BENCH_URI=kinesis://us-east-1?endpoint=...`). Options (env): `KINESIS_BENCH_ROUNDS` (default 4),
 * `KINESIS_BENCH_RECORDS` per round and side (default 1000), `KINESIS_BENCH_BATCH` (default 500),
 * `KINESIS_BENCH_SHARDS` (default 8), `KINESIS_BENCH_VALUE_BYTES` (default 100). moto's PutRecords slows down
 * quadratically with the records already in a shard (it copies the shard's key list per record), so each round
 * writes to a fresh stream and the defaults stay small; on AWS raise them.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createKinesisStreamClient } from '@speedlayer/aws-kinesis-ecs';
import { parseUri } from '@speedlayer/core';

process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';

function envInt(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
}

function motoUri(): string {
  if (process.env.KINESIS_BENCH_URI) return process.env.KINESIS_BENCH_URI;
  let root = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(root, 'packages/cli/bin/speedlayer.js')) && dirname(root) !== root) root = dirname(root);
  const out = execFileSync(process.execPath, [join(root, 'packages/cli/bin/speedlayer.js'), 'peers', 'status', '--json'], {
    encoding: 'utf8',
  });
  const uri = (JSON.parse(out) as { streams?: Record<string, string> }).streams?.kinesis;
  if (!uri) throw new Error('moto is not up: run `speedlayer peers up moto` or set KINESIS_BENCH_URI');
  return uri;
}

const rounds = envInt('KINESIS_BENCH_ROUNDS', 4);
const perRound = envInt('KINESIS_BENCH_RECORDS', 1000);
const batch = Math.min(500, envInt('KINESIS_BENCH_BATCH', 500));
const shards = envInt('KINESIS_BENCH_SHARDS', 8);
const valueBytes = envInt('KINESIS_BENCH_VALUE_BYTES', 100);

const uri = parseUri(motoUri());
const client = await createKinesisStreamClient(uri, {});
const rawClient = new KinesisClient({
  region: client.region,
  requestHandler: new NodeHttpHandler(),
  ...(client.config.endpoint ? { endpoint: client.config.endpoint } : {}),
});
const base = `bench-overhead-${Date.now().toString(36)}`;
let topic = `${base}-warmup`;
const topics: string[] = [];
async function freshStream(name: string): Promise<void> {
  topic = `${base}-${name}`;
  topics.push(topic);
  await client.admin.ensureTopic(topic, { partitions: shards });
}
await freshStream('warmup');
const value = randomBytes(valueBytes);
// distinct keys within a batch, as a real workload of many entities has
const keyOf = (i: number) => `entity-${i % 10_000}`;

async function viaSpeedlayer(): Promise<number> {
  const producer = client.producer();
  const t0 = performance.now();
  for (let i = 0; i < perRound; i += batch) {
    const records = [];
    for (let j = i; j < Math.min(perRound, i + batch); j++) records.push({ key: keyOf(j), value });
    await producer.send(topic, records);
  }
  await producer.close();
  return performance.now() - t0;
}

async function viaRawPutRecords(): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < perRound; i += batch) {
    const Records = [];
    for (let j = i; j < Math.min(perRound, i + batch); j++) Records.push({ PartitionKey: keyOf(j), Data: value });
    const res = await rawClient.send(new PutRecordsCommand({ StreamName: topic, Records }));
    if ((res.FailedRecordCount ?? 0) > 0) throw new Error('raw loop: partial failure (not retried by the raw loop)');
  }
  return performance.now() - t0;
}

const times = { speedlayer: 0, raw: 0 };
await viaRawPutRecords(); // warm-up, both paths share the connection pool of the peer
await viaSpeedlayer();
for (let r = 0; r < rounds; r++) {
  await freshStream(`r${r}`);
  // alternate which side goes first so that neither always sees a warmer server
  if (r % 2 === 0) {
    times.speedlayer += await viaSpeedlayer();
    times.raw += await viaRawPutRecords();
  } else {
    times.raw += await viaRawPutRecords();
    times.speedlayer += await viaSpeedlayer();
  }
}
const total = rounds * perRound;
const rate = (ms: number) => Math.round((total / ms) * 1000);
const result = {
  endpoint: client.config.endpoint ?? '(AWS SDK default)',
  rounds,
  recordsPerRoundAndSide: perRound,
  batch,
  shards,
  valueBytes,
  speedlayerRecordsPerSecond: rate(times.speedlayer),
  rawPutRecordsRecordsPerSecond: rate(times.raw),
  ratio: Number((times.raw / times.speedlayer).toFixed(3)),
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(
  `speedlayer ${result.speedlayerRecordsPerSecond} rec/s vs raw PutRecords ${result.rawPutRecordsRecordsPerSecond} rec/s: ratio ${result.ratio} (1.0 = no overhead)\n`,
);
for (const t of topics) await client.admin.deleteTopic(t);
await client.close();
rawClient.destroy();
