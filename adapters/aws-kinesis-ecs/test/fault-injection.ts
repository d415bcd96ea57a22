/**
 * Fault injection in front of a real peer: an HTTP handler that forwards every request to moto through the
 * real `NodeHttpHandler` and, by rule, makes some of them fail the way AWS does. moto never fails part of a
 * PutRecords call, never throttles and creates streams ACTIVE at once; these rules give the adapter those
 * answers while every record that is reported written really was written by the peer.
 *
 * - `failRecords(entry, call)`: records for which it returns true are removed from the PutRecords request
 *   before it is forwarded, and reported back as failed (`ProvisionedThroughputExceededException`) in their
 *   place, with `FailedRecordCount` set, exactly like a partial failure.
 * - `throttle(target, call)`: answers HTTP 400 `ProvisionedThroughputExceededException` without forwarding.
 * - `rewrite(target, call, body)`: edits a JSON response (e.g. StreamStatus CREATING).
 * - `error(target, call)`: answers HTTP 400 with the returned AWS error type, without forwarding.
 */
import { Readable } from 'node:stream';
import { NodeHttpHandler } from '@smithy/node-http-handler';

type Json = Record<string, unknown>;

/** Rules of a {@link FaultInjectingHandler}. */
export interface FaultRules {
  failRecords?: (entry: { PartitionKey: string; Data: string }, call: number) => boolean;
  throttle?: (target: string, call: number) => boolean;
  error?: (target: string, call: number) => string | undefined;
  rewrite?: (target: string, call: number, body: Json) => Json;
}

interface Req {
  headers: Record<string, string>;
  body?: unknown;
}

function respond(status: number, body: Json, errorType?: string) {
  const text = JSON.stringify(body);
  return {
    response: {
      statusCode: status,
      reason: status === 200 ? 'OK' : 'Bad Request',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'content-length': String(Buffer.byteLength(text)),
        'x-amzn-requestid': 'fault-injection',
        ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
      },
      body: Readable.from([Buffer.from(text)]),
    },
  };
}

async function readBody(body: unknown): Promise<string> {
  if (body instanceof Readable) {
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(Buffer.from(c as Uint8Array));
    return Buffer.concat(chunks).toString('utf8');
  }
  return String(body ?? '');
}

/** Forwards to the real peer, injecting faults by rule; counts calls per API target. */
export class FaultInjectingHandler {
  readonly calls = new Map<string, number>();
  /** Records removed from PutRecords requests and reported failed. */
  failedRecords = 0;
  private readonly inner = new NodeHttpHandler();

  constructor(private readonly rules: FaultRules) {}

  get metadata() {
    return { handlerProtocol: 'http/1.1' };
  }

  updateHttpClientConfig(key: never, value: never): void {
    this.inner.updateHttpClientConfig(key, value);
  }

  httpHandlerConfigs() {
    return this.inner.httpHandlerConfigs();
  }

  destroy(): void {
    this.inner.destroy();
  }

  async handle(request: Req, options?: Json): Promise<{ response: unknown }> {
    const target = (request.headers['x-amz-target'] ?? request.headers['X-Amz-Target'] ?? '').split('.').pop() ?? '';
    const call = (this.calls.get(target) ?? 0) + 1;
    this.calls.set(target, call);
    const errorType = this.rules.error?.(target, call);
    if (errorType) return respond(400, { __type: errorType, message: `injected ${errorType}` }, errorType);
    if (this.rules.throttle?.(target, call)) {
      return respond(
        400,
        { __type: 'ProvisionedThroughputExceededException', message: 'Rate exceeded (injected)' },
        'ProvisionedThroughputExceededException',
      );
    }
    let failedAt: number[] = [];
    let forward = request;
    if (target === 'PutRecords' && this.rules.failRecords) {
      const body = JSON.parse(
        request.body instanceof Uint8Array ? Buffer.from(request.body).toString('utf8') : String(request.body),
      ) as { StreamName: string; Records: Array<{ PartitionKey: string; Data: string }> };
      const keep: typeof body.Records = [];
      body.Records.forEach((r, i) => {
        if (this.rules.failRecords?.(r, call)) failedAt.push(i);
        else keep.push(r);
      });
      if (failedAt.length === body.Records.length) {
        this.failedRecords += failedAt.length;
        return respond(200, {
          FailedRecordCount: failedAt.length,
          Records: failedAt.map(() => ({
            ErrorCode: 'ProvisionedThroughputExceededException',
            ErrorMessage: 'Rate exceeded for shard (injected)',
          })),
        });
      }
      if (failedAt.length > 0) {
        const text = JSON.stringify({ ...body, Records: keep });
        forward = Object.assign(Object.create(Object.getPrototypeOf(request) as object) as Req, request, {
          body: text,
          headers: { ...request.headers, 'content-length': String(Buffer.byteLength(text)) },
        });
      } else {
        failedAt = [];
      }
    }
    const res = (await this.inner.handle(forward as never, options as never)) as {
      response: { statusCode: number; headers: Record<string, string>; body: unknown };
    };
    if (res.response.statusCode !== 200 || (failedAt.length === 0 && !this.rules.rewrite)) return res;
    let json = JSON.parse(await readBody(res.response.body)) as Json;
    if (failedAt.length > 0) {
      const landed = [...((json.Records as Json[] | undefined) ?? [])];
      const total = landed.length + failedAt.length;
      const merged: Json[] = [];
      for (let i = 0; i < total; i++) {
        merged.push(
          failedAt.includes(i)
            ? { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard (injected)' }
            : (landed.shift() as Json),
        );
      }
      this.failedRecords += failedAt.length;
      json = { ...json, FailedRecordCount: failedAt.length, Records: merged };
    }
    if (this.rules.rewrite) json = this.rules.rewrite(target, call, json);
    return respond(200, json);
  }
}
