/**
 * The stand-in's AMQP 1.0 side, on `rhea`: SASL (ANONYMOUS, or PLAIN with the key), the `$cbs` node (SAS
 * put-token), the `$management` node (event hub and partition READ), sender links to `<hub>` and
 * `<hub>/Partitions/<id>` (batched publications, message size limit, sequence numbers/offsets/enqueued times)
 * and receiver links to `<hub>/ConsumerGroups/<group>/Partitions/<id>` (selector filter, link credit, owner
 * level/epoch, last-enqueued runtime metric).
 *
 * @packageDocumentation
 */

import type { AddressInfo, Socket } from 'node:net';
import rhea, { type Connection, type EventContext, type Message, type Receiver, type Sender } from 'rhea';
import { type SasVerdict, verifySasToken } from './sas.js';
import { type Hub, type Partition, parseSelector, type StartPosition, type Store, startIndex } from './store.js';

const { types } = rhea;

/** `x-opt-batch` message format of a batched publication. */
const BATCH_FORMAT = 0x80013700;
/** Descriptor of the `apache.org:selector-filter:string` filter. */
const SELECTOR_FILTER = 'apache.org:selector-filter:string';
const SELECTOR_FILTER_CODE = 0x468c00000004;
const EPOCH_PROPERTY = 'com.microsoft:epoch';
const RUNTIME_METRIC = 'com.microsoft:enable-receiver-runtime-metric';
const IDEMPOTENT_PRODUCER = 'com.microsoft:idempotent-producer';
/** Non-epoch receivers per consumer group and partition (Event Hubs quota). */
const MAX_NON_EPOCH_RECEIVERS = 5;

/** An AMQP error condition and description. */
interface LinkRefusal {
  condition: string;
  description: string;
}

/** Settings of the AMQP side. */
export interface AmqpSideOptions {
  /** Interface to listen on. */
  host: string;
  /** Port (0 = ephemeral). */
  port: number;
  /** Shared access keys by name. */
  keys: ReadonlyMap<string, string>;
  /** Largest publication (event or batch), bytes. */
  maxMessageBytes: number;
  /** Accept `jwt` put-tokens without verifying their signature. */
  acceptUnverifiedJwt: boolean;
  /** Progress lines (never secrets). */
  log: (line: string) => void;
}

/** A consumer's receiver, served by one of our sender links. */
interface ConsumerLink {
  sender: Sender;
  hub: Hub;
  groupKey: string;
  partition: Partition;
  epoch: number | undefined;
  next: number;
  runtimeMetric: boolean;
  unsubscribe: () => void;
}

/** Authorized audiences of one connection (paths without scheme and host), with expiry in unix seconds. */
type Claims = Map<string, number>;

/** The path part of a resource URI: no scheme, no authority, lower case, no surrounding slashes. */
function audiencePath(uri: string): string {
  const noScheme = uri.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const slash = noScheme.indexOf('/');
  const path = /^[a-z][a-z0-9+.-]*:\/\//i.test(uri.trim()) ? (slash === -1 ? '' : noScheme.slice(slash + 1)) : noScheme;
  return path.replace(/^\/+|\/+$/g, '').toLowerCase();
}

/** True when the path `granted` covers the path `wanted` (an empty grant is the whole namespace). */
function pathCovers(granted: string, wanted: string): boolean {
  return granted === '' || wanted === granted || wanted.startsWith(`${granted}/`);
}

/** The attach frame the peer sent for a link. */
function remoteAttach(link: Sender | Receiver): Record<string, unknown> {
  return (link as unknown as { remote: { attach?: Record<string, unknown> } }).remote.attach ?? {};
}

/** The address of a link's remote target (for our receivers) or source (for our senders). */
function remoteAddress(link: Sender | Receiver, end: 'source' | 'target'): string {
  const t = remoteAttach(link)[end] as { address?: unknown } | undefined;
  return typeof t?.address === 'string' ? t.address : '';
}

