/**
 * A second Apache Kafka broker (KRaft combined mode, same pinned version and jars as the `kafka` peer) that enforces
 * authentication and authorization, for tests of TLS + SASL clients and of ACLs:
 *
 * - one client listener, `SASL_SSL` with SCRAM-SHA-512 over TLS (CA and server certificate generated at the first
 *   `peers up`, kept under `<cache>/run/kafkaAuth/tls`);
 * - `StandardAuthorizer` with `allow.everyone.if.no.acl.found=false`: a user without ACLs can do nothing;
 * - `admin` is the only super user; its SCRAM credential is written into the metadata log when the storage is
 *   formatted (`kafka-storage format --add-scram`), so the broker authenticates it from its first start;
 * - the KRaft controller listener uses SASL_PLAINTEXT/PLAIN as `admin` (no anonymous super user on any port);
 * - other users are created with Kafka's own `kafka-configs` ({@link ensureKafkaAuthUser}).
 *
 * Passwords live in files (mode 0600) under `<cache>/run/kafkaAuth/credentials`, never in the status document, a
 * log or a message. The data (users, ACLs, topics, offsets) is kept across `peers down` / `peers up`.
 *
 * @packageDocumentation
 */

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, redact } from '@speedlayer/core';
import {
  type InstallUnit,
  PeerError,
  type PeerRecord,
  paths,
  readIfExists,
  tailLines,
  tools,
  unitDir,
  withTimeout,
  writePrivateFile,
} from './common.js';
import {
  brokerCommand,
  brokerProperties,
  brokerTls,
  unit as brokerUnit,
  clusterIdFor,
  connectTls,
  jaasString,
  KAFKA_VERSION,
  mavenJarsUnit,
  probeSocket,
  propValue,
  setAsideForeignData,
  spawnBroker,
} from './kafka.js';
import type { PeerDefinition, StartContext } from './peer.js';
import type { KafkaAuthStatus } from './types.js';

const SCRAM = 'SCRAM-SHA-512';
const ADMIN = 'admin';

/**
 * Kafka's command-line tools that are not in the broker's jars (`org.apache.kafka.tools.consumer.ConsoleConsumer`):
 * the `kafka-tools` artifact of the same version.
 */
const toolsUnit: InstallUnit = mavenJarsUnit(
  `kafka-cli-${KAFKA_VERSION}`,
  'kafka-cli',
  "Kafka's command-line tools",
  [['org.apache.kafka', 'kafka-tools', KAFKA_VERSION]],
  `kafka-tools-${KAFKA_VERSION}.jar`,
);

/** Java classpath with Kafka's broker jars and command-line tools (the jars `bin/kafka-*.sh` would run). */
export function kafkaToolsClasspath(): string {
  return `${join(unitDir(toolsUnit), 'libs')}/*:${join(unitDir(brokerUnit), 'libs')}/*`;
}

/** A password of URL-safe characters (safe inside Kafka's `[name=…,password=…]` SCRAM syntax and JAAS strings). */
function newPassword(): string {
  return randomBytes(18).toString('base64url');
}

/** The admin's password file, created once per cache. */
async function ensureAdminPassword(runDir: string): Promise<string> {
  const file = join(runDir, 'credentials', `${ADMIN}.password`);
  if (!(await readIfExists(file))?.trim()) await writePrivateFile(file, newPassword());
  return file;
}

async function readPassword(file: string): Promise<string> {
  const pw = (await readIfExists(file))?.trim();
  if (!pw) throw new PeerError('kafkaAuth', `password file ${file} is missing or empty`);
  return pw;
}

/**
 * Runs a Java tool whose arguments may carry a secret: the command line is never logged or put in an error (only
 * `shown`, with the output tail, redacted).
 */
