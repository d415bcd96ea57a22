/**
 * Dead letters go through the portable producer path (issue #15): the same record validation against the target's
 * limits, the same send middleware chain (tracing, metrics, user middleware) and batching as an application's own
 * `send()`. Before, core's consumer engine published them through the driver's producer directly: no middleware saw
 * them, the sent-messages counter did not count them, and an over-limit dead letter was refused (if at all) by the
 * broker with a vendor error instead of the portable `MessageTooLargeError` naming the field.
 *
 * Shared by the memory:// (unit) and kafka:// (int) entries.
 */
import { metrics } from '@opentelemetry/api';
import { metrics as sdkMetrics } from '@opentelemetry/sdk-node';
import {
  type ConnectOptions,
  DeadLetterError,
  DeadLetterHeaders,
  isSpeedlayerError,
  MessageTooLargeError,
  type Middleware,
  type SendCall,
  type StreamClient,
  ValidationError,
} from '@speedlayer/core';
import { uniqueName, waitFor } from '@speedlayer/testing';
import { afterAll, describe, expect, it } from 'vitest';

export interface DeadLetterTarget {
  /** Suite name. */
  name: string;
  /** Connects with these options merged with the target's own. */
  connect: (options: ConnectOptions) => Promise<StreamClient>;
  /** Config (passed as `ConnectOptions.config`) that caps a record at `recordLimit` bytes. */
  smallRecords: Record<string, unknown>;
  /** Largest record (key + value + headers) the target accepts with `smallRecords`. */
  recordLimit: number;
  /** Slow-peer factor for waits. @default 1 */
  slow?: number;
}

/** A send middleware that records every call it sees. */
function spy(): { middleware: Middleware; calls: SendCall[] } {
  const calls: SendCall[] = [];
  return {
    calls,
    middleware: {
      name: 'spy',
      send: (call, next) => {
        calls.push(call);
        return next(call);
      },
    },
  };
}

/** A metric reader the test collects from by hand. */
class Reader extends sdkMetrics.MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** Sum of the points of counter `name` whose attributes include `match`. */
async function counterSum(reader: Reader, name: string, match: Record<string, string>): Promise<number> {
  const { resourceMetrics } = await reader.collect();
  let sum = 0;
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name !== name) continue;
      for (const point of metric.dataPoints) {
        const attrs = point.attributes as Record<string, unknown>;
        if (Object.entries(match).every(([k, v]) => attrs[k] === v)) sum += Number(point.value);
      }
    }
  }
  return sum;
}