/** Echoes the peer's source and target addresses in our attach (a refused link keeps them null). */
function echoTermini(link: Sender | Receiver, filter?: Record<string, unknown>): undefined {
  const attach = remoteAttach(link);
  const source = attach.source as { address?: unknown } | undefined;
  const target = attach.target as { address?: unknown } | undefined;
  const src: { address?: string; filter?: Record<string, unknown> } = {};
  if (typeof source?.address === 'string') src.address = source.address;
  if (filter) src.filter = filter;
  link.set_source(src as Parameters<Sender['set_source']>[0]);
  link.set_target(
    (typeof target?.address === 'string' ? { address: target.address } : {}) as Parameters<Sender['set_target']>[0],
  );
}

function stringProp(props: Record<string, unknown> | undefined, name: string): string | undefined {
  const v = props?.[name];
  return typeof v === 'string' ? v : undefined;
}

function notFound(what: string): LinkRefusal {
  return {
    condition: 'amqp:not-found',
    description: `The messaging entity '${what}' could not be found. (Event Hubs stand-in)`,
  };
}

/** The AMQP server of the stand-in. */
export class AmqpSide {
  private readonly container = rhea.create_container({ id: 'eventhubs-standin' });
  private server: ReturnType<typeof rhea.listen> | undefined;
  /** Every accepted TCP socket, also those whose AMQP open has not arrived yet (a client reconnecting). */
  private readonly sockets = new Set<Socket>();
  private readonly claims = new WeakMap<Connection, Claims>();
  private readonly consumers = new Set<ConsumerLink>();
  private readonly consumerBySender = new WeakMap<Sender, ConsumerLink>();
  private readonly connections = new Set<Connection>();
  private readonly unsubscribeDelete: () => void;

  constructor(
    private readonly store: Store,
    private readonly options: AmqpSideOptions,
  ) {
    const mechs = this.container.sasl_server_mechanisms;
    mechs.enable_anonymous();
    mechs.enable_plain((username: string, password: string) => options.keys.get(username) === password);
    this.container.on('connection_open', (ctx: EventContext) => {
      this.connections.add(ctx.connection);
    });
    this.container.on('disconnected', (ctx: EventContext) => this.dropConnection(ctx.connection));
    this.container.on('connection_close', (ctx: EventContext) => this.dropConnection(ctx.connection));
    this.container.on('receiver_open', (ctx: EventContext) => this.onPublisherAttach(ctx));
    this.container.on('sender_open', (ctx: EventContext) => this.onConsumerAttach(ctx));
    this.container.on('message', (ctx: EventContext) => this.onMessage(ctx));
    this.container.on('sendable', (ctx: EventContext) => {
      const c = ctx.sender ? this.consumerBySender.get(ctx.sender) : undefined;
      if (c) this.pump(c);
    });
    this.container.on('sender_close', (ctx: EventContext) => {
      const c = ctx.sender ? this.consumerBySender.get(ctx.sender) : undefined;
      if (c) this.removeConsumer(c);
    });
    // Errors on links and connections are the peer's business; keep the server up.
    this.container.on('error', (e: unknown) => options.log(`amqp error: ${e instanceof Error ? e.message : String(e)}`));
    this.unsubscribeDelete = store.onDelete((hubKey) => {
      for (const c of [...this.consumers]) {
        if (c.hub.name.toLowerCase() === hubKey) {
          this.removeConsumer(c);
          c.sender.close(notFound(c.hub.name));
        }
      }
    });
  }

