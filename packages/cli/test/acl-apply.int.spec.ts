/**
 * `speedlayer acl apply` (the built CLI, as a real process) on the `kafkaAuth` peer — SASL_SSL/SCRAM-SHA-512,
 * StandardAuthorizer, no ACL = no access — checked with clients we did not write: Kafka's own console producer and
 * consumer (Java), each as its SCRAM user with a SASL_SSL client properties file and the peer's CA as truststore.
 * Producers can write, consumers can read in their group (and only there), anyone else is denied; a second apply
 * changes nothing; `--prune` after a consumer is removed from the workload takes its access away.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type StreamClient } from '@speedlayer/core';
import { uniqueName } from '@speedlayer/testing';
import { ensureKafkaAuthUser, writeKafkaAuthClientProperties } from '@speedlayer/testing/peers';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/speedlayer.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'speedlayer-acl-'));
const PASSWORD_VAR = 'SL_ACL_TEST_ADMIN_PASSWORD';

interface Acl {
  resourceType: string;
  resourceName: string;
  principal: string;
  operation: string;
  permission: string;
  patternType: string;
  host: string;
}
interface Changes {
  created: Acl[];
  deleted: Acl[];
  unchanged: Acl[];
}

/** Kafka's log4j at ERROR on stderr, so the console tools say why they stopped. */
const log4j = join(dir, 'tools-log4j.properties');
writeFileSync(
  log4j,
  [
    'log4j.rootLogger=ERROR, stderr',
    'log4j.appender.stderr=org.apache.log4j.ConsoleAppender',
    'log4j.appender.stderr.Target=System.err',
    'log4j.appender.stderr.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.stderr.layout.ConversionPattern=%p %m (%c)%n',
    '',
  ].join('\n'),
);

/** Runs `tasks` two at a time (each is a JVM: more at once only slows a shared machine down), in order. */
async function twoAtATime<T extends readonly (() => Promise<unknown>)[]>(
  tasks: readonly [...T],
): Promise<{ -readonly [K in keyof T]: Awaited<ReturnType<T[K]>> }> {
  const out: unknown[] = [];
  for (let i = 0; i < tasks.length; i += 2) out.push(...(await Promise.all(tasks.slice(i, i + 2).map((t) => t()))));
  return out as { -readonly [K in keyof T]: Awaited<ReturnType<T[K]>> };
}

