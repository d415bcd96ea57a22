/**
 * Event hub and consumer-group administration over an ARM-shaped REST API
 * (`{endpoint}/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.EventHub/namespaces/{ns}/eventhubs/{hub}`
 * and `…/consumergroups/{group}`, `?api-version=…`). On Azure this is Azure Resource Manager with a bearer token
 * from DefaultAzureCredential; locally it is the Event Hubs stand-in's management endpoint (no token).
 *
 * @packageDocumentation
 */
import {
  AuthError,
  ConflictError,
  ConnectionError,
  type Logger,
  NotFoundError,
  redact,
  SpeedlayerError,
  ThrottledError,
  TimeoutError,
  ValidationError,
} from '@speedlayer/core';
import type { EventHubsAmqpConfig } from './config.js';
import { TARGET } from './config.js';

/** The management settings after defaults. */
export type ManagementConfig = NonNullable<EventHubsAmqpConfig['management']>;

/** A source of `Authorization` header values (a bearer token, or a SharedAccessSignature). */
export type TokenSource = () => Promise<string>;

/** An event hub as the management plane reports it. */
export interface HubResource {
  /** Hub name. */
  name: string;
  /** Partition count. */
  partitionCount: number | undefined;
  /** Retention in hours, when reported. */
  retentionHours: number | undefined;
  /** Status (`Active`, …), when reported. */
  status: string | undefined;
}

/** The ARM scope `https://management.azure.com/.default`. */
export const ARM_SCOPE = 'https://management.azure.com/.default';

/** ARM-shaped management client. */
export class ManagementClient {
  private readonly base: string;

  constructor(
    private readonly config: ManagementConfig,
    namespaceName: string,
    private readonly token: TokenSource | undefined,
    private readonly logger: Logger,
  ) {
    const ns = config.namespace ?? namespaceName;
    this.base = `${config.endpoint.replace(/\/+$/, '')}/subscriptions/${encodeURIComponent(config.subscriptionId)}/resourceGroups/${encodeURIComponent(config.resourceGroup)}/providers/Microsoft.EventHub/namespaces/${encodeURIComponent(ns)}`;
  }

  private url(path: string): string {
    return `${this.base}${path}?api-version=${encodeURIComponent(this.config.apiVersion)}`;
  }

