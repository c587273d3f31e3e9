/** Load testing: many virtual callers running one script on one phone (`umphone load`). */
export { CallerScripts, runCaller, listensFromAnswer, type CallerMetrics, type CallerOutcome, type CallerResult, type RunCallerOptions } from './caller.js';
export { LoadRun, type LoadOptions, type LoadResult, type CallerRecord } from './engine.js';
export { loadStats, distribution, histogram, percentile, DELAY_BINS_MS, type LoadStats, type Distribution, type HistogramBin } from './stats.js';
export { parseThreshold, checkThresholds, metricValue, ExpectError, type Threshold, type ThresholdCheck } from './expect.js';
export { progressLine, reportText } from './format.js';
export { loadJsonReport, loadJunitReport, LOAD_REPORT_VERSION, type LoadReportHead } from './report.js';