/** Runs one of Kafka's Java tools; resolves with its exit code and output. */
function kafkaTool(
  classpath: string,
  mainClass: string,
  args: string[],
  input = '',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // Short-lived JVMs: the C1 compiler and the serial GC start fastest on a busy machine.
    const jvm = ['-Xmx256m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', `-Dlog4j.configuration=file:${log4j}`];
    const child = spawn('java', [...jvm, '-cp', classpath, mainClass, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

describePeer('kafkaAuth', 'speedlayer acl apply on a SASL_SSL Kafka with an authorizer', (peer) => {
  const stream =
    `kafka://${peer.bootstrap}?tls=true&caFile=${encodeURIComponent(peer.caFile)}` +
    `&sasl=scram-sha-512&username=${peer.adminUser}&password=env:${PASSWORD_VAR}`;
  const adminPassword = readFileSync(peer.adminPasswordFile, 'utf8').trim();
  const topic = uniqueName('acl');
  const workloadFile = join(dir, 'workload.yaml');
  // SCRAM users (created with Kafka's kafka-configs); principals in a workload are 1-32 lower-case characters.
  const suffix = topic.slice(-6);
  const names = {
    producer: `orders-${suffix}`,
    billing: `billing-${suffix}`,
    analytics: `analytics-${suffix}`,
    outsider: `mallory-${suffix}`,
  };
  const props: Record<keyof typeof names, string> = { producer: '', billing: '', analytics: '', outsider: '' };
  let admin: StreamClient;

  function writeWorkload(consumers: (keyof typeof names)[]): void {
    writeFileSync(
      workloadFile,
      [
        `name: ${topic}`,
        'ingress: { recordsPerSecond: 100, avgRecordBytes: 100 }',
        'processing: { msPerRecord: 1 }',
        'retentionHours: 24',
        'access:',
        '  producers:',
        `    - principal: ${names.producer}`,
        '  consumers:',
        ...consumers.flatMap((c) => [`    - principal: ${names[c]}`, `      group: ${names[c]}-g`]),
        '',
      ].join('\n'),
    );
  }

  function aclApply(...extra: string[]): { code: number | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [bin, 'acl', 'apply', workloadFile, '--stream', stream, ...extra], {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, [PASSWORD_VAR]: adminPassword },
    });
    expect(`${r.stdout}${r.stderr}`).not.toContain(adminPassword);
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  function applyJson(...extra: string[]): Changes {
    const r = aclApply('--json', ...extra);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Changes;
  }

  const produce = (who: keyof typeof names, lines: string[]) =>
    kafkaTool(
      peer.toolsClasspath,
      'kafka.tools.ConsoleProducer',
      ['--bootstrap-server', peer.bootstrap, '--producer.config', props[who], '--topic', topic, '--sync'],
      `${lines.join('\n')}\n`,
    );
  const consume = (who: keyof typeof names, group: string, max: number) =>
    kafkaTool(peer.toolsClasspath, 'org.apache.kafka.tools.consumer.ConsoleConsumer', [
      '--bootstrap-server',
      peer.bootstrap,
      '--consumer.config',
      props[who],
      '--topic',
      topic,
      '--group',
      group,
      '--from-beginning',
      '--max-messages',
      String(max),
      // Exits at --max-messages; waits this long for them (a denied consumer stops at once with the exception).
      '--timeout-ms',
      '60000',
      '--consumer-property',
      'default.api.timeout.ms=180000',
    ]);
  const lines = (out: string) => out.split('\n').filter((l) => l.startsWith('line-'));

  beforeAll(async () => {
    process.env[PASSWORD_VAR] = adminPassword;
    admin = await connect(stream);
    await admin.admin.ensureTopic(topic, { partitions: 1 });
    await Promise.all(
      (Object.keys(names) as (keyof typeof names)[]).map(async (k) => {
        const user = await ensureKafkaAuthUser(peer, names[k]);
        props[k] = await writeKafkaAuthClientProperties(peer, user.username, user.passwordFile, join(dir, `${k}.properties`));
      }),
    );
  });
  afterAll(async () => {
    await admin?.admin.deleteTopic(topic).catch(() => {});
    await admin?.close();
    delete process.env[PASSWORD_VAR];
  });

  it('before any apply, nobody but the admin may write (the authorizer denies by default)', async () => {
    const r = await produce('producer', ['line-denied']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/TopicAuthorizationException/);
  });

  it('apply creates least-privilege ACLs; producers write, consumers read in their group, everyone else is denied', async () => {
    writeWorkload(['billing', 'analytics']);
    const first = applyJson();
    expect(first.deleted).toEqual([]);
    expect(first.unchanged).toEqual([]);
    const summary = first.created.map((a) => `${a.principal} ${a.operation} ${a.resourceType}:${a.resourceName}`).sort();
    expect(summary).toEqual(
      [
        `User:${names.producer} WRITE topic:${topic}`,
        `User:${names.producer} DESCRIBE topic:${topic}`,
        ...(['billing', 'analytics'] as const).flatMap((c) => [
          `User:${names[c]} READ topic:${topic}`,
          `User:${names[c]} DESCRIBE topic:${topic}`,
          `User:${names[c]} READ group:${names[c]}-g`,
          `User:${names[c]} WRITE topic:${topic}.dlq`,
          `User:${names[c]} DESCRIBE topic:${topic}.dlq`,
        ]),
      ].sort(),
    );
    expect(first.created.every((a) => a.permission === 'ALLOW' && a.patternType === 'LITERAL' && a.host === '*')).toBe(true);

    const wrote = await produce('producer', ['line-1', 'line-2', 'line-3']);
    expect(wrote.code, wrote.stderr).toBe(0);

    const [billing, analytics, outsiderRead, outsiderWrite, consumerWrite, producerRead, wrongGroup] = await twoAtATime([
      () => consume('billing', `${names.billing}-g`, 3),
      () => consume('analytics', `${names.analytics}-g`, 3),
      () => consume('outsider', `${names.outsider}-g`, 1),
      () => produce('outsider', ['line-outsider']),
      () => produce('billing', ['line-from-a-consumer']),
      () => consume('producer', `${names.producer}-g`, 1),
      () => consume('billing', `${names.analytics}-g`, 1),
    ]);
    expect(lines(billing.stdout), billing.stderr).toEqual(['line-1', 'line-2', 'line-3']);
    expect(lines(analytics.stdout), analytics.stderr).toEqual(['line-1', 'line-2', 'line-3']);
    // The outsider has no ACL at all: refused the group (checked first) or the topic, and reads nothing.
    expect(outsiderRead.stderr).toMatch(/(Group|Topic)AuthorizationException/);
    expect(lines(outsiderRead.stdout)).toEqual([]);
    expect(outsiderWrite.code).not.toBe(0);
    expect(outsiderWrite.stderr).toMatch(/TopicAuthorizationException/);
    // Least privilege: a consumer may not write, a producer may not read, a consumer may not use another's group.
    expect(consumerWrite.code).not.toBe(0);
    expect(consumerWrite.stderr).toMatch(/TopicAuthorizationException/);
    expect(producerRead.stderr).toMatch(/(Group|Topic)AuthorizationException/);
    expect(lines(producerRead.stdout)).toEqual([]);
    expect(wrongGroup.stderr).toMatch(/GroupAuthorizationException/);
    expect(lines(wrongGroup.stdout)).toEqual([]);
  });

  it('a second apply is a no-op: everything unchanged, nothing created or deleted (also with --prune)', () => {
    const again = applyJson();
    expect(again.created).toEqual([]);
    expect(again.deleted).toEqual([]);
    expect(again.unchanged).toHaveLength(12);
    const pruned = applyJson('--prune');
    expect(pruned).toEqual(again);
    const text = aclApply();
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n')[0]).toBe(`acl apply on topic ${topic}: 0 created, 0 deleted, 12 unchanged`);
  });

  it('--prune after removing a consumer from the workload takes its access away; the others keep theirs', async () => {
    writeWorkload(['billing']);
    const dry = applyJson('--prune', '--group', `${names.analytics}-g`, '--dry-run');
    const removed = (c: Changes) =>
      c.deleted.map((a) => `${a.principal} ${a.operation} ${a.resourceType}:${a.resourceName}`).sort();
    const expected = [
      `User:${names.analytics} READ topic:${topic}`,
      `User:${names.analytics} DESCRIBE topic:${topic}`,
      `User:${names.analytics} READ group:${names.analytics}-g`,
      `User:${names.analytics} WRITE topic:${topic}.dlq`,
      `User:${names.analytics} DESCRIBE topic:${topic}.dlq`,
    ].sort();
    expect(removed(dry)).toEqual(expected);
    // A dry run changed nothing: the consumer still reads.
    expect((await produce('producer', ['line-4'])).code).toBe(0);
    const stillReads = await consume('analytics', `${names.analytics}-g`, 1);
    expect(lines(stillReads.stdout), stillReads.stderr).toEqual(['line-4']);

    const pruned = applyJson('--prune', '--group', `${names.analytics}-g`);
    expect(removed(pruned)).toEqual(expected);
    expect(pruned.created).toEqual([]);
    expect(pruned.unchanged).toHaveLength(7);

    expect((await produce('producer', ['line-5'])).code).toBe(0);
    const [analytics, billing] = await Promise.all([
      consume('analytics', `${names.analytics}-g`, 1),
      consume('billing', `${names.billing}-g`, 2),
    ]);
    expect(analytics.stderr).toMatch(/(Group|Topic)AuthorizationException/);
    expect(lines(analytics.stdout)).toEqual([]);
    // billing committed through line-3 in its group, so it reads on from line-4.
    expect(lines(billing.stdout), billing.stderr).toEqual(['line-4', 'line-5']);

    const after = applyJson('--prune', '--group', `${names.analytics}-g`);
    expect(after.created).toEqual([]);
    expect(after.deleted).toEqual([]);
  });
});

describePeer('kafka', 'speedlayer acl apply on a Kafka without an authorizer', (kafka) => {
  it('is a typed refusal (unsupported, exit 2) naming the missing authorizer, not a broker error code', () => {
    const file = join(dir, 'no-authorizer.yaml');
    writeFileSync(
      file,
      'name: orders\ningress: { recordsPerSecond: 1, avgRecordBytes: 1 }\nprocessing: { msPerRecord: 1 }\nretentionHours: 1\n' +
        'access: { producers: [{ principal: orders-api }] }\n',
    );
    const r = spawnSync(process.execPath, [bin, 'acl', 'apply', file, '--stream', `kafka://${kafka.bootstrap}`, '--json'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(JSON.parse(r.stderr).error).toMatchObject({ kind: 'unsupported', field: 'stream', exitCode: 2 });
    expect(JSON.parse(r.stderr).error.message).toMatch(/has no authorizer \(authorizer\.class\.name is not set\)/);
  });
});
