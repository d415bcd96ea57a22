/**
 * OpenTelemetry for the portable client, through `@opentelemetry/api` only: the library never starts an SDK, so
 * without one (the application's, or the CLI's from the `OTEL_*` variables) every call here is a no-op.
 *
 * - {@link telemetry} is a middleware: a PRODUCER span per `send()` call and a CONSUMER span per handler attempt,
 *   named and attributed per the OpenTelemetry messaging semantic conventions. The producer span's context travels
 *   in each record's headers through the globally registered propagator (W3C `traceparent` by default in the SDK),
 *   so the consume span is the child of the produce span on every target that carries headers (Kinesis: in the
 *   envelope; Pub/Sub: attributes; Event Hubs: application properties).
 * - The same middleware records the metrics: sent, consumed, failed counters; send and process duration
 *   histograms (seconds); handlers in flight.
 *
 * `connect()` adds it to every client unless `ConnectOptions.telemetry` is false.
 *
 * @packageDocumentation
 */
import {
  type Attributes,
  type BatchObservableResult,
  context,
  isSpanContextValid,
  metrics,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { PartitionLag } from './driver.js';
import { describeError, isSpeedlayerError } from './errors.js';
import { describedTarget } from './known-targets.js';
import { type ProducerRecord, valueBytes } from './message.js';
import type { Middleware } from './middleware.js';

/** The instrumentation scope name of spans and metrics. */
export const INSTRUMENTATION_SCOPE = '@speedlayer/core';

/**
 * `messaging.system` of a target id: its descriptor's `messagingSystem` (the semantic conventions' value where one
 * exists), else its id; `speedlayer_local` for a target without a descriptor read in this process (a test double).
 * `uri` is not read (it was, before descriptors, to tell Event Hubs' Kafka endpoint apart; its target id does now).
 */
export function messagingSystem(target: string, _uri = ''): string {
  const d = describedTarget(target);
  return d ? (d.messagingSystem ?? d.id) : 'speedlayer_local';
}

/** Options of {@link telemetry}. */
export interface TelemetryOptions {
  /** The target id (`aws-msk-eks`...). */
  target: string;
  /** The stream URI (only its scheme is read). */
  uri?: string;
}

const headerSetter = {
  set(carrier: Record<string, string>, key: string, value: string) {
    carrier[key] = value;
  },
};
const headerGetter = {
  get(carrier: Record<string, string>, key: string) {
    return Object.hasOwn(carrier, key) ? carrier[key] : undefined;
  },
  keys(carrier: Record<string, string>) {
    return Object.keys(carrier);
  },
};

/**
 * Copies of the records that carry the trace context `carrier` in their headers (the caller's records are not
 * changed). Records without headers share `carrier`; records that share one headers object share one merged copy,
 * so a traced batch costs one small object per record, not two.
 */
function withContext(records: readonly ProducerRecord[], carrier: Record<string, string>): ProducerRecord[] {
  const out: ProducerRecord[] = new Array(records.length);
  let own: Readonly<Record<string, string>> | undefined;
  let merged = carrier;
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as ProducerRecord;
    if (r.headers && r.headers !== own) {
      own = r.headers;
      merged = { ...r.headers, ...carrier };
    }
    const copy: ProducerRecord = { value: r.value, headers: r.headers ? merged : carrier };
    if (r.key !== undefined) copy.key = r.key;
    if (r.timestamp !== undefined) copy.timestamp = r.timestamp;
    if (r.partition !== undefined) copy.partition = r.partition;
    out[i] = copy;
  }
  return out;
}

function fail(span: Span, error: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: describeError(error) });
  span.setAttribute('error.type', isSpeedlayerError(error) ? error.kind : error instanceof Error ? error.name : 'Error');
}

/**
 * Tracing and metrics per the OpenTelemetry messaging semantic conventions, as a middleware. The tracer and
 * meter are looked up on each call, so an SDK registered after `connect()` is still used.
 */
