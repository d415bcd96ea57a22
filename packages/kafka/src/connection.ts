/**
 * From a URI + resolved config to a kafkajs client config: brokers (`kafka://` host lists, or `msk://<arn>` through
 * MSK's GetBootstrapBrokers), TLS with a CA file, and SASL (PLAIN, SCRAM, OAUTHBEARER, MSK IAM).
 *
 * @packageDocumentation
 */
import { readFile } from 'node:fs/promises';
import {
  AuthError,
  ConfigError,
  ConnectionError,
  type Logger,
  NotFoundError,
  type ParsedUri,
  parseHostList,
  readSecretRef,
  redact,
  UnsupportedError,
} from '@speedlayer/core';
import type { KafkaConfig as KafkaJsConfig, SASLOptions } from 'kafkajs';
import { brokersFromKafkaUri, type KafkaConfig, parseMskArn, TARGET } from './config.js';

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

/** Region for MSK IAM signing and the MSK control plane. */
function awsRegion(config: KafkaConfig, arnRegion?: string): string {
  const region =
    (config.sasl?.mechanism === 'aws-msk-iam' ? config.sasl.region : undefined) ??
    config.region ??
    arnRegion ??
    process.env.AWS_REGION ??
    process.env.AWS_DEFAULT_REGION;
  if (!region) {
    throw new ConfigError('region: MSK IAM needs a region (config region, the msk:// ARN, or AWS_REGION)', {
      field: 'region',
      target: TARGET,
    });
  }
  return region;
}

/** Builds the kafkajs `sasl` option. Secrets are read when needed, never logged. */
export async function saslOptions(config: KafkaConfig, arnRegion?: string): Promise<SASLOptions | undefined> {
  const sasl = config.sasl;
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
          target: TARGET,
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
    case 'aws-msk-iam': {
      const region = awsRegion(config, arnRegion);
      const { generateAuthToken } = await import('aws-msk-iam-sasl-signer-js');
      return {
        mechanism: 'oauthbearer',
        oauthBearerProvider: async () => {
          const { token } = await generateAuthToken({ region });
          return { value: token };
        },
      };
    }
  }
}

/** The kafkajs `ssl` option. */
async function tlsOptions(config: KafkaConfig, defaultTls: boolean): Promise<KafkaJsConfig['ssl']> {
  const tls = config.tls ?? (config.caFile !== undefined || config.sasl?.mechanism === 'aws-msk-iam' || defaultTls);
  if (!tls) return undefined;
  const options: { ca?: string[]; servername?: string } = {};
  if (config.caFile) {
    try {
      options.ca = [await readFile(config.caFile, 'utf8')];
    } catch (e) {
      throw new ConfigError(`caFile: cannot read ${config.caFile}`, { field: 'caFile', target: TARGET, cause: e });
    }
  }
  if (config.tlsServerName) options.servername = config.tlsServerName;
  return Object.keys(options).length > 0 ? options : true;
}

/**
 * Resolves bootstrap brokers of an MSK cluster with GetBootstrapBrokers (honouring `AWS_ENDPOINT_URL` /
 * `AWS_ENDPOINT_URL_KAFKA` like every AWS SDK client, or the `endpoint` config).
 * @throws `UnsupportedError` when the endpoint does not implement GetBootstrapBrokers (moto does not).
 * @throws `NotFoundError` when the cluster does not exist.
 */
