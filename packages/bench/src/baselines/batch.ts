/**
 * The batching every raw baseline does the way its vendor's docs recommend for throughput: one-record calls
 * from the runner are collected into requests of up to `maxRecords` records / `maxBytes` bytes, with at most
 * `maxInFlight` requests outstanding; while they are, new records wait and the next request grows (so batches
 * follow the load, as a hand-written producer loop would). Each caller learns its own record's outcome.
 * No vendor types here: the request is a function given by the baseline.
 *
 * @packageDocumentation
 */

/** Limits of one {@link RecordBatcher}. */
export interface RecordBatcherOptions {
  /** Records per request (Kinesis PutRecords: 500). */
  maxRecords: number;
  /** Bytes per request. @default Infinity */
  maxBytes?: number;
  /** Requests outstanding at once. @default 1 */
  maxInFlight?: number;
}

interface Pending<T> {
  item: T;
  bytes: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * Collects records into requests. `sendBatch` sends one request and resolves when every record in it was
 * acknowledged (a baseline retries partial failures inside it); a rejection fails every record of that request.
 */
export class RecordBatcher<T> {
  private queue: Pending<T>[] = [];
  private queuedBytes = 0;
  private inFlight = 0;
  private scheduled = false;
  private readonly maxBytes: number;
  private readonly maxInFlight: number;
  private readonly idle: Array<() => void> = [];
  /** Sizes of the requests sent so far (records), for tests and reports. */
  readonly batchSizes: number[] = [];

  constructor(
    private readonly sendBatch: (items: T[]) => Promise<void>,
    private readonly options: RecordBatcherOptions,
    private readonly sizeOf: (item: T) => number = () => 0,
  ) {
    if (!(options.maxRecords >= 1)) throw new RangeError('maxRecords must be at least 1');
    this.maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 1);
  }

  /** Adds one record; resolves when its request was acknowledged. */
  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const bytes = this.sizeOf(item);
      this.queue.push({ item, bytes, resolve, reject });
      this.queuedBytes += bytes;
      if (this.queue.length >= this.options.maxRecords || this.queuedBytes >= this.maxBytes) this.dispatch();
      else if (!this.scheduled) {
        // Records added in the same event-loop turn go out together.
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.dispatch();
        });
      }
    });
  }

  /** Resolves when nothing is queued or in flight. */
  flush(): Promise<void> {
    this.dispatch();
    if (this.queue.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise<void>((r) => this.idle.push(r));
  }

  /** Records waiting for a request slot. */
  get queued(): number {
    return this.queue.length;
  }

  private take(): Pending<T>[] {
    let n = 0;
    let bytes = 0;
    while (n < this.queue.length && n < this.options.maxRecords) {
      const b = (this.queue[n] as Pending<T>).bytes;
      if (n > 0 && bytes + b > this.maxBytes) break;
      bytes += b;
      n++;
    }
    this.queuedBytes -= bytes;
    return this.queue.splice(0, n);
  }

  private dispatch(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.take();
      this.inFlight++;
      this.batchSizes.push(batch.length);
      let sent: Promise<void>;
      try {
        sent = this.sendBatch(batch.map((p) => p.item));
      } catch (e) {
        sent = Promise.reject(e);
      }
      sent.then(
        () => {
          for (const p of batch) p.resolve();
          this.done();
        },
        (e: unknown) => {
          for (const p of batch) p.reject(e);
          this.done();
        },
      );
    }
  }

  private done(): void {
    this.inFlight--;
    this.dispatch();
    if (this.queue.length === 0 && this.inFlight === 0) for (const r of this.idle.splice(0)) r();
  }
}
