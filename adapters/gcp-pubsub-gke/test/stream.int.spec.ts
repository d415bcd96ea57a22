/**
 * The Pub/Sub stream adapter against the real pstest peer: the stream conformance suite (matrix entry), then
 * Pub/Sub-specific steps (ordering keys with several subscribers, redelivery after nack, native dead-lettering)
 * and faults (oversize message, ordering key over 1 KB, missing subscription, ack deadline outside 10..600 s,
 * an ordering key paused by a failed publish).
 *
 * Run: `SPEEDLAYER_PEERS=pubsub npx vitest run --project int adapters/gcp-pubsub-gke`.
 */
import { PubSub } from '@google-cloud/pubsub';
import { type ConsumedMessage, connect, DeadLetterHeaders, type StreamClient, targetDescriptors, utf8 } from '@speedlayer/core';
import { Collector, produceKeyed, uniqueName, waitFor } from '@speedlayer/testing';
import { streamConformance, streamMatrixOf } from '@speedlayer/testing/conformance';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { subscriptionName } from '../src/index.js';

const descriptors = await targetDescriptors();

describePeer('pubsub', 'gcp-pubsub-gke stream on pstest', (pubsub) => {
  const uri = `pubsub://${pubsub.projectId}?emulatorHost=${pubsub.emulatorHost}`;

  // Nothing is skipped. pstest runs with Seek off (its Seek to a past time crashes the server: test-peers.md §3,
  // TESTPLAN.md), so the client declares `historyForNewGroups: false`: the suite registers each group before
  // producing and, in the start-position step, tests what Pub/Sub without Seek promises instead of history; each
  // such step prints a `[conformance note]` saying so. `lag: false`: consumer lag reads a snapshot of the group's
  // subscription, and pstest has no snapshots, so its lag step checks the UnsupportedError; the lag step itself runs
  // on a pstest with snapshots in lag.int.spec.ts. The entry (name, native client, lag) is the descriptor's.
  const [entry, ...more] = streamMatrixOf(descriptors, { targets: ['gcp-pubsub-gke'], streams: { pubsub: uri } });
  if (!entry || more.length > 0) throw new Error('gcp-pubsub-gke: expected one stream conformance entry');
  streamConformance(entry);

  // a pstest whose Seek works (TESTPLAN.md): the whole suite, Seek on, nothing skipped.
  const seekHost = process.env.SPEEDLAYER_PSTEST_SEEK_HOST;
  if (seekHost) {
    streamConformance({
      ...entry,
      name: 'pubsub (pstest with a working Seek)',
      uri: `pubsub://${pubsub.projectId}?emulatorHost=${seekHost}&seek=true`,
      slowness: 2,
    });
  }

  let client: StreamClient;
  const raw = new PubSub({
    projectId: pubsub.projectId,
    apiEndpoint: pubsub.emulatorHost,
    emulatorMode: true,
    universeDomain: 'googleapis.com',
  });
  beforeAll(async () => {
    client = await connect(uri);
  });
  afterAll(async () => {
    await client?.close();
    await raw.close();
  });

  it('capabilities: no partitions, no growth, native groups, no Seek on the emulator', async () => {
    expect(client.capabilities).toMatchObject({
      partitions: false,
      partitionGrowth: false,
      nativeConsumerGroups: true,
      timestampSeek: false,
      historyForNewGroups: false,
      nativeDeadLetter: false,
      maxMessageBytes: 10_000_000,
      maxHeaders: 100,
    });
    const topic = uniqueName('ps-caps');
    const info = await client.admin.ensureTopic(topic, { partitions: 8, retentionHours: 1 });
    expect(info).toMatchObject({ name: topic, partitions: null, retentionHours: 1 });
    await client.admin.deleteTopic(topic);
  });

  it('pubsub: ordering keys with several subscribers keep per-key order and share the load', async () => {
    const topic = uniqueName('ps-order');
    await client.admin.ensureTopic(topic);
    const group = uniqueName('g');
    const col = new Collector();
    const clients = await Promise.all([0, 1, 2].map(() => connect(uri)));
    // subscribe first: the group's subscription must exist before the messages are published
    const members = await Promise.all(clients.map((c, i) => c.subscribe({ topic, group }, col.handler(`m${i}`))));
    for (const m of members) expect(m.assignments()).toEqual([0]);
    const sent = await produceKeyed(client, topic, 600, 12, { batch: 100 });
    await col.waitForUnique(sent.length, 120_000);
    await Promise.all(members.map((m) => m.close()));
    await Promise.all(clients.map((c) => c.close()));
    expect(col.orderViolations()).toEqual([]);
    expect(col.unique()).toEqual(new Set(sent));
    const byMember = new Set(col.received.map((r) => r.member));
    expect(byMember.size).toBeGreaterThan(1);
    expect(col.received.every((r) => r.message.partition === 0)).toBe(true);
    // the ordering key is the key, visible to any Pub/Sub client
    const [subs] = await raw.topic(topic).getSubscriptions();
    expect(subs.map((s) => s.name)).toContain(`projects/${pubsub.projectId}/subscriptions/${subscriptionName(topic, group)}`);
    await client.admin.deleteTopic(topic);
  });

  it('pubsub: redelivery after nack — a message not finished when its member stops goes to the next member at once', async () => {
    const topic = uniqueName('ps-nack');
    await client.admin.ensureTopic(topic);
    const group = uniqueName('g');
    const firstSeen: ConsumedMessage[] = [];
    const c1 = await connect(uri);
    const s1 = await c1.subscribe(
      // a long retry wait: the message is still unfinished when the member closes
      { topic, group, maxAttempts: 5, retryBackoff: { initialMs: 60_000, maxMs: 60_000 } },
      (m) => {
        firstSeen.push(m);
        throw new Error('fails once, then the member stops');
      },
    );
    const producer = client.producer();
    await producer.send(topic, [{ key: 'k', value: 'again' }]);
    await waitFor(() => firstSeen.length === 1, 'first delivery');
    const closedAt = Date.now();
    await s1.close(); // nacks the unfinished message
    await c1.close();
    const second = new Collector();
    const s2 = await client.subscribe({ topic, group }, second.handler('second'));
    await second.waitForUnique(1, 30_000);
    // ack deadline is 10 s: arriving well before it means the nack, not the deadline, released it
    expect(Date.now() - closedAt).toBeLessThan(8_000);
    await s2.close();
    expect(second.received[0]?.text).toBe('again');
    expect(s2.stats()).toMatchObject({ handled: 1, deadLettered: 0 });
    await producer.close();
    await client.admin.deleteTopic(topic);
  });

  it('pubsub: dead-lettering after the maximum attempts — engine retries, error in attributes, the key moves on', async () => {
    const topic = uniqueName('ps-dlq');
    const dlq = `${topic}.dlq`;
    await client.admin.ensureTopic(topic);
    await client.admin.ensureTopic(dlq);
    const dead: ConsumedMessage[] = [];
    const d = await client.subscribe({ topic: dlq, group: uniqueName('g-dlq') }, (m) => {
      dead.push(m);
    });
    const attempts: number[] = [];
    const col = new Collector();
    const s = await client.subscribe(
      { topic, group: uniqueName('g'), maxAttempts: 3, retryBackoff: { initialMs: 5, maxMs: 20 } },
      col.handler('m', (m) => {
        if (utf8(m.value) === 'poison') {
          attempts.push(m.deliveryAttempt);
          throw new Error('boom: cannot handle poison');
        }
      }),
    );
    const producer = client.producer();
    await producer.send(topic, [
      { key: 'k', value: 'ok-1' },
      { key: 'k', value: 'poison', headers: { trace: 't-1' } },
      { key: 'k', value: 'ok-2' },
    ]);
    await col.waitForUnique(2, 60_000);
    await waitFor(() => dead.length >= 1, 'message on the dead-letter topic', 60_000);
    await Promise.all([s.close(), d.close()]);
    expect(attempts).toEqual([1, 2, 3]);
    expect(col.received.map((r) => r.text)).toEqual(['ok-1', 'ok-2']);
    const m = dead[0] as ConsumedMessage;
    expect(utf8(m.value)).toBe('poison');
    expect(m.key).toBe('k');
    expect(m.headers[DeadLetterHeaders.error]).toContain('boom: cannot handle poison');
    expect(m.headers[DeadLetterHeaders.attempts]).toBe('3');
    expect(m.headers[DeadLetterHeaders.sourceTopic]).toBe(topic);
    expect(m.headers.trace).toBe('t-1');
    await producer.close();
    await client.admin.deleteTopic(topic);
    await client.admin.deleteTopic(dlq);
  });

  it('pubsub: the native dead-letter policy (nativeDeadLetterAttempts) moves a message nacked 5 times to the DLQ topic', async () => {
    const c = await connect(uri, { config: { nativeDeadLetterAttempts: 5 } });
    const topic = uniqueName('ps-native-dlq');
    await c.admin.ensureTopic(topic);
    const group = uniqueName('g');
    // creates the subscription with the policy, then leaves it for a raw client that nacks every delivery
    const s = await c.subscribe({ topic, group, startFrom: 'latest' }, () => {});
    await s.close();
    const name = subscriptionName(topic, group);
    const [meta] = await raw.subscription(name).getMetadata();
    expect(meta.deadLetterPolicy?.maxDeliveryAttempts).toBe(5);
    expect(meta.enableMessageOrdering).toBe(true);
    const dead: ConsumedMessage[] = [];
    const d = await c.subscribe({ topic: `${topic}.dlq`, group: uniqueName('g-dlq') }, (m) => {
      dead.push(m);
    });
    const attemptsSeen: number[] = [];
    const rawSub = raw.subscription(name);
    rawSub.on('message', (m) => {
      attemptsSeen.push(m.deliveryAttempt);
      m.nack();
    });
    await c.producer().send(topic, { key: 'k', value: 'nacked' });
    // pstest may deliver the dead-lettered copy twice (it shares the original's ack id): at-least-once
    await waitFor(() => dead.length >= 1, 'the message on the dead-letter topic', 60_000);
    await rawSub.close();
    await d.close();
    expect(attemptsSeen.slice(0, 5)).toEqual([1, 2, 3, 4, 5]);
    expect(utf8((dead[0] as ConsumedMessage).value)).toBe('nacked');
    await c.admin.deleteTopic(topic);
    await c.close();
  });

  it('pubsub: start positions without Seek — latest and earliest begin at the subscription; a timestamp is refused', async () => {
    const topic = uniqueName('ps-start');
    await client.admin.ensureTopic(topic);
    const producer = client.producer();
    await producer.send(topic, { key: 'k', value: 'before' });
    const latest = new Collector();
    const earliest = new Collector();
    const l = await client.subscribe({ topic, group: uniqueName('gl'), startFrom: 'latest' }, latest.handler('l'));
    const e = await client.subscribe({ topic, group: uniqueName('ge'), startFrom: 'earliest' }, earliest.handler('e'));
    await producer.send(topic, { key: 'k', value: 'after' });
    await latest.waitForUnique(1);
    await earliest.waitForUnique(1);
    await new Promise((r) => setTimeout(r, 300));
    await Promise.all([l.close(), e.close()]);
    expect([...latest.unique()]).toEqual(['after']);
    expect([...earliest.unique()]).toEqual(['after']);
    await expect(
      client.subscribe({ topic, group: uniqueName('gt'), startFrom: { timestamp: 1 } }, () => {}),
    ).rejects.toMatchObject({
      kind: 'unsupported',
      field: 'startFrom',
    });
    // the group's subscription persists: a member joining later resumes it (messages since it was created)
    await producer.close();
    await client.admin.deleteTopic(topic);
  });

  it('fault: a message over 10 MB is rejected before anything of its batch is sent', async () => {
    const topic = uniqueName('ps-big');
    await client.admin.ensureTopic(topic);
    const col = new Collector();
    const s = await client.subscribe({ topic, group: uniqueName('g') }, col.handler('m'));
    const producer = client.producer();
    await expect(
      producer.send(topic, [
        { key: 'k', value: 'before' },
        { key: 'k', value: new Uint8Array(10_000_001) },
        { key: 'k', value: 'after' },
      ]),
    ).rejects.toMatchObject({ kind: 'message-too-large', retriable: false, field: 'records[1]', index: 1, limit: 10_000_000 });
    // the event-time attribute counts too
    await expect(
      producer.send(topic, [{ key: 'k', value: new Uint8Array(10_000_000 - 2), timestamp: 1_700_000_000_000 }]),
    ).rejects.toMatchObject({ kind: 'message-too-large', field: 'records[0]' });
    await producer.send(topic, [{ key: 'k', value: 'marker' }]);
    await col.waitForUnique(1);
    await new Promise((r) => setTimeout(r, 300));
    await s.close();
    expect([...col.unique()]).toEqual(['marker']);
    await producer.close();
    await client.admin.deleteTopic(topic);
  });

  it('fault: an ordering key over 1 KB and attributes over their limits are typed errors naming the field', async () => {
    const topic = uniqueName('ps-limits');
    await client.admin.ensureTopic(topic);
    const producer = client.producer();
    await expect(
      producer.send(topic, [
        { key: 'ok', value: 'v' },
        { key: 'k'.repeat(1025), value: 'v' },
      ]),
    ).rejects.toMatchObject({
      kind: 'validation',
      field: 'records[1].key',
    });
    const many = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`h${i}`, 'v']));
    await expect(producer.send(topic, { value: 'v', headers: many })).rejects.toMatchObject({
      kind: 'validation',
      field: 'records[0].headers',
    });
    await expect(producer.send(topic, { value: 'v', headers: { ['a'.repeat(257)]: 'v' } })).rejects.toMatchObject({
      kind: 'validation',
    });
    await expect(producer.send(topic, { value: 'v', headers: { a: 'v'.repeat(1025) } })).rejects.toMatchObject({
      kind: 'validation',
      field: 'records[0].headers.a',
    });
    await expect(producer.send(topic, { value: 'v', partition: 0 })).rejects.toMatchObject({
      kind: 'validation',
      field: 'records[0].partition',
    });
    await producer.close();
    await client.admin.deleteTopic(topic);
  });

  it('fault: a missing topic or a subscription deleted under a member are typed not-found errors', async () => {
    const missing = uniqueName('ps-missing');
    await expect(client.subscribe({ topic: missing, group: 'g' }, () => {})).rejects.toMatchObject({
      kind: 'not-found',
      field: 'topic',
    });
    await expect(client.producer().send(missing, { value: 'v' })).rejects.toMatchObject({ kind: 'not-found', field: 'topic' });
    const topic = uniqueName('ps-subgone');
    await client.admin.ensureTopic(topic);
    const group = uniqueName('g');
    const errors: unknown[] = [];
    const checking = await connect(uri, { config: { subscriptionCheckSeconds: 0.5 } });
    const s = await checking.subscribe({ topic, group, onError: (e) => errors.push(e) }, () => {});
    await raw.subscription(subscriptionName(topic, group)).delete();
    await waitFor(() => errors.some((e) => (e as { kind?: string }).kind === 'not-found'), 'a not-found error reported', 60_000);
    expect(errors.find((e) => (e as { kind?: string }).kind === 'not-found')).toMatchObject({
      field: 'group',
      target: 'gcp-pubsub-gke',
    });
    await s.close();
    await checking.close();
    await client.admin.deleteTopic(topic);
  });

  it('fault: an ack deadline outside 10..600 s is a config error naming the field', async () => {
    for (const ackDeadlineSeconds of [9, 601]) {
      await expect(connect(uri, { config: { ackDeadlineSeconds } })).rejects.toMatchObject({
        kind: 'config',
        field: 'ackDeadlineSeconds',
        target: 'gcp-pubsub-gke',
      });
    }
    await expect(connect(uri, { config: { nativeDeadLetterAttempts: 4 } })).rejects.toMatchObject({
      field: 'nativeDeadLetterAttempts',
    });
  });

  it('fault: an ordering key paused by a failed publish is resumed — later sends of the key succeed, nothing is lost', async () => {
    const topic = uniqueName('ps-paused');
    await client.admin.ensureTopic(topic);
    const group = uniqueName('g');
    const col = new Collector();
    const s = await client.subscribe({ topic, group }, col.handler('m'));
    const producer = client.producer();
    await producer.send(topic, { key: 'k', value: 'k:0' });
    // the topic disappears: the publish fails, and the Pub/Sub client pauses ordering key "k"
    await raw.topic(topic).delete();
    await expect(producer.send(topic, { key: 'k', value: 'lost-on-purpose' })).rejects.toMatchObject({ kind: 'not-found' });
    await s.close();
    await client.admin.ensureTopic(topic);
    const s2 = await client.subscribe({ topic, group: uniqueName('g2') }, col.handler('m2'));
    // same producer, same key: without resumePublishing this would fail with "ordering key k is paused"
    await producer.send(topic, [
      { key: 'k', value: 'k:1' },
      { key: 'k', value: 'k:2' },
    ]);
    await waitFor(() => col.unique().has('k:2'), 'k:2 after the resume');
    await s2.close();
    expect(col.orderViolations()).toEqual([]);
    expect([...col.unique()]).toEqual(['k:0', 'k:1', 'k:2']);
    await producer.close();
    await client.admin.deleteTopic(topic);
  });
});
