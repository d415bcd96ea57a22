/**
 * `speedlayer peers up [names...] | down [names...] | status [--json]`: the real local test peers (Apache Kafka,
 * moto, pstest, Azurite, kube-apiserver + etcd, the Event Hubs AMQP stand-in, and the IaC validators), installed on first use into a cache
 * outside the repository and started on loopback ports. Progress goes to stderr; `status --json` prints exactly
 * one JSON object to stdout.
 *
 * @packageDocumentation
 */

import {
  PEER_NAMES,
  type PeerName,
  type PeerReportRow,
  type PeersStatus,
  parsePeerNames,
  peersDown,
  peersReport,
  peersStatus,
  peersUp,
} from '@speedlayer/testing/peers';
import type { Command } from 'commander';
import { action, examples, intOption } from '../common.js';

const progress = (line: string) => process.stderr.write(`peers: ${line}\n`);

function endpointsOf(name: PeerName, status: PeersStatus): string {
  switch (name) {
    case 'kafka':
      return status.kafka
        ? `bootstrap ${status.kafka.bootstrap}, SASL_SSL ${status.kafka.saslSsl}, OAUTHBEARER ${status.kafka.oauthbearer}`
        : '';
    case 'kafkaAuth':
      return status.kafkaAuth ? `SASL_SSL/SCRAM-SHA-512 ${status.kafkaAuth.bootstrap} (ACLs enforced)` : '';
    case 'moto':
      return status.moto ? `endpoint ${status.moto.endpoint}` : '';
    case 'pubsub':
      return status.pubsub ? `PUBSUB_EMULATOR_HOST=${status.pubsub.emulatorHost}` : '';
    case 'azurite':
      return status.azurite ? `blob ${status.azurite.blobEndpoint}` : '';
    case 'eventhubs-standin': {
      const e = status['eventhubs-standin'];
      return e
        ? `stand-in AMQP ${e.endpoint}, management ${e.managementEndpoint}, connection string ${e.connectionStringFile}`
        : '';
    }
    case 'kubernetes':
      return status.kubernetes ? `server ${status.kubernetes.server}, kubeconfig ${status.kubernetes.kubeconfig}` : '';
    case 'validators':
      return status.validators ? `cfn-lint, checkov, tofu installed` : '';
    case 'otelcol':
      return status.otelcol
        ? `OTEL_EXPORTER_OTLP_ENDPOINT=${status.otelcol.otlpHttpEndpoint}, received ${status.otelcol.tracesFile}`
        : '';
  }
}

/**
 * Where a peer keeps its data and whether it survives `peers down` / `peers up`: run-directory paths in the
 * peer's note are shown under the cache, so they can be inspected or removed.
 */
export function dataLine(cache: string, data: PeerReportRow['data']): string {
  const note = data.note.replace(/(^|[\s(])run\//g, `$1${cache.replace(/\/+$/, '')}/run/`);
  return `data ${data.kept ? 'kept across down/up' : 'LOST on down/up'}: ${note}`;
}

/** The `peers status` table: one line per peer, its data line under it, then the stream URIs. */
export function formatPeersTable(cache: string, rows: PeerReportRow[], status: PeersStatus): string {
  const out: string[] = [`cache ${cache}`];
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) {
    const detail =
      r.state === 'up'
        ? endpointsOf(r.name, status)
        : r.state === 'down'
          ? `recorded but not running; see ${r.logs.join(', ') || 'its logs'}; \`speedlayer peers up ${r.name}\` restarts it`
          : r.installed
            ? 'installed, not started'
            : 'not installed (installed on first `peers up`)';
    out.push(`${r.name.padEnd(width)}  ${r.state.padEnd(7)}  ${r.version}  ${detail}`);
    out.push(`${' '.repeat(width)}  ${dataLine(cache, r.data)}`);
  }
  const streams = Object.entries(status.streams);
  if (streams.length > 0) {
    out.push('streams');
    for (const [scheme, uri] of streams) out.push(`  ${scheme.padEnd(16)} ${uri}`);
  }
  return `${out.join('\n')}\n`;
}

function printTable(cache: string, rows: PeerReportRow[], status: PeersStatus): void {
  process.stdout.write(formatPeersTable(cache, rows, status));
}

/** Registers `peers up`, `peers down` and `peers status`. */
export function registerPeers(program: Command): void {
  const peers = program
    .command('peers')
    .description(`install, start, stop and inspect the local test peers (${PEER_NAMES.join(', ')})`)
    .addHelpText('after', examples('speedlayer peers up kafka pubsub', 'speedlayer peers status --json'));

  peers
    .command('up [names...]')
    .description('install on first use, start and wait for peers (default: all); running peers are reused')
    .option('--timeout <seconds>', 'seconds each peer may take to answer after start', intOption(1, 3600))
    .addHelpText('after', examples('speedlayer peers up kafka moto'))
    .action(
      action(async (names: string[], o: { timeout?: number }) => {
        const wanted = parsePeerNames(names);
        const result = await peersUp(wanted, {
          log: progress,
          ...(o.timeout === undefined ? {} : { startTimeoutSeconds: o.timeout }),
        });
        for (const name of wanted) {
          const t = result.timings[name];
          const how = result.reused.includes(name)
            ? 'reused'
            : `${t?.installMs !== undefined ? `installed in ${(t.installMs / 1000).toFixed(1)}s, ` : ''}started in ${((t?.startMs ?? 0) / 1000).toFixed(1)}s`;
          progress(`${name}: up (${how})`);
        }
        const report = await peersReport();
        printTable(
          report.cache,
          report.rows.filter((r) => wanted.includes(r.name)),
          result.status,
        );
      }),
    );

  peers
    .command('down [names...]')
    .description('stop peers (default: all) and verify that no process is left')
    .addHelpText('after', examples('speedlayer peers down kafka'))
    .action(
      action(async (names: string[]) => {
        const stopped = await peersDown(names, { log: progress });
        progress(stopped.length ? `stopped ${stopped.join(', ')}` : 'no peer was running');
      }),
    );

  peers
    .command('status')
    .description('show which peers are up, their endpoints, and where each keeps its data (kept or lost on down/up)')
    .option('--json', 'print one JSON object: the peers that are up and a stream URI per installed adapter')
    .addHelpText('after', examples('speedlayer peers status --json'))
    .action(
      action(async (o: { json?: boolean }) => {
        const status = await peersStatus();
        if (o.json) {
          process.stdout.write(`${JSON.stringify(status)}\n`);
          return;
        }
        const report = await peersReport();
        printTable(report.cache, report.rows, status);
      }),
    );
}
