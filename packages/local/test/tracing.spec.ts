import {
  type Context,
  context,
  propagation,
  type Span,
  type SpanContext,
  type TextMapPropagator,
  TraceFlags,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { type ConsumedMessage, connect, type ProducerRecord, type StreamClient, utf8 } from '@speedlayer/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, unique, waitUntil } from './support.js';

/** A tracer whose spans have valid, distinct contexts (no SDK needed): enough for the middleware to inject them. */
class CountingTracerProvider implements TracerProvider {
  spans = 0;
  getTracer(): Tracer {
    const start = (): Span => {
      const id = (++this.spans).toString(16).padStart(16, '0');
      const ctx: SpanContext = { traceId: `${id}${id}`, spanId: id, traceFlags: TraceFlags.SAMPLED };
      return trace.wrapSpanContext(ctx);
    };
    return {
      startSpan: start,
      startActiveSpan: (() => {
        throw new Error('not used');
      }) as Tracer['startActiveSpan'],
    };
  }
}

/** Writes the active span's ids into a `traceparent` header, as the W3C propagator does. */
const propagator: TextMapPropagator = {
  inject(ctx: Context, carrier: unknown, setter) {
    const s = trace.getSpanContext(ctx);
    if (s) setter.set(carrier, 'traceparent', `00-${s.traceId}-${s.spanId}-01`);
  },
  extract: (ctx: Context) => ctx,
  fields: () => ['traceparent'],
};

const provider = new CountingTracerProvider();
beforeAll(() => {
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(propagator);
});
afterAll(() => {
  trace.disable();
  propagation.disable();
  context.disable();
});

const open: StreamClient[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

describe('local/produce/tracing', () => {
  for (const scheme of ['memory', 'local'] as const) {
    it(`${scheme}: every record of a traced send carries its span's context; the caller's records and headers are untouched`, async () => {
      const client = await connect(scheme === 'memory' ? `memory://${unique('tr')}` : `local://${tempDir()}`);
      open.push(client);
      const topic = unique('t');
      await client.admin.ensureTopic(topic, { partitions: 1 });
      const shared = { app: 'a' };
      const records: ProducerRecord[] = [
        { value: 'plain' },
        { value: 'shared-1', headers: shared, key: 'k1' },
        { value: 'shared-2', headers: shared, timestamp: 1234, partition: 0 },
        { value: 'own', headers: { other: 'o' } },
      ];
      const before = JSON.stringify(records);
      const spansBefore = provider.spans;
      await client.producer().send(topic, records);
      await client.producer().send(topic, { value: 'second call' });
      expect(provider.spans - spansBefore).toBe(2);
      expect(JSON.stringify(records)).toBe(before);
      expect(shared).toEqual({ app: 'a' });

      const got: ConsumedMessage[] = [];
      const sub = await client.subscribe({ topic, group: unique('g') }, (m) => {
        got.push(m);
      });
      await waitUntil(() => got.length === 5, 'the five traced records');
      await sub.close();
      const first = got[0]?.headers.traceparent;
      expect(first).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      // one context per send() call, on every record of it, next to the record's own headers
      expect(got.map((m) => [utf8(m.value), m.key, Object.keys(m.headers).sort()])).toEqual([
        ['plain', null, ['traceparent']],
        ['shared-1', 'k1', ['app', 'traceparent']],
        ['shared-2', null, ['app', 'traceparent']],
        ['own', null, ['other', 'traceparent']],
        ['second call', null, ['traceparent']],
      ]);
      expect(got.slice(0, 4).every((m) => m.headers.traceparent === first)).toBe(true);
      expect(got[4]?.headers.traceparent).not.toBe(first);
      expect(got[2]?.timestamp).toBe(1234);
      expect(got[1]?.headers.app).toBe('a');
    });
  }
});
