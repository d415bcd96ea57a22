/**
 * From a URI + resolved config to a kafkajs client config: brokers (`kafka://` host lists, or the dialect's
 * {@link KafkaDialect.brokers} for its own schemes), TLS with a CA file, and SASL (PLAIN, SCRAM, OAUTHBEARER, and
 * what the dialect's {@link KafkaDialect.sasl} adds, such as MSK IAM).
 *
 * @packageDocumentation
 */
import { readFile } from 'node:fs/promises';
import { ConfigError, type Logger, type ParsedUri, readSecretRef } from '@speedlayer/core';
import type { KafkaConfig as KafkaJsConfig, SASLOptions } from 'kafkajs';
import { brokersFromKafkaUri, type KafkaConfig, type KafkaSasl, TARGET } from './config.js';
import type { KafkaDialect } from './dialect.js';

/** Where the client connects and how. */
export interface ResolvedConnection {
  /** Bootstrap brokers, `host:port`. */
  brokers: string[];
  /** The kafkajs config (secrets only inside closures and the in-memory SASL object). */
  kafkajs: KafkaJsConfig;
  /** Security in words for logs: `PLAINTEXT`, `SASL_SSL/PLAIN`, ... (no secret). */
  security: string;
}

function b64url(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url');
}

/** An unsecured (alg `none`) JWT as Kafka's default OAUTHBEARER validator accepts: development clusters only. */
export function unsecuredJwt(subject: string, lifetimeSeconds: number, now = Date.now()): string {
  const iat = Math.floor(now / 1000);
  return `${b64url('{"alg":"none"}')}.${b64url(JSON.stringify({ sub: subject, iat, exp: iat + lifetimeSeconds }))}.`;
}

/**
 * Builds the kafkajs `sasl` option for the mechanisms the driver knows. Secrets are read when needed, never logged.
 * @throws `ConfigError` (field `sasl.mechanism`) for a mechanism it does not know.
 */
export async function saslOptions(config: KafkaConfig, target = TARGET): Promise<SASLOptions | undefined> {
  const sasl = config.sasl as KafkaSasl | undefined;
  if (!sasl) return undefined;
  switch (sasl.mechanism) {
    case 'plain':
    case 'scram-sha-256':
    case 'scram-sha-512': {
      const password = await readSecretRef(sasl.password, 'sasl.password');
      return { mechanism: sasl.mechanism, username: sasl.username, password } as SASLOptions;
    }
    case 'oauthbearer': {
      const { token, unsecuredJwtSubject, unsecuredJwtLifetimeSeconds } = sasl;
      if (!token && !unsecuredJwtSubject) {
        throw new ConfigError('sasl: oauthbearer needs token (env:VAR or file:/path) or unsecuredJwtSubject', {
          field: 'sasl.token',
          target,
        });
      }
      if (token) await readSecretRef(token, 'sasl.token'); // fail early when the reference is broken
      return {
        mechanism: 'oauthbearer',
        oauthBearerProvider: async () => ({
          value: token
            ? await readSecretRef(token, 'sasl.token')
            : unsecuredJwt(unsecuredJwtSubject ?? '', unsecuredJwtLifetimeSeconds),
        }),
      };
    }
    default:
      throw new ConfigError(`sasl.mechanism: ${String((sasl as { mechanism?: unknown }).mechanism)} is not supported`, {
        field: 'sasl.mechanism',
        target,
      });
  }
}

/** The kafkajs `ssl` option. */
async function tlsOptions(config: KafkaConfig, defaultTls: boolean, target: string): Promise<KafkaJsConfig['ssl']> {
  const tls = config.tls ?? (config.caFile !== undefined || defaultTls);
  if (!tls) return undefined;
  const options: { ca?: string[]; servername?: string } = {};
  if (config.caFile) {
    try {
      options.ca = [await readFile(config.caFile, 'utf8')];
    } catch (e) {
      throw new ConfigError(`caFile: cannot read ${config.caFile}`, { field: 'caFile', target, cause: e });
    }
  }
  if (config.tlsServerName) options.servername = config.tlsServerName;
  return Object.keys(options).length > 0 ? options : true;
}

/** Resolves brokers, TLS and SASL for a `kafka://` URI or one of the dialect's schemes. */
export async function resolveConnection<C extends KafkaConfig>(
  uri: ParsedUri,
  config: C,
  logger: Logger,
  dialect: Omit<KafkaDialect<C>, 'target'> & { target?: string } = {},
): Promise<ResolvedConnection> {
  const target = dialect.target ?? TARGET;
  const schemes = dialect.schemes ?? ['kafka'];
  if (!schemes.includes(uri.scheme)) {
    throw new ConfigError(
      `uri: the ${target} adapter serves ${schemes.map((s) => `${s}://`).join(' and ')}, not ${uri.scheme}://`,
      {
        field: 'uri',
        target,
      },
    );
  }
  let brokers: string[];
  let defaultTls = false;
  if (uri.scheme === 'kafka' || !dialect.brokers) {
    brokers = brokersFromKafkaUri(uri);
  } else {
    const found = await dialect.brokers(uri, config, logger);
    brokers = found.brokers;
    defaultTls = found.tls ?? false;
  }
  const provided = config.sasl && dialect.sasl ? await dialect.sasl(config.sasl, config, uri) : undefined;
  const ssl = await tlsOptions(config, defaultTls || provided?.tls === true, target);
  const sasl = provided ? provided.options : await saslOptions(config, target);
  const mech = provided ? provided.label : config.sasl?.mechanism.toUpperCase();
  const security = `${sasl ? 'SASL_' : ''}${ssl ? 'SSL' : 'PLAINTEXT'}${mech ? `/${mech}` : ''}`;
  const kafkajs: KafkaJsConfig = {
    clientId: config.clientId,
    brokers,
    connectionTimeout: config.connectionTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    retry: { retries: config.retries, initialRetryTime: config.initialRetryMs },
    ...(ssl !== undefined ? { ssl } : {}),
    ...(sasl !== undefined ? { sasl } : {}),
  };
  return { brokers, kafkajs, security };
}