export function telemetry(options: TelemetryOptions): Middleware {
  const system = messagingSystem(options.target, options.uri);
  const tracer = () => trace.getTracer(INSTRUMENTATION_SCOPE);
  let instruments: ReturnType<typeof makeInstruments> | undefined;
  let meterProvider: unknown;
  const meter = () => {
    const provider = metrics.getMeterProvider();
    if (!instruments || provider !== meterProvider) {
      meterProvider = provider;
      instruments = makeInstruments();
    }
    return instruments;
  };
  return {
    name: 'telemetry',
    active: telemetryActive,
    send: async (call, next) => {
      const base: Attributes = {
        'messaging.system': system,
        'messaging.destination.name': call.topic,
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'send',
      };
      if (call.records.length > 1) base['messaging.batch.message_count'] = call.records.length;
      const span = tracer().startSpan(`send ${call.topic}`, { kind: SpanKind.PRODUCER, attributes: base });
      const ctx = trace.setSpan(context.active(), span);
      // without an SDK the span is a no-op with no context to carry: leave the records as they are
      let records = call.records;
      if (isSpanContextValid(span.spanContext())) {
        // one injection per call: every record of it carries the same context
        const carrier: Record<string, string> = {};
        propagation.inject(ctx, carrier, headerSetter);
        records = withContext(call.records, carrier);
      }
      const started = performance.now();
      const m = meter();
      try {
        const result = await context.with(ctx, () => next({ ...call, records }));
        if (result.length === 1 && result[0]) {
          span.setAttribute('messaging.destination.partition.id', String(result[0].partition));
          if (result[0].position) span.setAttribute('messaging.message.id', result[0].position);
        }
        m.sent.add(records.length, base);
        return result;
      } catch (e) {
        fail(span, e);
        m.sendFailed.add(records.length, { ...base, 'error.type': isSpeedlayerError(e) ? e.kind : 'Error' });
        throw e;
      } finally {
        m.sendDuration.record((performance.now() - started) / 1000, base);
        span.end();
      }
    },
    handle: async (message, ctx, next) => {
      const attributes: Attributes = {
        'messaging.system': system,
        'messaging.destination.name': message.topic,
        'messaging.operation.type': 'process',
        'messaging.operation.name': 'process',
        'messaging.consumer.group.name': ctx.group,
        'messaging.destination.partition.id': String(message.partition),
      };
      const parent = propagation.extract(context.active(), message.headers, headerGetter);
      const span = tracer().startSpan(
        `process ${message.topic}`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            ...attributes,
            'messaging.message.id': message.position,
            'messaging.message.body.size': valueBytes(message.value).byteLength,
            ...(message.deliveryAttempt > 1 ? { 'speedlayer.delivery_attempt': message.deliveryAttempt } : {}),
          },
        },
        parent,
      );
      const m = meter();
      const started = performance.now();
      m.inFlight.add(1, attributes);
      try {
        await context.with(trace.setSpan(parent, span), () => next(message, ctx));
        m.consumed.add(1, attributes);
      } catch (e) {
        fail(span, e);
        m.processFailed.add(1, { ...attributes, 'error.type': isSpeedlayerError(e) ? e.kind : 'handler' });
        throw e;
      } finally {
        m.inFlight.add(-1, attributes);
        m.processDuration.record((performance.now() - started) / 1000, attributes);
        span.end();
      }
    },
  };
}

/**
 * True once an OpenTelemetry SDK registered a tracer or meter provider globally. Without one the telemetry
 * middleware stays out of the hot path entirely.
 */
export function telemetryActive(): boolean {
  const tp = trace.getTracerProvider() as { getDelegate?: () => object };
  const tracer = tp.getDelegate ? tp.getDelegate() : tp;
  const meter = metrics.getMeterProvider() as object;
  return !/^Noop/.test(tracer.constructor.name) || !/^Noop/.test(meter.constructor.name);
}

/**
 * Histogram buckets in seconds, as the messaging semantic conventions advise for `messaging.*.duration` (the SDK's
 * default buckets are meant for milliseconds and would put every call in the first one).
 */
const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

function makeInstruments() {
  const meter = metrics.getMeter(INSTRUMENTATION_SCOPE);
  return {
    sent: meter.createCounter('messaging.client.sent.messages', {
      unit: '{message}',
      description: 'Messages the target acknowledged',
    }),
    sendFailed: meter.createCounter('speedlayer.client.send.failed.messages', {
      unit: '{message}',
      description: 'Messages whose send failed',
    }),
    consumed: meter.createCounter('messaging.client.consumed.messages', {
      unit: '{message}',
      description: 'Messages whose handler succeeded',
    }),
    processFailed: meter.createCounter('speedlayer.consumer.failed.attempts', {
      unit: '{attempt}',
      description: 'Handler attempts that failed (each retry counts)',
    }),
    sendDuration: meter.createHistogram('messaging.client.operation.duration', {
      unit: 's',
      description: 'Duration of send() calls, batching included',
      advice: { explicitBucketBoundaries: SECONDS_BUCKETS },
    }),
    processDuration: meter.createHistogram('messaging.process.duration', {
      unit: 's',
      description: 'Duration of handler attempts',
      advice: { explicitBucketBoundaries: SECONDS_BUCKETS },
    }),
    inFlight: meter.createUpDownCounter('speedlayer.consumer.in_flight', {
      unit: '{message}',
      description: 'Handler attempts running now',
    }),
  };
}

/**
 * Consumer lag as observable gauges, read from the target when the SDK collects (at most every export interval):
 * `messaging.consumer.lag` in messages and `messaging.consumer.lag.age` in seconds (age of the oldest record not yet
 * checkpointed), per partition. Returns the function that stops observing.
 */
export function observeLag(topic: string, group: string, system: string, read: () => Promise<PartitionLag[]>): () => void {
  const meter = metrics.getMeter(INSTRUMENTATION_SCOPE);
  const messages = meter.createObservableGauge('messaging.consumer.lag', {
    unit: '{message}',
    description: 'Messages written and not yet checkpointed by the group, per partition',
  });
  const age = meter.createObservableGauge('messaging.consumer.lag.age', {
    unit: 's',
    description: 'Age of the oldest message not yet checkpointed by the group, per partition',
  });
  const callback = async (result: BatchObservableResult) => {
    let lag: PartitionLag[];
    try {
      lag = await Promise.race([
        read(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('lag read timed out')), 5000).unref()),
      ]);
    } catch {
      return; // a missed reading; the next collection tries again
    }
    for (const p of lag) {
      const attributes = {
        'messaging.system': system,
        'messaging.destination.name': topic,
        'messaging.consumer.group.name': group,
        'messaging.destination.partition.id': String(p.partition),
      };
      result.observe(messages, p.lag, attributes);
      if (p.ageSeconds !== undefined) result.observe(age, p.ageSeconds, attributes);
    }
  };
  meter.addBatchObservableCallback(callback, [messages, age]);
  return () => meter.removeBatchObservableCallback(callback, [messages, age]);
}