export async function mskBootstrapBrokers(arn: string, config: KafkaConfig, logger: Logger): Promise<string[]> {
  const parsed = parseMskArn(arn);
  const region = config.region ?? parsed.region;
  const { KafkaClient, GetBootstrapBrokersCommand } = await import('@aws-sdk/client-kafka');
  const client = new KafkaClient({ region, maxAttempts: 2, ...(config.endpoint ? { endpoint: config.endpoint } : {}) });
  const endpointText =
    config.endpoint ?? process.env.AWS_ENDPOINT_URL_KAFKA ?? process.env.AWS_ENDPOINT_URL ?? `the AWS MSK endpoint of ${region}`;
  try {
    const out = await client.send(new GetBootstrapBrokersCommand({ ClusterArn: parsed.arn }));
    const mech = config.sasl?.mechanism;
    const pick =
      mech === 'aws-msk-iam'
        ? out.BootstrapBrokerStringSaslIam
        : mech === 'scram-sha-256' || mech === 'scram-sha-512'
          ? out.BootstrapBrokerStringSaslScram
          : config.tls === false
            ? out.BootstrapBrokerString
            : (out.BootstrapBrokerStringTls ?? out.BootstrapBrokerString);
    if (!pick) {
      throw new ConfigError(
        `uri: MSK cluster ${parsed.name} has no bootstrap brokers for ${mech ?? (config.tls === false ? 'PLAINTEXT' : 'TLS')}; enable that access method on the cluster or change sasl/tls`,
        { field: 'uri', target: TARGET },
      );
    }
    logger.debug('msk bootstrap brokers resolved', { cluster: parsed.name, region });
    return parseHostList(pick, 'bootstrapBrokers');
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const status = err.$metadata?.httpStatusCode;
    if (err.name === 'NotFoundException') {
      throw new NotFoundError(`msk: cluster ${parsed.arn} does not exist in ${region} (${endpointText})`, {
        target: TARGET,
        field: 'uri',
        cause: e,
      });
    }
    const customEndpoint = config.endpoint ?? process.env.AWS_ENDPOINT_URL_KAFKA ?? process.env.AWS_ENDPOINT_URL;
    const notAws = err.name === 'SyntaxError' || /Deserialization error|not valid JSON/i.test(String(err.message));
    if (
      status === 404 ||
      (customEndpoint !== undefined && notAws) ||
      err.name === 'UnknownOperationException' ||
      err.name === 'NotImplementedError' ||
      /not (yet )?implemented|UnknownOperation/i.test(String(err.message))
    ) {
      throw new UnsupportedError(
        `msk: ${endpointText} does not implement GetBootstrapBrokers (moto does not${status ? `; it answered HTTP ${status}` : ''}); pass the brokers with config bootstrapBrokers or use kafka://host:port`,
        { target: TARGET, cause: e },
      );
    }
    if (err.name === 'UnauthorizedException' || err.name === 'ForbiddenException' || status === 401 || status === 403) {
      throw new AuthError(`msk: GetBootstrapBrokers on ${endpointText} was refused: ${redact(String(err.message))}`, {
        target: TARGET,
        cause: e,
      });
    }
    throw new ConnectionError(`msk: GetBootstrapBrokers on ${endpointText} failed: ${redact(String(err.message ?? e))}`, {
      target: TARGET,
      cause: e,
    });
  } finally {
    client.destroy();
  }
}

/** Resolves brokers, TLS and SASL for a `kafka://` or `msk://` URI. */
export async function resolveConnection(uri: ParsedUri, config: KafkaConfig, logger: Logger): Promise<ResolvedConnection> {
  let brokers: string[];
  let arnRegion: string | undefined;
  const isMsk = uri.scheme === 'msk';
  if (isMsk) {
    const arn = parseMskArn(uri.location);
    arnRegion = arn.region;
    brokers = config.bootstrapBrokers
      ? parseHostList(config.bootstrapBrokers, 'bootstrapBrokers')
      : await mskBootstrapBrokers(uri.location, config, logger);
  } else if (uri.scheme === 'kafka') {
    brokers = brokersFromKafkaUri(uri);
  } else {
    throw new ConfigError(`uri: the ${TARGET} adapter serves kafka:// and msk://, not ${uri.scheme}://`, {
      field: 'uri',
      target: TARGET,
    });
  }
  const ssl = await tlsOptions(config, isMsk);
  const sasl = await saslOptions(config, arnRegion);
  const mech = config.sasl?.mechanism === 'aws-msk-iam' ? 'OAUTHBEARER(MSK IAM)' : config.sasl?.mechanism.toUpperCase();
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