  /** Starts listening; resolves with the bound port. */
  async listen(): Promise<number> {
    const server = this.container.listen({
      host: this.options.host,
      port: this.options.port,
      // Deliveries are settled by us: accepted after storing, or rejected (size limit).
      autoaccept: false,
    } as Parameters<typeof rhea.listen>[0]);
    this.server = server;
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', () => resolve());
      server.once('error', reject);
    });
    return (server.address() as AddressInfo).port;
  }

  /**
   * Closes every connection and stops listening. The listener stops accepting first; then AMQP connections get a
   * close frame and, 50 ms later, every socket is destroyed — also sockets of clients that were reconnecting and had
   * not opened their AMQP connection yet (before, those kept `server.close()` waiting for ever).
   */
  async close(): Promise<void> {
    this.unsubscribeDelete();
    const server = this.server;
    this.server = undefined;
    const stopped = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    for (const c of this.connections) {
      try {
        c.close();
      } catch {
        // Already gone.
      }
    }
    await new Promise<void>((resolve) => setTimeout(resolve, 50));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.connections.clear();
    await stopped;
  }

  private dropConnection(connection: Connection): void {
    this.connections.delete(connection);
    for (const c of [...this.consumers]) if (c.sender.connection === connection) this.removeConsumer(c);
  }

  // --- authorization --------------------------------------------------------------------------------------

  private claimsOf(connection: Connection): Claims {
    let claims = this.claims.get(connection);
    if (!claims) {
      claims = new Map();
      this.claims.set(connection, claims);
    }
    return claims;
  }

  /** True when the connection holds an unexpired claim covering the entity path. */
  private authorized(connection: Connection, entityPath: string): boolean {
    const now = Math.floor(Date.now() / 1000);
    const wanted = audiencePath(entityPath);
    for (const [granted, expiresAt] of this.claimsOf(connection)) {
      if (expiresAt > now && pathCovers(granted, wanted)) return true;
    }
    return false;
  }

  /** Verifies a put-token; JWTs are accepted unverified only when configured. */
  private verifyToken(type: string | undefined, token: unknown, audience: string): SasVerdict {
    if (typeof token !== 'string') return { ok: false, reason: 'malformed', description: 'the token is not a string' };
    if (type === 'jwt') {
      if (!this.options.acceptUnverifiedJwt) {
        return {
          ok: false,
          reason: 'malformed',
          description: 'the Event Hubs stand-in cannot verify Microsoft Entra ID (jwt) tokens; use a SAS key',
        };
      }
      try {
        const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
        const exp = typeof payload.exp === 'number' ? payload.exp : 0;
        if (exp <= Date.now() / 1000) return { ok: false, reason: 'expired', description: 'ExpiredToken: the jwt has expired' };
        return { ok: true, resource: audience, expiresAt: exp, keyName: 'jwt' };
      } catch {
        return { ok: false, reason: 'malformed', description: 'the jwt could not be decoded' };
      }
    }
    if (type !== 'servicebus.windows.net:sastoken') {
      return { ok: false, reason: 'malformed', description: `unsupported token type '${String(type)}'` };
    }
    return verifySasToken(token, this.options.keys, audience);
  }

  // --- links ----------------------------------------------------------------------------------------------

  private refuse(link: Sender | Receiver, refusal: LinkRefusal): undefined {
    this.options.log(`refused link '${link.name}': ${refusal.condition}: ${refusal.description}`);
    link.close(refusal);
  }

  /** A client sender attached: our receiver link. */
  private onPublisherAttach(ctx: EventContext): undefined {
    const receiver = ctx.receiver as Receiver;
    const address = remoteAddress(receiver, 'target');
    if (address === '$cbs' || address === '$management') return echoTermini(receiver);
    const m = /^([^/]+)(?:\/Partitions\/([^/]+))?$/i.exec(address);
    const hub = m ? this.store.hub(m[1] as string) : undefined;
    if (!m || !hub) return this.refuse(receiver, notFound(address));
    if (m[2] !== undefined && !hub.partition(m[2])) return this.refuse(receiver, notFound(address));
    if (!this.authorized(ctx.connection, address)) {
      return this.refuse(receiver, {
        condition: 'amqp:unauthorized-access',
        description: `Unauthorized access. 'Send' claim(s) are required to perform this operation. Resource: '${address}'. (Event Hubs stand-in)`,
      });
    }
    const desired = remoteAttach(receiver).desired_capabilities;
    if ((Array.isArray(desired) ? desired : [desired]).includes(IDEMPOTENT_PRODUCER)) {
      return this.refuse(receiver, {
        condition: 'amqp:not-implemented',
        description: 'Idempotent publishing (com.microsoft:idempotent-producer) is not implemented by the Event Hubs stand-in.',
      });
    }
    // Advertise the size limit, as the service does; the client sizes its batches from it.
    (receiver as unknown as { local: { attach: { max_message_size?: unknown } } }).local.attach.max_message_size =
      this.options.maxMessageBytes;
    echoTermini(receiver);
  }

  /** A client receiver attached: our sender link. */
  private onConsumerAttach(ctx: EventContext): undefined {
    const sender = ctx.sender as Sender;
    const attach = remoteAttach(sender);
    const source = attach.source as { address?: string; filter?: Record<string, unknown> } | undefined;
    const address = source?.address ?? '';
    if (address === '$cbs' || address === '$management') return echoTermini(sender);
    const m = /^([^/]+)\/ConsumerGroups\/([^/]+)\/Partitions\/([^/]+)$/i.exec(address);
    if (!m) return this.refuse(sender, notFound(address));
    const [, hubName = '', group = '', partitionId = ''] = m;
    const hub = this.store.hub(hubName);
    if (!hub) return this.refuse(sender, notFound(hubName));
    const groupKey = group.toLowerCase();
    if (!hub.consumerGroups.has(groupKey)) return this.refuse(sender, notFound(`${hub.name}/ConsumerGroups/${group}`));
    const partition = hub.partition(partitionId);
    if (!partition) return this.refuse(sender, notFound(address));
    if (!this.authorized(ctx.connection, address)) {
      return this.refuse(sender, {
        condition: 'amqp:unauthorized-access',
        description: `Unauthorized access. 'Listen' claim(s) are required to perform this operation. Resource: '${address}'. (Event Hubs stand-in)`,
      });
    }
    const filter = source?.filter?.[SELECTOR_FILTER] as { value?: unknown } | string | undefined;
    const selector = typeof filter === 'string' ? filter : typeof filter?.value === 'string' ? filter.value : undefined;
    let position: StartPosition | undefined = { kind: 'offset', offset: -1n, inclusive: false };
    if (selector !== undefined) position = parseSelector(selector);
    if (!position) {
      return this.refuse(sender, {
        condition: 'amqp:invalid-field',
        description: `The selector filter '${String(selector)}' is not supported. (Event Hubs stand-in)`,
      });
    }
    const epochRaw = (attach.properties as Record<string, unknown> | undefined)?.[EPOCH_PROPERTY];
    const epoch = typeof epochRaw === 'number' ? epochRaw : typeof epochRaw === 'bigint' ? Number(epochRaw) : undefined;

    // Owner level: a higher or equal epoch takes over; a lower one, or a non-epoch receiver while an epoch
    // receiver exists, is refused with amqp:link:stolen, as the service does.
    const peers = [...this.consumers].filter((c) => c.hub === hub && c.groupKey === groupKey && c.partition === partition);
    const epochPeers = peers.filter((c) => c.epoch !== undefined);
    const highest = Math.max(...epochPeers.map((c) => c.epoch as number));
    if (epoch === undefined) {
      if (epochPeers.length > 0) {
        return this.refuse(sender, {
          condition: 'amqp:link:stolen',
          description: `At least one receiver for the endpoint is created with epoch of '${highest}', and so non-epoch receiver is not allowed. Either reconnect with a higher epoch, or make sure all epoch receivers are closed or disconnected. (Event Hubs stand-in)`,
        });
      }
      if (peers.length >= MAX_NON_EPOCH_RECEIVERS) {
        return this.refuse(sender, {
          condition: 'amqp:resource-limit-exceeded',
          description: `Exceeded the maximum number of allowed receivers per partition in a consumer group which is ${MAX_NON_EPOCH_RECEIVERS}. (Event Hubs stand-in)`,
        });
      }
    } else {
      if (epochPeers.length > 0 && highest > epoch) {
        return this.refuse(sender, {
          condition: 'amqp:link:stolen',
          description: `Receiver with epoch '${epoch}' cannot be created because a receiver with a higher epoch '${highest}' exists. (Event Hubs stand-in)`,
        });
      }
      for (const c of peers) {
        this.removeConsumer(c);
        this.options.log(`link '${c.sender.name}' stolen by a receiver with epoch ${epoch}`);
        c.sender.close({
          condition: 'amqp:link:stolen',
          description:
            c.epoch === undefined
              ? `New receiver with epoch of '${epoch}' is created hence current non-epoch receiver is getting disconnected. (Event Hubs stand-in)`
              : `New receiver '${sender.name}' with higher epoch of '${epoch}' is created hence current receiver '${c.sender.name}' with epoch '${c.epoch}' is getting disconnected. (Event Hubs stand-in)`,
        });
      }
    }

    const desired = attach.desired_capabilities;
    const wanted = Array.isArray(desired) ? desired : desired !== undefined ? [desired] : [];
    const runtimeMetric = wanted.includes(RUNTIME_METRIC);
    const local = (sender as unknown as { local: { attach: Record<string, unknown> } }).local.attach;
    // Events go out pre-settled, as the service sends them.
    local.snd_settle_mode = 1;
    if (runtimeMetric) local.offered_capabilities = [RUNTIME_METRIC];
    echoTermini(
      sender,
      selector !== undefined ? { [SELECTOR_FILTER]: types.wrap_described(selector, SELECTOR_FILTER_CODE) } : undefined,
    );

    const consumer: ConsumerLink = {
      sender,
      hub,
      groupKey,
      partition,
      epoch,
      next: startIndex(partition, position),
      runtimeMetric,
      unsubscribe: () => {},
    };
    consumer.unsubscribe = partition.onAppend(() => this.pump(consumer));
    this.consumers.add(consumer);
    this.consumerBySender.set(sender, consumer);
    this.pump(consumer);
  }

  private removeConsumer(c: ConsumerLink): void {
    c.unsubscribe();
    this.consumers.delete(c);
    this.consumerBySender.delete(c.sender);
  }

  /** Sends events while the consumer has credit. */
  private pump(c: ConsumerLink): void {
    if (!this.consumers.has(c)) return;
    const events = c.partition.events;
    while (c.next < events.length && c.sender.sendable()) {
      const e = events[c.next++];
      if (!e) break;
      const annotations: Record<string, unknown> = {
        ...(e.message.message_annotations ?? {}),
        'x-opt-sequence-number': types.wrap_long(e.sequenceNumber),
        'x-opt-offset': e.offset,
        'x-opt-enqueued-time': types.wrap_timestamp(e.enqueuedTimeMs),
      };
      if (e.partitionKey !== undefined) annotations['x-opt-partition-key'] = e.partitionKey;
      const out: Message = { ...e.message, message_annotations: annotations };
      if (c.runtimeMetric) {
        const last = events.at(-1) as (typeof events)[number];
        out.delivery_annotations = {
          last_enqueued_sequence_number: types.wrap_long(last.sequenceNumber),
          last_enqueued_offset: last.offset,
          last_enqueued_time_utc: types.wrap_timestamp(last.enqueuedTimeMs),
          runtime_info_retrieval_time_utc: types.wrap_timestamp(Date.now()),
        };
      }
      c.sender.send(out);
    }
  }

  // --- messages -------------------------------------------------------------------------------------------

  private onMessage(ctx: EventContext): undefined {
    const receiver = ctx.receiver as Receiver;
    const delivery = ctx.delivery;
    const address = remoteAddress(receiver, 'target');
    if (!receiver.is_open()) {
      // A transfer that raced with our refusal (detach) of the link: never store it.
      delivery?.reject({ condition: 'amqp:link:detach-forced', description: 'the link was refused or closed' });
      return;
    }
    try {
      if (address === '$cbs') this.onCbs(ctx);
      else if (address === '$management') this.onManagement(ctx);
      else return this.onPublish(ctx, address);
      delivery?.accept();
    } catch (e) {
      this.options.log(`internal error on '${address}': ${e instanceof Error ? e.message : String(e)}`);
      delivery?.reject({ condition: 'amqp:internal-error', description: 'Event Hubs stand-in internal error' });
    }
  }

  /** Sends a response on the connection's link whose target address or name is the request's reply-to. */
  private reply(
    ctx: EventContext,
    request: Message,
    status: number,
    description: string,
    body?: unknown,
    condition?: string,
  ): undefined {
    const replyTo = request.reply_to;
    const session = ctx.connection;
    const links = (session as unknown as { find_sender(filter: (s: Sender) => boolean): Sender | undefined }).find_sender(
      (s) => remoteAddress(s, 'target') === replyTo || s.name === replyTo,
    );
    if (!links) {
      this.options.log(`no reply link for reply-to '${String(replyTo)}'`);
      return;
    }
    const props: Record<string, unknown> = { 'status-code': types.wrap_int(status), 'status-description': description };
    if (condition) props['error-condition'] = types.wrap_symbol(condition);
    const response = {
      correlation_id: request.message_id,
      to: replyTo,
      application_properties: props,
    } as Message;
    if (body !== undefined) response.body = body;
    links.send(response);
  }

  private onCbs(ctx: EventContext): undefined {
    const request = ctx.message as Message;
    const props = request.application_properties as Record<string, unknown> | undefined;
    const operation = stringProp(props, 'operation');
    const name = stringProp(props, 'name');
    const type = stringProp(props, 'type');
    if (operation !== 'put-token' || name === undefined) {
      return this.reply(ctx, request, 400, `unsupported $cbs operation '${String(operation)}'`);
    }
    const verdict = this.verifyToken(type, request.body, name);
    if (!verdict.ok) {
      this.options.log(`put-token for '${name}' refused: ${verdict.description}`);
      return this.reply(ctx, request, 401, verdict.description, undefined, 'amqp:unauthorized-access');
    }
    this.claimsOf(ctx.connection).set(audiencePath(name), verdict.expiresAt);
    this.reply(ctx, request, 200, 'Welcome!');
  }

  private onManagement(ctx: EventContext): undefined {
    const request = ctx.message as Message;
    const props = request.application_properties as Record<string, unknown> | undefined;
    const operation = stringProp(props, 'operation');
    const type = stringProp(props, 'type');
    const name = stringProp(props, 'name') ?? '';
    if (operation !== 'READ' || (type !== 'com.microsoft:eventhub' && type !== 'com.microsoft:partition')) {
      return this.reply(ctx, request, 400, `unsupported $management operation '${String(operation)}' on '${String(type)}'`);
    }
    // The request carries a token for the hub, or the connection holds a claim for it.
    const token = props?.security_token;
    const viaToken =
      token !== undefined && token !== null
        ? this.verifyToken(
            String(token).startsWith('SharedAccessSignature ') ? 'servicebus.windows.net:sastoken' : 'jwt',
            token,
            name,
          )
        : undefined;
    const allowed =
      viaToken?.ok === true || this.authorized(ctx.connection, name) || this.authorized(ctx.connection, `${name}/$management`);
    if (!allowed) {
      return this.reply(
        ctx,
        request,
        401,
        viaToken && !viaToken.ok ? viaToken.description : `Unauthorized access to '${name}'. (Event Hubs stand-in)`,
        undefined,
        'amqp:unauthorized-access',
      );
    }
    const hub = this.store.hub(name);
    if (!hub) return this.reply(ctx, request, 404, notFound(name).description, undefined, 'amqp:not-found');
    if (type === 'com.microsoft:eventhub') {
      return this.reply(
        ctx,
        request,
        200,
        'OK',
        types.wrap_map({
          name: hub.name,
          type: 'com.microsoft:eventhub',
          created_at: types.wrap_timestamp(hub.createdAt.getTime()),
          partition_count: types.wrap_int(hub.partitions.length),
          partition_ids: types.wrap_array(
            hub.partitions.map((p) => p.id),
            0xa1,
            undefined,
          ),
        }),
      );
    }
    const partitionId = stringProp(props, 'partition') ?? '';
    const partition = hub.partition(partitionId);
    if (!partition) {
      return this.reply(
        ctx,
        request,
        404,
        notFound(`${hub.name}/Partitions/${partitionId}`).description,
        undefined,
        'amqp:not-found',
      );
    }
    const first = partition.events[0];
    const last = partition.events.at(-1);
    this.reply(
      ctx,
      request,
      200,
      'OK',
      types.wrap_map({
        name: hub.name,
        type: 'com.microsoft:partition',
        partition: partition.id,
        begin_sequence_number: types.wrap_long(first ? first.sequenceNumber : -1),
        last_enqueued_sequence_number: types.wrap_long(last ? last.sequenceNumber : -1),
        last_enqueued_offset: last ? last.offset : '-1',
        last_enqueued_time_utc: types.wrap_timestamp(last ? last.enqueuedTimeMs : 0),
        is_partition_empty: last === undefined,
      }),
    );
  }

  /** A publication: one event (format 0) or a batch (`x-opt-batch`), stored whole or not at all. */
  private onPublish(ctx: EventContext, address: string): undefined {
    const delivery = ctx.delivery;
    if (!delivery) return;
    const format = (ctx as { format?: number }).format ?? 0;
    const m = /^([^/]+)(?:\/Partitions\/([^/]+))?$/i.exec(address);
    const hub = m ? this.store.hub(m[1] as string) : undefined;
    if (!m || !hub) {
      delivery.reject(notFound(address));
      return;
    }
    let envelope: Message;
    let bytes: number;
    if (format === BATCH_FORMAT) {
      const raw = ctx.message as unknown as Buffer;
      bytes = raw.length;
      envelope = rhea.message.decode(raw) as unknown as Message;
    } else if (format === 0) {
      envelope = ctx.message as Message;
      bytes = rhea.message.encode(envelope).length;
    } else {
      delivery.reject({ condition: 'amqp:not-implemented', description: `message format ${format} is not supported` });
      return;
    }
    if (bytes > this.options.maxMessageBytes) {
      this.options.log(`rejected a ${bytes}-byte publication to '${address}' (limit ${this.options.maxMessageBytes})`);
      delivery.reject({
        condition: 'amqp:link:message-size-exceeded',
        description: `The received message (delivery-id:${delivery.id}, size:${bytes} bytes) exceeds the limit (${this.options.maxMessageBytes} bytes) currently allowed on the link. (Event Hubs stand-in)`,
      });
      return;
    }
    const envelopeKey = (envelope.message_annotations as Record<string, unknown> | undefined)?.['x-opt-partition-key'];
    let inner: Message[];
    if (format === BATCH_FORMAT) {
      const body = envelope.body as { content?: unknown; multiple?: boolean } | undefined;
      const sections = body?.multiple ? (body.content as Buffer[]) : body?.content !== undefined ? [body.content as Buffer] : [];
      inner = sections.map((s) => rhea.message.decode(Buffer.from(s)) as unknown as Message);
    } else {
      inner = [envelope];
    }
    if (inner.length === 0) {
      delivery.accept();
      return;
    }
    const keyOf = (msg: Message): string | undefined => {
      const k = (msg.message_annotations as Record<string, unknown> | undefined)?.['x-opt-partition-key'];
      return typeof k === 'string' ? k : undefined;
    };
    const batchKey = typeof envelopeKey === 'string' ? envelopeKey : keyOf(inner[0] as Message);
    const explicit = m[2];
    if (explicit !== undefined && batchKey !== undefined) {
      delivery.reject({
        condition: 'com.microsoft:argument-error',
        description: 'A partition key cannot be set when publishing to a specific partition. (Event Hubs stand-in)',
      });
      return;
    }
    const partition = explicit !== undefined ? hub.partition(explicit) : hub.pickPartition(batchKey);
    if (!partition) {
      delivery.reject(notFound(address));
      return;
    }
    const items = inner.map((msg) => {
      const item: { message: Message; bytes: number; partitionKey?: string } = {
        message: msg,
        bytes: rhea.message.encode(msg).length,
      };
      const key = keyOf(msg) ?? batchKey;
      if (key !== undefined) item.partitionKey = key;
      return item;
    });
    partition.append(items, Date.now());
    delivery.accept();
  }
}
