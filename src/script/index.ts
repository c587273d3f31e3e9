/** Scripted IVR navigation: parse a caller script, run it against a phone, write reports. */
export { loadScript, parseScript, StepParser, type LoadOptions } from './parse.js';
export { runScript, runIteration, callOptions, IterationRun, type RunOptions, type ScriptCall } from './runner.js';
export { jsonReport, JSON_REPORT_VERSION } from './report-json.js';
export { junitReport, xmlEscape } from './report-junit.js';
export { ScriptError } from './errors.js';
export { parseDuration, DurationError } from '../util/duration.js';
export { substitute, UnknownVariableError } from './vars.js';
export { parseCsv, CsvError } from './csv.js';
export { RunExit, exitCodeOf, type RunResult, type IterationResult, type StepResult, type CallOutcome, type DigitRecord, type StepStatus } from './results.js';
export type { Script, Step, StepKind, Iteration, CallHeader, ListenHeader, RecordUntil } from './types.js';
