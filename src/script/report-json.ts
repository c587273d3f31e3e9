/**
 * `--report result.json`: the RunResult as JSON (see results.ts), with a schema version so tools
 * reading it can tell what they get.
 */
import type { RunResult } from './results.js';

export const JSON_REPORT_VERSION = 1;

export function jsonReport(result: RunResult): string {
  return `${JSON.stringify({ umphoneReport: JSON_REPORT_VERSION, ...result }, null, 2)}\n`;
}