  /** One request; returns status and parsed JSON body (or undefined). Maps transport failures. */
  private async request(method: string, path: string, op: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.config.auth !== 'none') {
      if (!this.token) throw new AuthError(`${op}: no credential for the management endpoint`, { target: TARGET });
      try {
        headers.authorization = await this.token();
      } catch (e) {
        throw new AuthError(
          `${op}: could not get a management token (${this.config.auth}): ${redact(String((e as Error)?.message ?? e))}`,
          {
            target: TARGET,
            field: 'management.auth',
            cause: e,
          },
        );
      }
    }
    let res: Response;
    try {
      res = await fetch(this.url(path), {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.config.requestTimeoutMs),
      });
    } catch (e) {
      const err = e as Error;
      if (err?.name === 'TimeoutError') {
        throw new TimeoutError(`${op}: the management endpoint ${this.config.endpoint} did not answer in time`, {
          target: TARGET,
          cause: e,
        });
      }
      throw new ConnectionError(
        `${op}: cannot reach the management endpoint ${this.config.endpoint}: ${redact(String(err?.message ?? e))}`,
        {
          target: TARGET,
          field: 'management.endpoint',
          cause: e,
        },
      );
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    this.logger.debug('eventhubs management request', { method, path, status: res.status });
    return { status: res.status, json };
  }

  private fail(op: string, status: number, json: unknown, what: string, field: string): SpeedlayerError {
    const err = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    const detail = redact(`${err?.code ?? ''} ${err?.message ?? ''}`.trim()).slice(0, 300);
    const text = `${op}: HTTP ${status}${detail ? ` ${detail}` : ''}`;
    if (status === 404)
      return new NotFoundError(`${op}: ${what} does not exist${detail ? ` (${detail})` : ''}`, { target: TARGET, field });
    if (status === 401 || status === 403) return new AuthError(text, { target: TARGET, field: 'management.auth' });
    if (status === 409) return new ConflictError(text, { target: TARGET, retriable: true });
    if (status === 429) return new ThrottledError(text, { target: TARGET });
    if (status === 400) return new ValidationError(text, { target: TARGET, field });
    return new SpeedlayerError('internal', text, { target: TARGET, retriable: status >= 500 });
  }

  private static hub(json: unknown, fallbackName: string): HubResource {
    const j = (json ?? {}) as { name?: string; properties?: Record<string, unknown> };
    const p = j.properties ?? {};
    const days = typeof p.messageRetentionInDays === 'number' ? p.messageRetentionInDays : undefined;
    const rd = p.retentionDescription as { retentionTimeInHours?: number } | undefined;
    const hours =
      typeof rd?.retentionTimeInHours === 'number' ? rd.retentionTimeInHours : days !== undefined ? days * 24 : undefined;
    return {
      name: typeof j.name === 'string' ? j.name : fallbackName,
      partitionCount: typeof p.partitionCount === 'number' ? p.partitionCount : undefined,
      retentionHours: hours,
      status: typeof p.status === 'string' ? p.status : undefined,
    };
  }

  /** Reads a hub; undefined when it does not exist. */
  async getHub(name: string): Promise<HubResource | undefined> {
    const op = `describe event hub ${name}`;
    const { status, json } = await this.request('GET', `/eventhubs/${encodeURIComponent(name)}`, op);
    if (status === 404) return undefined;
    if (status >= 300) throw this.fail(op, status, json, `event hub ${name}`, 'topic');
    return ManagementClient.hub(json, name);
  }

  /** Creates or updates a hub (PUT). */
  async putHub(name: string, partitionCount: number, retentionHours?: number): Promise<HubResource> {
    const op = `create event hub ${name}`;
    const properties: Record<string, unknown> = { partitionCount };
    if (retentionHours !== undefined) properties.messageRetentionInDays = Math.max(1, Math.ceil(retentionHours / 24));
    const { status, json } = await this.request('PUT', `/eventhubs/${encodeURIComponent(name)}`, op, { properties });
    if (status >= 300) throw this.fail(op, status, json, `namespace of event hub ${name}`, 'partitions');
    return ManagementClient.hub(json, name);
  }

  /** Deletes a hub; a missing hub is not an error. */
  async deleteHub(name: string): Promise<void> {
    const op = `delete event hub ${name}`;
    const { status, json } = await this.request('DELETE', `/eventhubs/${encodeURIComponent(name)}`, op);
    if (status === 404 || status < 300) return;
    throw this.fail(op, status, json, `event hub ${name}`, 'topic');
  }

  /** Lists hub names (follows `nextLink`). */
  async listHubs(): Promise<string[]> {
    const op = 'list event hubs';
    const { status, json } = await this.request('GET', '/eventhubs', op);
    if (status >= 300) throw this.fail(op, status, json, 'the namespace', 'management.namespace');
    const out: string[] = [];
    let page = json as { value?: Array<{ name?: string }>; nextLink?: string } | undefined;
    for (let n = 0; page && n < 1000; n++) {
      for (const v of page.value ?? []) if (typeof v.name === 'string') out.push(v.name);
      if (!page.nextLink) break;
      page = await this.followLink(page.nextLink, op);
    }
    return out;
  }

  private async followLink(link: string, op: string): Promise<{ value?: Array<{ name?: string }>; nextLink?: string }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.config.auth !== 'none' && this.token) headers.authorization = await this.token();
    const res = await fetch(link, { headers, signal: AbortSignal.timeout(this.config.requestTimeoutMs) });
    const json = (await res.json().catch(() => undefined)) as { value?: Array<{ name?: string }>; nextLink?: string };
    if (!res.ok) throw this.fail(op, res.status, json, 'the next page', 'management.namespace');
    return json ?? {};
  }

  /** True when the consumer group exists. */
  async hasConsumerGroup(hub: string, group: string): Promise<boolean> {
    const op = `describe consumer group ${group} of ${hub}`;
    const { status, json } = await this.request(
      'GET',
      `/eventhubs/${encodeURIComponent(hub)}/consumergroups/${encodeURIComponent(group)}`,
      op,
    );
    if (status === 404) return false;
    if (status >= 300) throw this.fail(op, status, json, `consumer group ${group}`, 'group');
    return true;
  }

  /** Creates a consumer group (idempotent PUT). */
  async putConsumerGroup(hub: string, group: string): Promise<void> {
    const op = `create consumer group ${group} of ${hub}`;
    const { status, json } = await this.request(
      'PUT',
      `/eventhubs/${encodeURIComponent(hub)}/consumergroups/${encodeURIComponent(group)}`,
      op,
      { properties: {} },
    );
    if (status >= 300) throw this.fail(op, status, json, `event hub ${hub}`, status === 404 ? 'topic' : 'group');
  }
}
