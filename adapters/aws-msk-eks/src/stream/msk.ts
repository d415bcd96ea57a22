/**
 * What Amazon MSK adds to the shared Kafka driver (`@speedlayer/kafka`), as its {@link KafkaDialect}: the
 * `msk://<cluster-arn>` scheme (brokers from MSK's GetBootstrapBrokers through `@aws-sdk/client-kafka`, TLS on by
 * default), the `aws-msk-iam` SASL mechanism (OAUTHBEARER with a token signed by `aws-msk-iam-sasl-signer-js` from
 * the AWS credential chain) and the config fields they need (`region`, `endpoint`, `bootstrapBrokers`).
 *
 * @packageDocumentation
 */
import {
  AuthError,
  ConfigError,
  ConnectionError,
  type Logger,
  NotFoundError,
  type ParsedUri,
  parseHostList,
  redact,
  UnsupportedError,
  z,
} from '@speedlayer/core';
import {
  type KafkaConfig as BaseKafkaConfig,
  kafkaConfigSchema as baseSchema,
  type KafkaDialect,
  type KafkaSaslProvided,
  saslOauth,
  saslPassword,
} from '@speedlayer/kafka';
import { mskEksDescriptor } from '../target.js';

/** Target id of this adapter (`msk://`; plain `kafka://` is the `kafka` target of `@speedlayer/kafka`). */
export const TARGET = mskEksDescriptor.id;

const saslIam = z.object({
  /** MSK IAM: SASL/OAUTHBEARER with a token signed by `aws-msk-iam-sasl-signer-js` from the AWS credential chain. */
  mechanism: z.literal('aws-msk-iam'),
  /** AWS region of the cluster. @default the region of the msk:// ARN, else AWS_REGION */
  region: z.string().min(1).optional(),
});

/** Config of the Kafka / MSK target (`connect('kafka://…' | 'msk://…', { config })`): the driver's, plus MSK's. */
export const kafkaConfigSchema = baseSchema
  .extend({
    /** SASL authentication (also `aws-msk-iam`). */
    sasl: z.discriminatedUnion('mechanism', [saslPassword, saslOauth, saslIam]).optional(),
    /** msk:// only: AWS region. @default the region in the cluster ARN */
    region: z.string().min(1).optional(),
    /** msk:// only: MSK control-plane endpoint. @default AWS_ENDPOINT_URL_KAFKA / AWS_ENDPOINT_URL / the AWS endpoint */
    endpoint: z.string().url().optional(),
    /** msk:// only: bootstrap brokers to use instead of calling GetBootstrapBrokers, `host:port[,host:port]`. */
    bootstrapBrokers: z.string().min(1).optional(),
  })
  .strict();

/** Input config (what callers pass). */
export type KafkaConfigInput = z.input<typeof kafkaConfigSchema>;
/** Resolved config (defaults applied). */
export type KafkaConfig = z.output<typeof kafkaConfigSchema>;

/** The parts of an MSK cluster ARN. */
export interface MskClusterArn {
  /** The ARN as given. */
  arn: string;
  /** Region in the ARN. */
  region: string;
  /** Account id. */
  account: string;
  /** Cluster name. */
  name: string;
}

const ARN_RE = /^arn:aws[a-z-]*:kafka:([a-z0-9-]+):(\d{12}):(?:serverless-)?cluster\/([^/]+)(?:\/[A-Za-z0-9-]+)?$/;

/**
 * Parses the location of an `msk://<cluster-arn>` URI.
 * @throws `ConfigError` (field `uri`) when it is not an MSK cluster ARN.
 */
export function parseMskArn(location: string): MskClusterArn {
  const arn = decodeURIComponent(location.replace(/\/+$/, ''));
  const m = ARN_RE.exec(arn);
  if (!m) {
    throw new ConfigError(
      `uri: msk:// needs an MSK cluster ARN such as msk://arn:aws:kafka:us-east-1:123456789012:cluster/name/uuid, got "${arn}"`,
      { field: 'uri', target: TARGET },
    );
  }
  return { arn, region: m[1] ?? '', account: m[2] ?? '', name: m[3] ?? '' };
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

/** kafkajs SASL options for MSK IAM: OAUTHBEARER with a token signed from the AWS credential chain at each login. */
export async function mskIamSasl(config: KafkaConfig, arnRegion?: string): Promise<KafkaSaslProvided> {
  const region = awsRegion(config, arnRegion);
  const { generateAuthToken } = await import('aws-msk-iam-sasl-signer-js');
  return {
    options: {
      mechanism: 'oauthbearer',
      oauthBearerProvider: async () => {
        const { token } = await generateAuthToken({ region });
        return { value: token };
      },
    },
    label: 'OAUTHBEARER(MSK IAM)',
    tls: true,
  };
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

/** The MSK dialect of the shared Kafka driver: `kafka://` and `msk://`, MSK IAM, MSK's config fields. */
export const mskDialect: KafkaDialect<KafkaConfig & BaseKafkaConfig> = {
  target: TARGET,
  schemes: ['kafka', 'msk'],
  schema: kafkaConfigSchema,
  brokers: async (uri: ParsedUri, config: KafkaConfig, logger: Logger) => {
    parseMskArn(uri.location); // ConfigError for anything but a cluster ARN, before any call
    const brokers = config.bootstrapBrokers
      ? parseHostList(config.bootstrapBrokers, 'bootstrapBrokers')
      : await mskBootstrapBrokers(uri.location, config, logger);
    return { brokers, tls: true };
  },
  sasl: async (sasl, config, uri) =>
    sasl.mechanism === 'aws-msk-iam'
      ? mskIamSasl(config, uri.scheme === 'msk' ? parseMskArn(uri.location).region : undefined)
      : undefined,
};
