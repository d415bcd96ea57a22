/**
 * Classifies AWS SDK errors (Kinesis and DynamoDB) into speedlayer's typed errors at the adapter boundary.
 *
 * @packageDocumentation
 */
import {
  AuthError,
  ConflictError,
  ConnectionError,
  isSpeedlayerError,
  NotFoundError,
  SpeedlayerError,
  ThrottledError,
  TimeoutError,
  ValidationError,
} from '@speedlayer/core';

/** Target id of this adapter. */
export const TARGET = 'aws-kinesis-ecs';

/** The AWS error name (`ResourceNotFoundException`, ...) or the Node error code, when there is one. */
export function awsErrorName(e: unknown): string {
  if (typeof e !== 'object' || e === null) return '';
  const o = e as { name?: unknown; code?: unknown; Code?: unknown };
  if (typeof o.name === 'string' && o.name !== 'Error') return o.name;
  if (typeof o.code === 'string') return o.code;
  if (typeof o.Code === 'string') return o.Code;
  return '';
}

const THROTTLED = new Set([
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestLimitExceeded',
  'KMSThrottlingException',
  'TooManyRequestsException',
]);
const AUTH = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'MissingAuthenticationTokenException',
  'CredentialsProviderError',
  'KMSAccessDeniedException',
]);
const CONNECTION = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'TimeoutError',
  'RequestTimeout',
  'NetworkingError',
  'InternalFailure',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalServiceErrorException',
]);

/**
 * Turns any error from an AWS call into a speedlayer error (speedlayer errors pass through).
 * @param what what was being done, e.g. `PutRecords on stream "orders"`.
 */
export function classifyAwsError(e: unknown, what: string): SpeedlayerError {
  if (isSpeedlayerError(e)) return e;
  const name = awsErrorName(e);
  const detail = e instanceof Error ? e.message : String(e);
  const msg = `${what} failed: ${name ? `${name}: ` : ''}${detail}`;
  const options = { cause: e, target: TARGET };
  if (name === 'ResourceNotFoundException') return new NotFoundError(msg, options);
  if (name === 'ResourceInUseException') return new ConflictError(msg, { ...options, retriable: true });
  if (name === 'ConditionalCheckFailedException') return new ConflictError(msg, options);
  if (THROTTLED.has(name)) return new ThrottledError(msg, options);
  if (AUTH.has(name)) return new AuthError(msg, options);
  if (name === 'InvalidArgumentException' || name === 'ValidationException' || name === 'SerializationException') {
    return new ValidationError(msg, options);
  }
  if (name === 'ExpiredIteratorException' || name === 'ExpiredNextTokenException') {
    return new TimeoutError(msg, options);
  }
  if (CONNECTION.has(name) || (e as { $metadata?: unknown })?.$metadata === undefined) {
    return new ConnectionError(msg, options);
  }
  const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
  return new SpeedlayerError('internal', msg, { ...options, retriable: status >= 500 || status === 0 });
}

/** True when the error is DynamoDB's failed condition (a fenced or lost lease). */
export function isConditionFailed(e: unknown): boolean {
  const name = awsErrorName(e);
  return (
    name === 'ConditionalCheckFailedException' ||
    (isSpeedlayerError(e) && e.kind === 'conflict' && awsErrorName(e.cause) === 'ConditionalCheckFailedException')
  );
}
