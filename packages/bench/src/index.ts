/**
 * `@speedlayer/bench`: an OpenMessaging-Benchmark-compatible workload runner over the speedlayer stream
 * contract. Reads OMB workload files as they are, runs them on one or several stream targets (local, memory,
 * Kafka/MSK, Kinesis, Event Hubs, Pub/Sub), measures with HDR histograms and writes OMB `TestResult` JSON, a
 * side-by-side Markdown table and a self-contained HTML report.
 *
 * @example
 * ```ts
 * import { loadOmbWorkload, runBench, toMarkdown } from '@speedlayer/bench';
 * const loaded = await loadOmbWorkload('examples/omb/tiny-1-topic-2-partitions-100b.yaml');
 * const report = await runBench(loaded, { streams: ['memory://bench'], durations: { warmupMs: 1000, testMs: 3000 } });
 * console.log(toMarkdown(report));
 * ```
 *
 * @packageDocumentation
 */
export { isLoopbackUrl } from './baselines/common.js';
export {
  type BaselineLookup,
  baselineFor,
  baselineNames,
  openEventHubsBaseline,
  openEventHubsKafkaBaseline,
  openKafkaBaseline,
  openKinesisBaseline,
  openLocalBaseline,
  openPubSubBaseline,
} from './baselines/index.js';
export {
  type BenchOptions,
  type BenchProgress,
  type BenchReport,
  type LatencyDelta,
  type OverheadResult,
  runBench,
  type TargetOutcome,
} from './bench.js';
export { type CostEstimate, type CostOptions, estimateCost, isComputeCostLine, unitCosts } from './cost.js';
export {
  type BenchConsumer,
  type BenchConsumerCallback,
  type BenchDriver,
  type BenchProducer,
  nowUs,
  SENT_AT_HEADER,
  type SendMode,
  SpeedlayerDriver,
  speedlayerDriver,
} from './driver.js';
export { LatencyRecorder, type LatencySummary, PERCENTILES, summarize } from './histogram.js';
export { MaxRateController, type MaxRateOptions, producerSchedules, type RateObservation, RateSchedule } from './rate.js';
export { toHtml } from './report-html.js';
export { resultFileName, summaryTable, sweepTable, toMarkdown } from './report-md.js';
export {
  aggregatedValue,
  type BenchResult,
  type OmbTestResult,
  REPORT_PERCENTILES,
  type ResultContext,
  type SpeedlayerResultInfo,
  toBenchResult,
} from './result.js';
export {
  type IntervalSample,
  keyDistributor,
  type Measurement,
  mergeMeasurements,
  type PhaseTotals,
  type Progress,
  type RunOptions,
  runWorkload,
  topicNames,
} from './runner.js';
export {
  runSendModes,
  type SendModeOptions,
  type SendModeResult,
  type SendModeRuns,
  sendModeTable,
} from './send-mode.js';
export {
  judgeStep,
  nextRate,
  parseRates,
  type RunawayLimits,
  type RunSweepOptions,
  runSweep,
  type SweepOptions,
  type SweepResult,
  type SweepStep,
  stepOf,
} from './sweep.js';
export {
  type Durations,
  durationsOf,
  KEY_DISTRIBUTORS,
  type KeyDistributorType,
  type LoadedWorkload,
  loadOmbWorkload,
  makePayloads,
  OMB_FIELDS,
  type OmbWorkload,
  OmbWorkloadError,
  ombWorkloadSchema,
  parseDuration,
  parseOmbWorkload,
  validateOmbWorkload,
} from './workload.js';
