/**
 * Migration Kafka → Event Hubs (its Kafka endpoint, `eventhubs+kafka://`) on the real Kafka peer: the source is the
 * PLAINTEXT listener, the target the SASL_SSL listener set up as Event Hubs' endpoint is (PLAIN user
 * `$ConnectionString`, the connection string by file reference), a different topic on the same broker. Same shape
 * as `pairs.int.spec.ts`; plus the Event Hubs rule that a source with more partitions than the tier allows is
 * refused before anything is created or copied.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type StreamClient } from '@speedlayer/core';
import { produceKeyed, uniqueName } from '@speedlayer/testing';
import { injectPeers } from '@speedlayer/testing/peers/vitest';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/index.js';

const peers = injectPeers();
const streams = peers.streams;
const IDLE = 4000;
const ran: string[] = [];

afterAll(() => {
  process.stdout.write(`migrate kafka -> eventhubs+kafka: ${ran.join(', ') || 'not run'}\n`);
});

const fromUri = streams.kafka;
const toUri = streams['eventhubs+kafka'];
const reason = !peers.kafka ? 'peers not up: kafka' : !fromUri || !toUri ? 'no stream URI for the adapter' : '';

describe.skipIf(reason !== '')(`migrate: kafka -> eventhubs+kafka${reason ? ` (skipped: ${reason})` : ''}`, () => {
  it('copies a keyed topic with headers to an event hub and verify is green (0 missing, 0 reordered)', async () => {
    const from: StreamClient = await connect(fromUri as string);
    const to: StreamClient = await connect(toUri as string);
    try {
      expect(to.target).toBe('azure-eventhubs-aks');
      const topic = uniqueName('mig').replace(/[^a-z0-9-]/g, '');
      const toTopic = `${topic}-eh`;
      await from.admin.ensureTopic(topic, { partitions: 3 });
      const group = `speedlayer-migrate-${topic}`;
      const sent = await produceKeyed(from, topic, 150, 12, { headers: { origin: 'kafka' } });
      const r = await migrate({
        from,
        to,
        topic,
        toTopic,
        group,
        verify: true,
        idleMs: IDLE,
        checkpoint: join(tmpdir(), 'speedlayer-migrate-int', topic),
      });
      expect(r.plan).toMatchObject({ targetPartitions: 3, headerMapping: 'native', keyMapping: 'partition-key' });
      expect(r.plan.targetMaxMessageBytes).toBe(to.capabilities.maxMessageBytes);
      expect(r.copy).toMatchObject({ copied: sent.length, stoppedBy: 'caught-up' });
      expect(r.verify).toMatchObject({ ok: true, missing: 0, outOfOrder: 0, mismatched: 0 });
      expect(r.verify?.source.count).toBe(sent.length);
      expect(r.ok).toBe(true);
      // the event hub was created through the Event Hubs transport, within the tier
      expect(await to.admin.describeTopic(toTopic)).toMatchObject({
        partitions: 3,
        details: { eventHubs: { tier: 'standard', maxPartitions: 32 } },
      });
      ran.push(`${sent.length} messages, matched by ${r.verify?.matchedBy}`);
      await from.admin.deleteTopic(topic).catch(() => {});
      await to.admin.deleteTopic(toTopic).catch(() => {});
    } finally {
      await from.close();
      await to.close();
    }
  });

  it('a 40-partition source cannot become a Standard event hub (32 at most): refused before anything is created or copied', async () => {
    const from: StreamClient = await connect(fromUri as string);
    const to: StreamClient = await connect(toUri as string);
    try {
      const topic = uniqueName('mig40').replace(/[^a-z0-9-]/g, '');
      const toTopic = `${topic}-eh`;
      await from.admin.ensureTopic(topic, { partitions: 40 });
      await produceKeyed(from, topic, 20, 4);
      const e = await migrate({
        from,
        to,
        topic,
        toTopic,
        idleMs: IDLE,
        checkpoint: join(tmpdir(), 'speedlayer-migrate-int', topic),
      }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e).toMatchObject({ kind: 'validation', field: 'partitions', target: 'azure-eventhubs-aks' });
      expect(String((e as Error).message)).toMatch(/at most 32 partitions per topic \(got 40\)/);
      await expect(to.admin.describeTopic(toTopic)).rejects.toMatchObject({ kind: 'not-found' });
      // with --partitions within the tier the same migration goes through
      const r = await migrate({
        from,
        to,
        topic,
        toTopic,
        partitions: 32,
        verify: true,
        idleMs: IDLE,
        checkpoint: join(tmpdir(), 'speedlayer-migrate-int', `${topic}-32`),
      });
      expect(r.verify).toMatchObject({ ok: true, missing: 0, outOfOrder: 0 });
      ran.push('40 partitions refused, 32 accepted');
      await from.admin.deleteTopic(topic).catch(() => {});
      await to.admin.deleteTopic(toTopic).catch(() => {});
    } finally {
      await from.close();
      await to.close();
    }
  });
});
