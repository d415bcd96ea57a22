/**
 * Kafka's own console clients (a non-speedlayer, Java client) for interop tests. The broker peer's classpath has
 * `kafka.tools.ConsoleProducer`; `org.apache.kafka.tools.consumer.ConsoleConsumer` lives in the `kafka-tools`
 * artifact, installed here on first use from Maven Central into the peers' cache (same Maven repository).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheRoot } from '@speedlayer/testing/peers';

function run(
  cmd: string,
  args: string[],
  input?: string,
  timeoutMs = 300_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

/** Java classpath with the broker's jars plus kafka-tools (installed on first use). */
export async function kafkaConsoleClasspath(version: string): Promise<string> {
  const root = cacheRoot();
  const brokerLibs = join(root, 'peers', `kafka-${version}`, 'libs');
  const toolsDir = join(root, 'peers', `kafka-tools-${version}`);
  const toolsLibs = join(toolsDir, 'libs');
  if (!existsSync(join(toolsLibs, `kafka-tools-${version}.jar`))) {
    const tmp = `${toolsDir}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    await writeFile(
      join(tmp, 'pom.xml'),
      `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.speedlayer.peers</groupId>
  <artifactId>kafka-tools</artifactId>
  <version>${version}</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>${version}</version></dependency>
  </dependencies>
</project>
`,
    );
    const r = await run('mvn', [
      '-B',
      '-q',
      `-Dmaven.repo.local=${join(root, 'm2')}`,
      '-f',
      join(tmp, 'pom.xml'),
      'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies',
      `-DoutputDirectory=${join(tmp, 'libs')}`,
      '-DincludeScope=runtime',
    ]);
    if (r.code !== 0) throw new Error(`installing kafka-tools ${version} with Maven failed: ${r.stdout}${r.stderr}`);
    await rm(toolsDir, { recursive: true, force: true });
    await rename(tmp, toolsDir);
  }
  return `${toolsLibs}/*:${brokerLibs}/*`;
}

/** One record as the console consumer prints it with print.partition/headers/key. */
export interface ConsoleRecord {
  partition: number;
  headers: Record<string, string>;
  key: string | null;
  value: string;
}

/** Reads `max` records from the beginning of `topic` with Kafka's ConsoleConsumer. */
export async function consoleConsume(classpath: string, bootstrap: string, topic: string, max: number): Promise<ConsoleRecord[]> {
  const r = await run('java', [
    '-cp',
    classpath,
    'org.apache.kafka.tools.consumer.ConsoleConsumer',
    '--bootstrap-server',
    bootstrap,
    '--topic',
    topic,
    '--from-beginning',
    '--max-messages',
    String(max),
    '--timeout-ms',
    '30000',
    '--property',
    'print.key=true',
    '--property',
    'print.headers=true',
    '--property',
    'print.partition=true',
    '--property',
    'key.separator=\t',
    '--property',
    'headers.separator=,',
    '--property',
    'headers.key.separator=:',
  ]);
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('Partition:'));
  if (lines.length < max) throw new Error(`ConsoleConsumer printed ${lines.length} of ${max} records: ${r.stderr.slice(-2000)}`);
  return lines.map((line) => {
    const [p = '', h = '', k = '', ...v] = line.split('\t');
    const headers: Record<string, string> = {};
    if (h !== 'NO_HEADERS') {
      for (const pair of h.split(',')) {
        const i = pair.indexOf(':');
        headers[pair.slice(0, i)] = pair.slice(i + 1);
      }
    }
    return { partition: Number(p.slice('Partition:'.length)), headers, key: k === 'null' ? null : k, value: v.join('\t') };
  });
}

/** Produces lines `h1:v1,h2:v2<TAB>key<TAB>value` with Kafka's ConsoleProducer (Java default partitioner). */
export async function consoleProduce(classpath: string, bootstrap: string, topic: string, lines: string[]): Promise<void> {
  const r = await run(
    'java',
    [
      '-cp',
      classpath,
      'kafka.tools.ConsoleProducer',
      '--bootstrap-server',
      bootstrap,
      '--topic',
      topic,
      '--property',
      'parse.key=true',
      '--property',
      'parse.headers=true',
    ],
    `${lines.join('\n')}\n`,
  );
  if (r.code !== 0) throw new Error(`ConsoleProducer exited with ${r.code}: ${r.stderr.slice(-2000)}`);
}
