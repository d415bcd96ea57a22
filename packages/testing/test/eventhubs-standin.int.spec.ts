/**
 * The `eventhubs-standin` peer as another process sees it: the launcher started it from `dist`, its status
 * names a connection string file, a hub is created through the ARM-shaped management plane, and the REAL
 * `@azure/event-hubs` clients publish and read through the connection string.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { EventHubConsumerClient, EventHubProducerClient, earliestEventPosition, type ReceivedEventData } from '@azure/event-hubs';
import { expect, it } from 'vitest';
import { createSasToken } from '../src/eventhubs-standin/sas.js';
import { describePeer } from '../src/peers/vitest.js';

describePeer('eventhubs-standin', 'eventhubs-standin peer', (standIn, all) => {
  const connectionString = () => readFileSync(standIn.connectionStringFile, 'utf8').trim();
  const sas = () => {
    const key = /SharedAccessKey=([^;]+)/.exec(connectionString())?.[1] as string;
    return createSasToken(standIn.endpoint, standIn.keyName, key, Math.floor(Date.now() / 1000) + 600);
  };

  it('keeps the key in a private file and out of the status and the stream URI', () => {
    expect(statSync(standIn.connectionStringFile).mode & 0o777).toBe(0o600);
    const key = /SharedAccessKey=([^;]+)/.exec(connectionString())?.[1] as string;
    expect(connectionString()).toContain('UseDevelopmentEmulator=true');
    expect(JSON.stringify(all)).not.toContain(key);
    expect(all.streams.eventhubs ?? '').not.toContain(key);
  });

  it('creates a hub over the management plane, then publishes and reads it with the real client', async () => {
    const hub = `int-${randomUUID().slice(0, 8)}`;
    const put = await fetch(
      `${standIn.managementEndpoint}${standIn.namespaceResourceId}/eventhubs/${hub}?api-version=2024-01-01`,
      {
        method: 'PUT',
        headers: { authorization: sas(), 'content-type': 'application/json' },
        body: JSON.stringify({ properties: { partitionCount: 2 } }),
      },
    );
    expect(put.status).toBe(200);

    const producer = new EventHubProducerClient(connectionString(), hub);
    const consumer = new EventHubConsumerClient('$Default', connectionString(), hub);
    try {
      expect((await producer.getEventHubProperties()).partitionIds).toEqual(['0', '1']);
      const batch = await producer.createBatch({ partitionKey: 'k' });
      batch.tryAdd({ body: 'first' });
      batch.tryAdd({ body: 'second' });
      await producer.sendBatch(batch);
      const got: ReceivedEventData[] = [];
      const sub = consumer.subscribe(
        {
          processEvents: async (events) => {
            got.push(...events);
          },
          processError: async () => {},
        },
        { startPosition: earliestEventPosition, maxWaitTimeInSeconds: 0.5 },
      );
      const end = Date.now() + 20_000;
      while (got.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      await sub.close();
      expect(got.map((e) => e.body)).toEqual(['first', 'second']);
      expect(got.map((e) => e.partitionKey)).toEqual(['k', 'k']);
    } finally {
      await producer.close();
      await consumer.close();
      await fetch(`${standIn.managementEndpoint}${standIn.namespaceResourceId}/eventhubs/${hub}?api-version=2024-01-01`, {
        method: 'DELETE',
        headers: { authorization: sas() },
      });
    }
  });
});
