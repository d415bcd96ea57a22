/**
 * The stand-in's management plane: a tiny HTTP server whose paths follow Azure Resource Manager's REST paths
 * for Event Hubs, so the same adapter code can call real ARM (`https://management.azure.com`, a bearer token)
 * or the stand-in (its endpoint, a SAS token for the namespace):
 *
 * - `GET    {ns}` — the namespace
 * - `GET    {ns}/eventhubs` — list hubs
 * - `PUT    {ns}/eventhubs/{hub}` with `{"properties":{"partitionCount":N}}` — create (idempotent)
 * - `GET    {ns}/eventhubs/{hub}`, `DELETE {ns}/eventhubs/{hub}`
 * - `GET    {ns}/eventhubs/{hub}/consumergroups` — list consumer groups
 * - `PUT|GET|DELETE {ns}/eventhubs/{hub}/consumergroups/{group}`
 *
 * where `{ns}` is `/subscriptions/{any}/resourceGroups/{any}/providers/Microsoft.EventHub/namespaces/{namespace}`
 * and every request carries `?api-version=...`. Authorization: `SharedAccessSignature ...` signed with a
 * namespace key for the whole namespace. Errors use ARM's body shape `{"error":{"code","message"}}`.
 *
 * @packageDocumentation
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySasToken } from './sas.js';
import type { Hub, Store } from './store.js';

const NS_PATH =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.EventHub\/namespaces\/([^/]+)(?:\/eventhubs(?:\/([^/]+)(?:\/consumergroups(?:\/([^/]+))?)?)?)?\/?$/i;

/** Largest request body accepted, bytes. */
const MAX_BODY = 64 * 1024;

