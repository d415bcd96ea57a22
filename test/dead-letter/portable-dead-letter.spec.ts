/** Dead letters through the portable producer on memory:// (the local driver on an in-memory log). */
import { connect } from '@speedlayer/core';
import { deadLetterCases } from './cases.js';

let n = 0;
deadLetterCases({
  name: 'memory',
  // a fresh log per client; `stop` so that a dead letter that cannot be published stops the partition
  connect: (options) =>
    connect(`memory://dead-letter-${process.pid}-${n++}`, {
      ...options,
      config: { deadLetterFailure: 'stop', ...options.config },
    }),
  smallRecords: { maxMessageBytes: 4096 },
  recordLimit: 4096,
});