export function deadLetterCases(target: DeadLetterTarget): void {
  const slow = target.slow ?? 1;
  describe(`dead letters through the portable producer/${target.name}`, () => {
    const clients: StreamClient[] = [];
    afterAll(async () => {
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
    }, 60_000);
    const open = async (options: ConnectOptions) => {
      const c = await target.connect(options);
      clients.push(c);
      return c;
    };
    const fast = { maxAttempts: 2, retryBackoff: { initialMs: 5, maxMs: 5 } };

    it('a send middleware sees the dead letter with its headers, and it lands on the dead-letter topic', async () => {
      const { middleware, calls } = spy();
      const client = await open({ middleware: [middleware] });
      const topic = uniqueName('dlq-mw');
      const group = uniqueName('g');
      await client.admin.ensureTopic(topic, { partitions: 1 });
      await client.producer().send(topic, { key: 'k', value: 'poison', headers: { app: 'a1' } });
      const s = await client.subscribe({ topic, group, startFrom: 'earliest', ...fast }, () => {
        throw new Error('boom: cannot handle poison');
      });
      await waitFor(() => s.stats().deadLettered === 1, 'dead-letter count', 30_000 * slow);
      const dead = calls.filter((c) => c.topic === `${topic}.dlq`);
      expect(dead).toHaveLength(1);
      const headers = dead[0]?.records[0]?.headers ?? {};
      expect(headers).toMatchObject({
        app: 'a1',
        [DeadLetterHeaders.sourceTopic]: topic,
        [DeadLetterHeaders.attempts]: '2',
        [DeadLetterHeaders.group]: group,
      });
      expect(headers[DeadLetterHeaders.error]).toContain('boom: cannot handle poison');
      await s.close();
      const landed: string[] = [];
      const reader = await client.subscribe({ topic: `${topic}.dlq`, group: uniqueName('g-dlq'), startFrom: 'earliest' }, (m) => {
        landed.push(`${String(m.key)}|${m.headers[DeadLetterHeaders.sourceTopic]}`);
      });
      await waitFor(() => landed.length >= 1, 'the dead letter on the dead-letter topic', 60_000 * slow);
      expect(landed).toEqual([`k|${topic}`]);
      await reader.close();
    });

    it("a dead letter over the target's record limit fails with the portable MessageTooLargeError naming the field, and the partition stops", async () => {
      const { middleware, calls } = spy();
      const client = await open({ middleware: [middleware], config: target.smallRecords });
      const topic = uniqueName('dlq-big');
      await client.admin.ensureTopic(topic, { partitions: 1 });
      // fits the limit as consumed; the dead-letter headers (error, source, group, time) push it over
      const value = 'x'.repeat(target.recordLimit - 120);
      const producer = client.producer();
      await producer.send(topic, { key: 'big', value });
      await producer.send(topic, { key: 'after', value: 'small' });
      const errors: unknown[] = [];
      const handled: string[] = [];
      const s = await client.subscribe(
        { topic, group: uniqueName('g'), startFrom: 'earliest', ...fast, onError: (e) => errors.push(e) },
        (m) => {
          handled.push(String(m.key));
          if (m.key === 'big') throw new ValidationError('cannot parse', { field: 'value' });
        },
      );
      const failure = await waitFor(
        () => errors.find((e): e is DeadLetterError => e instanceof DeadLetterError),
        'the DeadLetterError',
        30_000 * slow,
      );
      expect(failure.policy).toBe('stop');
      expect(failure.position).toBeTruthy();
      expect(failure.cause).toBeInstanceOf(MessageTooLargeError);
      expect(isSpeedlayerError(failure.cause) && failure.cause.field).toBe('records[0]');
      expect(String((failure.cause as Error).message)).toContain(`at most ${target.recordLimit} bytes`);
      // refused by validation before any middleware or request: non-retriable, so one try only
      expect(calls.filter((c) => c.topic === `${topic}.dlq`)).toEqual([]);
      await new Promise((r) => setTimeout(r, 1500 * slow));
      expect(handled).toEqual(['big']); // never retried (non-retriable), and nothing after it is handled
      expect(errors.filter((e) => e instanceof DeadLetterError)).toHaveLength(1);
      expect(s.stats()).toMatchObject({ deadLettered: 0, deadLetterFailures: 1, handled: 0 });
      await s.close();
    });

    it('the sent-messages counter of the telemetry middleware counts the dead letter on the dead-letter topic', async () => {
      const reader = new Reader();
      const provider = new sdkMetrics.MeterProvider({ readers: [reader] });
      metrics.setGlobalMeterProvider(provider);
      try {
        const client = await open({});
        const topic = uniqueName('dlq-otel');
        await client.admin.ensureTopic(topic, { partitions: 1 });
        await client.producer().send(topic, { key: 'k', value: 'poison' });
        const s = await client.subscribe({ topic, group: uniqueName('g'), startFrom: 'earliest', ...fast }, () => {
          throw new Error('boom');
        });
        await waitFor(() => s.stats().deadLettered === 1, 'dead-letter count', 30_000 * slow);
        const sent = (t: string) => counterSum(reader, 'messaging.client.sent.messages', { 'messaging.destination.name': t });
        expect(await sent(topic)).toBe(1);
        expect(await sent(`${topic}.dlq`)).toBe(1);
        await s.close();
      } finally {
        metrics.disable();
        await provider.shutdown();
      }
    });
  });
}
