/**
 * `speedlayer worker`: the worker runtime containers and local replicas run.
 *
 * @packageDocumentation
 */

import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeError, runWorker, type Subscription, stderrLogger } from '@speedlayer/core';
import type { Command } from 'commander';
import { action, DEFAULT_STREAM, examples, exitCodeFor, intOption, READY_DIR_ENV, startOption, stopSignal } from '../common.js';
import { healthPort, startHealthServer } from '../health.js';

/** Registers `worker`. */
export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('load a handler module and consume a topic as a member of a consumer group; SIGTERM drains and commits')
    .requiredOption('--topic <topic>', 'topic to consume')
    .requiredOption('--group <group>', 'consumer group')
    .requiredOption('--handler <module>', 'handler module path (default export or "handler" function)')
    .option('--stream <uri>', 'stream URI', DEFAULT_STREAM)
    .option('--from <position>', 'start when the group has no checkpoint: earliest | latest | <ISO time>', startOption)
    .option('--max-attempts <n>', 'handler attempts before dead-lettering', intOption(1, 1000))
    .option('--concurrency <n>', 'messages in flight per partition (serial per key)', intOption(1, 1000))
    .option('--dead-letter-topic <topic>', 'dead-letter topic (default <topic>.dlq)')
    .option('--session-timeout-ms <ms>', 'group session timeout for emulated groups', intOption(100, 600_000))
    .option(
      '--health-port <port>',
      'serve /healthz, /readyz and /metrics (default: 9464 inside Kubernetes, else off)',
      intOption(0, 65535),
    )
    .option('--log-level <level>', 'debug | info | warn | error', 'info')
    .addHelpText(
      'after',
      examples('speedlayer worker --topic orders --group billing --handler ./handler.mjs --stream kafka://127.0.0.1:9092'),
    )
    .action(
      action(async (o: Record<string, unknown>) => {
        const logger = stderrLogger(o.logLevel as 'info');
        const port = healthPort(o.healthPort as number | undefined);
        const health =
          port === undefined
            ? undefined
            : await startHealthServer(port, { topic: o.topic as string, group: o.group as string }, logger);
        if (health) logger.info('health endpoints', { port: health.port });
        const signal = stopSignal();
        // Under `deploy --target local`: tell the deploying process this replica is ready or why it failed.
        const readyDir = process.env[READY_DIR_ENV];
        const report = (state: 'ready' | 'failed', body: Record<string, unknown>) => {
          if (!readyDir) return;
          const file = join(readyDir, `${process.env.SPEEDLAYER_WORKER_ID ?? process.pid}.${state}`);
          writeFileSync(`${file}.tmp`, JSON.stringify(body));
          renameSync(`${file}.tmp`, file);
        };
        signal.addEventListener('abort', () => void health?.close(), { once: true });
        const stats = await runWorker({
          stream: o.stream as string,
          topic: o.topic as string,
          group: o.group as string,
          handler: o.handler as string,
          ...(o.from !== undefined ? { startFrom: o.from as 'earliest' } : {}),
          ...(o.maxAttempts !== undefined ? { maxAttempts: o.maxAttempts as number } : {}),
          ...(o.concurrency !== undefined ? { concurrency: o.concurrency as number } : {}),
          ...(o.deadLetterTopic !== undefined ? { deadLetterTopic: o.deadLetterTopic as string } : {}),
          ...(o.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: o.sessionTimeoutMs as number } : {}),
          ...(process.env.SPEEDLAYER_WORKER_ID ? { workerId: process.env.SPEEDLAYER_WORKER_ID } : {}),
          logger,
          // a consumer that keeps failing (topic deleted, credentials revoked) turns /readyz to 503 after the bound
          onReadiness: (ready: boolean, reason?: string) => health?.readiness(ready, reason),
          onSubscribed: (sub: Subscription) => {
            health?.ready(sub);
            report('ready', {});
          },
          signal,
        })
          .catch((e: unknown) => {
            report('failed', { message: describeError(e), exitCode: exitCodeFor(e) });
            throw e;
          })
          .finally(() => health?.close());
        logger.info('worker stopped', { ...stats });
      }),
    );
}
