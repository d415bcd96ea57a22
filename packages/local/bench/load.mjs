/**
 * The send loads of the embedded target's benchmarks (`throughput.mjs`, `core-ab.mjs`): 1 KB values over 1,024 keys,
 * sent in hand-made batches or one record per call from many concurrent callers.
 */
/** The value of every record: 1 KB. */
export const VALUE = new Uint8Array(1024).fill(0x61);
/** Key of the i-th record: 1,024 distinct keys. */
export const keyOf = (i) => `k${i % 1024}`;

/** `n` records in batches of `batch`, `inFlight` batches at a time. */
export async function batched(producer, topic, n, batch, inFlight) {
  let next = 0;
  const worker = async () => {
    for (;;) {
      const from = next;
      if (from >= n) return;
      next += batch;
      const records = [];
      for (let i = from; i < Math.min(n, from + batch); i++) records.push({ key: keyOf(i), value: VALUE });
      await producer.send(topic, records);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

/** `n` one-record sends from `callers` concurrent callers, each awaiting its ack before the next. */
export async function oneRecord(producer, topic, n, callers) {
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      await producer.send(topic, { key: keyOf(i), value: VALUE });
    }
  };
  await Promise.all(Array.from({ length: callers }, worker));
}