function runSecret(args: string[], shown: string, options: { cwd?: string; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('java', args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let both = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      both = (both + d.toString()).slice(-20_000);
    });
    child.stderr.on('data', (d: Buffer) => {
      both = (both + d.toString()).slice(-20_000);
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new PeerError('kafkaAuth', `${shown}: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new PeerError('kafkaAuth', `${shown} failed (exit ${code ?? 'killed'})\n${tailLines(redact(both), 25)}`));
    });
  });
}

/**
 * Properties of a Java Kafka client (console tools, `kafka-configs`, `kafka-acls`) connecting to the peer as
 * `username`: SASL_SSL, SCRAM-SHA-512, the peer's CA as a PEM truststore. Written with mode 0600.
 */
export async function writeKafkaAuthClientProperties(
  status: KafkaAuthStatus,
  username: string,
  passwordFile: string,
  file: string,
): Promise<string> {
  const password = await readPassword(passwordFile);
  const jaas = `org.apache.kafka.common.security.scram.ScramLoginModule required username=${jaasString(username)} password=${jaasString(password)};`;
  await writePrivateFile(
    file,
    [
      'security.protocol=SASL_SSL',
      `sasl.mechanism=${SCRAM}`,
      `sasl.jaas.config=${propValue(jaas)}`,
      'ssl.truststore.type=PEM',
      `ssl.truststore.location=${status.caFile}`,
      '',
    ].join('\n'),
  );
  return file;
}

/** A SCRAM user of the `kafkaAuth` peer; the password is in a file (mode 0600). */
export interface KafkaAuthUser {
  /** SASL username (the ACL principal is `User:<username>`). */
  username: string;
  /** File holding the password. */
  passwordFile: string;
}

const USERNAME = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Creates (or re-asserts) a SCRAM-SHA-512 user on the `kafkaAuth` peer with Kafka's own `kafka-configs`
 * (`kafka.admin.ConfigCommand --alter --entity-type users --add-config SCRAM-SHA-512=[password=…]`, run as the
 * admin). The password is generated once and kept in `<cache>/run/kafkaAuth/credentials/users/<username>.password`.
 * The user has no ACLs: with `allow.everyone.if.no.acl.found=false` it can do nothing until granted.
 * @throws `ConfigError` (field `username`) for a name outside `[A-Za-z0-9._-]{1,64}`; `PeerError` when the tool fails.
 */
export async function ensureKafkaAuthUser(status: KafkaAuthStatus, username: string): Promise<KafkaAuthUser> {
  if (!USERNAME.test(username) || username === ADMIN) {
    throw new ConfigError(`username: '${username}' must match [A-Za-z0-9._-]{1,64} and not be '${ADMIN}'`, {
      field: 'username',
    });
  }
  const dir = join(paths.run('kafkaAuth'), 'credentials');
  const passwordFile = join(dir, 'users', `${username}.password`);
  if (!(await readIfExists(passwordFile))?.trim()) await writePrivateFile(passwordFile, newPassword());
  const password = await readPassword(passwordFile);
  const adminProps = await writeKafkaAuthClientProperties(
    status,
    status.adminUser,
    status.adminPasswordFile,
    join(dir, 'admin-client.properties'),
  );
  // The new credential goes in a 0600 file (--add-config-file), never on a command line.
  const addFile = join(dir, 'users', `${username}.scram.properties`);
  await writePrivateFile(addFile, `${SCRAM}=iterations=4096,password=${password}\n`);
  await runSecret(
    [
      '-Xmx256m',
      '-XX:TieredStopAtLevel=1',
      '-XX:+UseSerialGC',
      '-cp',
      status.toolsClasspath,
      'kafka.admin.ConfigCommand',
      '--bootstrap-server',
      status.bootstrap,
      '--command-config',
      adminProps,
      '--alter',
      '--entity-type',
      'users',
      '--entity-name',
      username,
      '--add-config-file',
      addFile,
    ],
    `kafka-configs --alter --entity-type users --entity-name ${username} --add-config ${SCRAM}=[password=***]`,
  );
  return { username, passwordFile };
}

async function start(ctx: StartContext): Promise<{ status: KafkaAuthStatus }> {
  const [brokerDir] = ctx.installDirs as [string, string];
  const { runDir } = ctx;
  const ports = ctx.ports as Record<'saslSsl' | 'controller', number>;
  const logFile = join(runDir, 'kafka.log');
  const { ca, keystore } = await brokerTls(runDir, 'speedlayer test Kafka SASL_SSL and ACLs CA', logFile);

  const dataDir = join(runDir, 'data');
  const adminPasswordFile = join(runDir, 'credentials', `${ADMIN}.password`);
  // The admin's SCRAM credential is in the formatted metadata log: data formatted with a password we no longer
  // have is unusable, so it is set aside (never deleted) and the storage formatted again.
  if (!(await readIfExists(adminPasswordFile))?.trim() && (await readIfExists(join(dataDir, 'meta.properties')))) {
    const aside = `${dataDir}.${Date.now()}.orphan`;
    await rename(dataDir, aside);
    ctx.log(`kafkaAuth: ${adminPasswordFile} is gone, so the admin's credential in ${dataDir} is unknown; moved it to ${aside}`);
  }
  await ensureAdminPassword(runDir);
  const adminPw = await readPassword(adminPasswordFile);
  await setAsideForeignData(runDir, dataDir, ctx.log);
  await mkdir(dataDir, { recursive: true });

  const scramJaas = `org.apache.kafka.common.security.scram.ScramLoginModule required username=${jaasString(ADMIN)} password=${jaasString(adminPw)};`;
  const plainJaas =
    `org.apache.kafka.common.security.plain.PlainLoginModule required username=${jaasString(ADMIN)} ` +
    `password=${jaasString(adminPw)} user_${ADMIN}=${jaasString(adminPw)};`;
  const props = brokerProperties(
    dataDir,
    ports.controller,
    [{ name: 'SASL_SSL', port: ports.saslSsl, protocol: 'SASL_SSL' }],
    [
      `sasl.mechanism.inter.broker.protocol=${SCRAM}`,
      `listener.name.sasl_ssl.sasl.enabled.mechanisms=${SCRAM}`,
      `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=${propValue(scramJaas)}`,
      'listener.name.sasl_ssl.ssl.keystore.type=PEM',
      `listener.name.sasl_ssl.ssl.keystore.location=${keystore}`,
      // The broker is its own inter-broker client on this listener: it must trust the CA too.
      'listener.name.sasl_ssl.ssl.truststore.type=PEM',
      `listener.name.sasl_ssl.ssl.truststore.location=${ca.cert}`,
      'sasl.mechanism.controller.protocol=PLAIN',
      'listener.name.controller.sasl.enabled.mechanisms=PLAIN',
      `listener.name.controller.plain.sasl.jaas.config=${propValue(plainJaas)}`,
      'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      `super.users=User:${ADMIN}`,
      'allow.everyone.if.no.acl.found=false',
    ],
    'SASL_PLAINTEXT',
  );
  const propsFile = join(runDir, 'server.properties');
  await writePrivateFile(propsFile, props);
  const cmd = await brokerCommand(brokerDir, runDir);
  ctx.log('kafkaAuth: formatting KRaft storage (with the admin SCRAM credential)');
  const clusterId = await clusterIdFor(runDir);
  await runSecret(
    [
      ...cmd.jvm,
      '-cp',
      cmd.classpath,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId,
      '-c',
      propsFile,
      '--ignore-formatted',
      '--add-scram',
      `${SCRAM}=[name=${ADMIN},password=${adminPw}]`,
    ],
    `kafka-storage format -t ${clusterId} -c ${propsFile} --ignore-formatted --add-scram ${SCRAM}=[name=${ADMIN},password=***]`,
    { cwd: runDir },
  );
  ctx.track(await spawnBroker('kafkaAuth', cmd, runDir, propsFile, logFile));

  return {
    status: {
      version: KAFKA_VERSION,
      bootstrap: `127.0.0.1:${ports.saslSsl}`,
      caFile: ca.cert,
      mechanism: 'scram-sha-512',
      adminUser: ADMIN,
      adminPasswordFile,
      toolsClasspath: kafkaToolsClasspath(),
    },
  };
}

/** ApiVersions over TLS on the SASL_SSL listener (allowed before authentication; the broker opens it once ready). */
async function probe(record: PeerRecord): Promise<void> {
  const status = record.status as KafkaAuthStatus;
  const ca = (await readIfExists(status.caFile)) ?? '';
  await withTimeout((async () => probeSocket(await connectTls(status.bootstrap, ca), false))(), 5000, 'kafkaAuth');
}

/** The `kafkaAuth` peer. */
export const kafkaAuthPeer: PeerDefinition = {
  name: 'kafkaAuth',
  version: KAFKA_VERSION,
  requirements: [tools.java, tools.mvn, tools.openssl],
  units: [brokerUnit, toolsUnit],
  ports: [
    { role: 'saslSsl', preferred: 9096, env: 'SPEEDLAYER_KAFKA_AUTH_PORT' },
    { role: 'controller', preferred: 9097, env: 'SPEEDLAYER_KAFKA_AUTH_CONTROLLER_PORT' },
  ],
  data: { kept: true, note: 'log dirs, SCRAM users, ACLs and offsets kept in run/kafkaAuth/data' },
  startTimeoutMs: 120_000,
  start,
  probe,
};
