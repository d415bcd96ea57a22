/**
 * Dead letters through the portable producer on Kafka (the real broker peer). Before, the engine sent them with
 * the driver's producer: no middleware or metrics saw them, and an over-limit dead letter went to the broker.
 * Run: `SPEEDLAYER_PEERS=kafka npx vitest run --project int test/dead-letter/portable-dead-letter.int.spec.ts`.
 */
import { connect } from '@speedlayer/core';
import { injectPeers } from '@speedlayer/testing/peers/vitest';
import { describe } from 'vitest';
import { deadLetterCases } from './cases.js';

const kafka = (injectPeers().streams as Partial<Record<string, string>>).kafka;

describe.skipIf(!kafka)('kafka', () => {
  deadLetterCases({
    name: 'kafka',
    connect: (options) => connect(kafka as string, options),
    // the smallest broker-side record cap the driver takes; minus its per-record framing reserve (512 bytes)
    smallRecords: { messageMaxBytes: 4096 },
    recordLimit: 4096 - 512,
    slow: 2,
  });
});
