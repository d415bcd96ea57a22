/**
 * Baseline for `local://` and `memory://`: the LMDB log under the adapter (`openLog` / `LocalLog`) used
 * directly, with the adapter's default fetch size and idle polling, but none of its group membership,
 * leases, checkpoints, validation or handler engine. What a hand-written embedded log client would do.
 *
 * @packageDocumentation
 */
import type { ParsedUri } from '@speedlayer/core';
import { dataDirFor, type LocalLog, openLog, releaseLog } from '@speedlayer/local';
import type { BenchConsumer, BenchConsumerCallback, BenchDriver, BenchProducer } from '../driver.js';

/** The adapter's defaults (`localConfigSchema`): idle poll 20 ms (backing off to 5x), 500 messages a fetch. */
const POLL_MS = 20;
const FETCH_MAX = 500;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

class LocalBaseline implements BenchDriver {
  readonly name = 'raw-lmdb';
  private readonly members = new Map<string, number>();
  private readonly consumers = new Set<BenchConsumer>();

  constructor(
    readonly target: string,
    private readonly log: LocalLog,
  ) {}

  async createTopic(topic: string, partitions: number): Promise<void> {
    this.log.ensureTopic(topic, partitions, 168);
  }

  async createProducer(topic: string): Promise<BenchProducer> {
    return {
      send: async (key, value, headers) => {
        await this.log.append(topic, [key === undefined ? { value, headers } : { key, value, headers }]);
      },
      close: async () => {},
    };
  }

  /** Members of one group split partitions by index (static assignment, no rebalancing). */
  async createConsumer(topic: string, group: string, onMessage: BenchConsumerCallback): Promise<BenchConsumer> {
    const id = `${topic}/${group}`;
    const member = this.members.get(id) ?? 0;
    this.members.set(id, member + 1);
    const meta = this.log.requireTopic(topic);
    let stopped = false;
    const loops: Promise<void>[] = [];
    // Partitions are split when the members are known: member m of n takes p % n === m. With the runner's
    // members all created before producing, each loop re-reads the member count.
    for (let p = 0; p < meta.partitions; p++) {
      loops.push(
        (async () => {
          let pos = 0;
          let idle = 0;
          while (!stopped) {
            const n = this.members.get(id) ?? 1;
            if (p % n !== member) {
              await sleep(POLL_MS * 5);
              continue;
            }
            let rows: ReturnType<LocalLog['read']>;
            try {
              rows = this.log.read(topic, p, pos, FETCH_MAX);
            } catch (e) {
              // The topic was deleted under a consumer that is being closed: the loop ends.
              if ((e as { kind?: string }).kind === 'not-found') return;
              throw e;
            }
            if (rows.length === 0) {
              idle = Math.min(idle + 1, 5);
              await sleep(POLL_MS * idle);
              continue;
            }
            idle = 0;
            for (const { msg } of rows) onMessage(msg.h ?? {}, msg.v.byteLength);
            pos = rows[rows.length - 1]!.offset + 1;
            await new Promise<void>((r) => setImmediate(r));
          }
        })(),
      );
    }
    const consumer: BenchConsumer = {
      close: async () => {
        stopped = true;
        await Promise.all(loops);
        this.consumers.delete(consumer);
      },
    };
    this.consumers.add(consumer);
    return consumer;
  }

  async deleteTopic(topic: string): Promise<void> {
    this.log.deleteTopic(topic);
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.close()));
    await releaseLog(this.log);
  }
}

/** Opens the LMDB log that `uri` (`local://dir` or `memory://name`) names, without the adapter. */
export async function openLocalBaseline(uri: ParsedUri): Promise<BenchDriver> {
  const { dir } = dataDirFor(uri);
  return new LocalBaseline(uri.scheme, openLog(dir));
}