/** Settings of the management plane. */
export interface ManagementSideOptions {
  /** Interface to listen on. */
  host: string;
  /** Port (0 = ephemeral). */
  port: number;
  /** Namespace name (the last segment of the namespace resource id). */
  namespace: string;
  /** Shared access keys by name. */
  keys: ReadonlyMap<string, string>;
  /** The AMQP endpoint, `sb://host:port/`, reported as the namespace's `serviceBusEndpoint`. */
  serviceBusEndpoint: () => string;
  /** Progress lines (never secrets). */
  log: (line: string) => void;
}

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new HttpProblem(413, 'RequestEntityTooLarge', `the request body exceeds ${MAX_BODY} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The HTTP management plane of the stand-in. */
export class ManagementSide {
  private server: Server | undefined;

  constructor(
    private readonly store: Store,
    private readonly options: ManagementSideOptions,
  ) {}

  /** Starts listening; resolves with the bound port. */
  async listen(): Promise<number> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        const p =
          e instanceof HttpProblem ? e : new HttpProblem(500, 'InternalServerError', 'Event Hubs stand-in internal error');
        if (!(e instanceof HttpProblem)) this.options.log(`management: ${e instanceof Error ? e.message : String(e)}`);
        this.send(res, p.status, { error: { code: p.code, message: p.message } });
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  /** Stops listening and drops open connections. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private send(res: ServerResponse, status: number, body?: unknown): void {
    if (res.headersSent) return;
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const m = NS_PATH.exec(url.pathname);
    if (!m) throw new HttpProblem(404, 'NotFound', `no such resource path '${url.pathname}'`);
    if (!url.searchParams.get('api-version')) {
      throw new HttpProblem(
        400,
        'MissingApiVersionParameter',
        'The api-version query parameter (?api-version=) is required for all requests.',
      );
    }
    this.authorize(req.headers.authorization);
    const [, subscription = '', group = '', namespace = '', hubName, cgName] = m;
    if (namespace.toLowerCase() !== this.options.namespace.toLowerCase()) {
      throw new HttpProblem(404, 'ResourceNotFound', `The Resource 'Microsoft.EventHub/namespaces/${namespace}' was not found.`);
    }
    const nsId = `/subscriptions/${subscription}/resourceGroups/${group}/providers/Microsoft.EventHub/namespaces/${this.options.namespace}`;
    const method = (req.method ?? 'GET').toUpperCase();
    const body = method === 'PUT' ? await readBody(req) : '';
    const isCgCollection = /\/consumergroups\/?$/i.test(url.pathname);
    const isHubCollection = /\/eventhubs\/?$/i.test(url.pathname);

    if (hubName === undefined && !isHubCollection) {
      if (method !== 'GET')
        throw new HttpProblem(405, 'MethodNotAllowed', `${method} is not supported on a namespace by the stand-in`);
      return this.send(res, 200, {
        id: nsId,
        name: this.options.namespace,
        type: 'Microsoft.EventHub/Namespaces',
        location: 'stand-in',
        properties: { serviceBusEndpoint: this.options.serviceBusEndpoint(), status: 'Active', provisioningState: 'Succeeded' },
      });
    }
    if (isHubCollection) {
      if (method !== 'GET') throw new HttpProblem(405, 'MethodNotAllowed', `${method} is not supported on a collection`);
      return this.send(res, 200, { value: this.store.list().map((h) => this.hubResource(nsId, h)) });
    }
    const hubId = decodeURIComponent(hubName as string);
    if (cgName === undefined && !isCgCollection) {
      if (method === 'PUT') {
        let partitionCount = 4;
        if (body.trim() !== '') {
          let parsed: { properties?: { partitionCount?: unknown } };
          try {
            parsed = JSON.parse(body) as typeof parsed;
          } catch {
            throw new HttpProblem(400, 'InvalidRequestContent', 'the request body is not valid JSON');
          }
          const pc = parsed.properties?.partitionCount;
          if (pc !== undefined) {
            if (typeof pc !== 'number') throw new HttpProblem(400, 'BadRequest', 'properties.partitionCount must be a number');
            partitionCount = pc;
          }
        }
        try {
          const { hub, created } = this.store.create(hubId, partitionCount);
          if (created) this.options.log(`management: created event hub '${hub.name}' with ${partitionCount} partitions`);
          return this.send(res, 200, this.hubResource(nsId, hub));
        } catch (e) {
          const code = (e as { code?: string }).code;
          throw new HttpProblem(
            code === 'conflict' ? 409 : 400,
            code === 'conflict' ? 'Conflict' : 'BadRequest',
            (e as Error).message,
          );
        }
      }
      const hub = this.store.hub(hubId);
      if (method === 'GET') {
        if (!hub) throw new HttpProblem(404, 'NotFound', `The event hub '${hubId}' was not found.`);
        return this.send(res, 200, this.hubResource(nsId, hub));
      }
      if (method === 'DELETE') {
        const existed = this.store.delete(hubId);
        if (existed) this.options.log(`management: deleted event hub '${hubId}'`);
        return this.send(res, existed ? 200 : 204);
      }
      throw new HttpProblem(405, 'MethodNotAllowed', `${method} is not supported on an event hub`);
    }
    const hub = this.store.hub(hubId);
    if (!hub) throw new HttpProblem(404, 'NotFound', `The event hub '${hubId}' was not found.`);
    if (isCgCollection) {
      if (method !== 'GET') throw new HttpProblem(405, 'MethodNotAllowed', `${method} is not supported on a collection`);
      return this.send(res, 200, { value: [...hub.consumerGroups.values()].map((g) => this.groupResource(nsId, hub, g)) });
    }
    const groupName = decodeURIComponent(cgName as string);
    const key = groupName.toLowerCase();
    if (method === 'PUT') {
      if (!/^[A-Za-z0-9$][A-Za-z0-9._-]{0,49}$/.test(groupName)) {
        throw new HttpProblem(400, 'BadRequest', `invalid consumer group name '${groupName}'`);
      }
      if (!hub.consumerGroups.has(key)) hub.consumerGroups.set(key, { name: groupName, createdAt: new Date() });
      return this.send(res, 200, this.groupResource(nsId, hub, hub.consumerGroups.get(key) as { name: string; createdAt: Date }));
    }
    const g = hub.consumerGroups.get(key);
    if (method === 'GET') {
      if (!g) throw new HttpProblem(404, 'NotFound', `The consumer group '${groupName}' was not found.`);
      return this.send(res, 200, this.groupResource(nsId, hub, g));
    }
    if (method === 'DELETE') {
      if (key === '$default') throw new HttpProblem(400, 'BadRequest', 'The $Default consumer group cannot be deleted.');
      return this.send(res, hub.consumerGroups.delete(key) ? 200 : 204);
    }
    throw new HttpProblem(405, 'MethodNotAllowed', `${method} is not supported on a consumer group`);
  }

  private authorize(header: string | undefined): void {
    if (!header)
      throw new HttpProblem(401, 'AuthenticationFailed', 'Authentication failed. The Authorization header is missing.');
    if (!header.startsWith('SharedAccessSignature ')) {
      throw new HttpProblem(
        401,
        'AuthenticationFailed',
        'The Event Hubs stand-in accepts only a SharedAccessSignature for the namespace (real ARM takes a Microsoft Entra ID bearer token).',
      );
    }
    const verdict = verifySasToken(header, this.options.keys, undefined);
    if (!verdict.ok) throw new HttpProblem(401, 'AuthenticationFailed', verdict.description);
    const path = verdict.resource.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '').replace(/^\/+|\/+$/g, '');
    if (path !== '') {
      throw new HttpProblem(403, 'AuthorizationFailed', `the token is for '${verdict.resource}', not for the whole namespace`);
    }
  }

  private hubResource(nsId: string, hub: Hub): unknown {
    const created = hub.createdAt.toISOString();
    return {
      id: `${nsId}/eventhubs/${hub.name}`,
      name: hub.name,
      type: 'Microsoft.EventHub/namespaces/eventhubs',
      location: 'stand-in',
      properties: {
        partitionCount: hub.partitions.length,
        partitionIds: hub.partitions.map((p) => p.id),
        createdAt: created,
        updatedAt: created,
        status: 'Active',
        messageRetentionInDays: 1,
      },
    };
  }

  private groupResource(nsId: string, hub: Hub, g: { name: string; createdAt: Date }): unknown {
    const created = g.createdAt.toISOString();
    return {
      id: `${nsId}/eventhubs/${hub.name}/consumergroups/${g.name}`,
      name: g.name,
      type: 'Microsoft.EventHub/namespaces/eventhubs/consumergroups',
      location: 'stand-in',
      properties: { createdAt: created, updatedAt: created },
    };
  }
}
