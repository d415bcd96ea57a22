// Benchmark (not a test): plan + emit 1,000 generated workloads on every target. Run after `tsc --build`:
//   npm run bench:plan -w @speedlayer/planner [-- --count 1000 --seed 42]
// Targets are loaded the way the CLI loads them (`@speedlayer/<id>/plan`); the planner itself imports no adapter.
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { planWorkload, validateWorkload } from '@speedlayer/planner';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '42' },
    targets: { type: 'string', default: 'aws-msk-eks,aws-kinesis-ecs,azure-eventhubs-aks,gcp-pubsub-gke' },
  },
});
const count = Number(values.count);
let state = Number(values.seed) >>> 0;
function rand() {
  // mulberry32: a small seeded PRNG so runs are comparable
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const logUniform = (lo, hi) => Math.exp(Math.log(lo) + rand() * (Math.log(hi) - Math.log(lo)));

function workload(i) {
  const avg = Math.round(logUniform(100, 200_000));
  return validateWorkload({
    name: `bench-${i}`,
    ingress: {
      recordsPerSecond: Math.round(logUniform(10, 200_000)),
      avgRecordBytes: avg,
      peakFactor: Math.round((1 + rand() * 9) * 10) / 10,
    },
    consumerGroups: 1 + Math.floor(rand() * 5),
    processing: { msPerRecord: Math.round(rand() * 20 * 10) / 10 },
    retentionHours: Math.round(logUniform(1, 2500)),
    ordering: rand() < 0.5 ? 'per-key' : 'none',
    maxRecordBytes: Math.round(avg * (1 + rand() * 7)),
  });
}

const ids = values.targets.split(',');
const targets = [];
for (const id of ids) targets.push((await import(`@speedlayer/${id}/plan`)).plannerTarget);

const workloads = Array.from({ length: count }, (_, i) => workload(i));
const context = { now: new Date('2026-01-01T00:00:00Z'), generator: 'speedlayer-bench' };
// Warm up (JIT, WASM-free path) on a few workloads, then measure.
for (const w of workloads.slice(0, 20)) planWorkload(w, targets, { context });

const feasible = Object.fromEntries(ids.map((id) => [id, 0]));
let files = 0;
let bytes = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (const w of workloads) {
  const r = planWorkload(w, targets, { context });
  for (const x of r.results) {
    if (x.plan.feasible) feasible[x.plan.target]++;
    files += x.files.length;
    for (const f of x.files) bytes += f.content.length;
  }
}
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
console.log(`plan + emit: ${count} workloads x ${ids.length} targets in ${(ms / 1000).toFixed(2)} s`);
console.log(
  `  ${(ms / count).toFixed(2)} ms per workload (all targets), ${((ms / count / ids.length) * 1000).toFixed(0)} us per target plan`,
);
console.log(`  CPU time ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s (wall time includes waiting when the machine is shared)`);
console.log(`  ${files} files, ${(bytes / 1024 / 1024).toFixed(1)} MiB of IaC emitted`);
console.log(`  feasible plans per target: ${ids.map((id) => `${id} ${feasible[id]}`).join(', ')}`);
console.log(`  node ${process.version}, seed ${values.seed}`);
