/**
 * Writing the HTML report (report/page.ts draws it): `umphone call --report`, `umphone run --report
 * x.html` and `umphone report summary.json -o x.html`. This is where files are read: the recording
 * goes into the page as a data: URI up to EMBED_LIMIT bytes; beyond that the page carries its waveform
 * (a fixed 1200 columns per channel, whatever the length) and links the WAV by its path relative to
 * the page, so keep them side by side.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { reportCallFromIteration, reportPageForCall, reportPageForRun, type CallSummaryWithEvidence, type IterationWithEvidence, type ReportAudio, type ReportPage } from '../report/model.js';
import type { LoadResult } from '../load/engine.js';
import type { CallerMetrics } from '../load/caller.js';
import type { ThresholdCheck } from '../load/expect.js';
import { renderReport } from '../report/page.js';
import { waveformOf } from '../report/wav-peaks.js';
import type { RunResult } from '../script/results.js';

/** Recordings up to this size are embedded in the page (4 MiB: about 2 min of stereo 8 kHz 16-bit). */
export const EMBED_LIMIT = 4 * 1024 * 1024;

/** Where a recording named in a summary is: as written (relative to the working directory), else beside the summary. */
function locate(path: string, baseDirs: readonly string[]): string | undefined {
  if (isAbsolute(path)) return existsSync(path) ? path : undefined;
  for (const d of ['', ...baseDirs]) {
    const p = resolve(d, path);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** The recording as the page shows it: embedded when small, else its waveform and a relative link. */
export function reportAudio(path: string, reportPath: string, baseDirs: readonly string[] = []): ReportAudio {
  const file = locate(path, baseDirs);
  if (!file) return { path, embedded: false, note: `${path} was not found when the page was made` };
  let bytes: Buffer;
  const size = statSync(file).size;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    return { path, embedded: false, note: `${path}: ${(e as Error).message}` };
  }
  const waveform = waveformOf(bytes);
  const a: ReportAudio = { path, embedded: size <= EMBED_LIMIT };
  if (waveform) a.waveform = waveform;
  else a.note = 'not a 16-bit PCM WAV: no waveform';
  if (a.embedded) {
    a.src = `data:audio/wav;base64,${bytes.toString('base64')}`;
  } else {
    const rel = relative(dirname(resolve(reportPath)), file).split(sep).map(encodeURIComponent).join('/');
    a.src = rel;
    a.note = `${(size / 1048576).toFixed(1)} MiB is more than the ${EMBED_LIMIT / 1048576} MiB embedded in a page: the player reads ${rel} beside this page`;
  }
  return a;
}

/** The first stereo recording of a list, else the first one. */
function pickRecording(paths: readonly string[], baseDirs: readonly string[]): string | undefined {
  for (const p of paths) {
    const f = locate(p, baseDirs);
    if (!f) continue;
    try {
      const head = readFileSync(f).subarray(0, 64);
      if (head.length >= 24 && head.toString('latin1', 0, 4) === 'RIFF' && head.readUInt16LE(22) === 2) return p;
    } catch {
      // unreadable: the next one
    }
  }
  return paths[0];
}

export function callReportPage(summary: CallSummaryWithEvidence, reportPath: string, baseDirs: readonly string[] = []): ReportPage {
  const page = reportPageForCall(summary, new Date().toISOString());
  const rec = pickRecording(summary.recordings ?? [], baseDirs);
  if (rec !== undefined) page.calls[0]!.audio = reportAudio(rec, reportPath, baseDirs);
  return page;
}

export function runReportPage(result: RunResult & { iterations: IterationWithEvidence[] }, reportPath: string, baseDirs: readonly string[] = []): ReportPage {
  const page = reportPageForRun(result, new Date().toISOString());
  result.iterations.forEach((it, i) => {
    const rec = pickRecording(it.recordings.map((r) => r.path), baseDirs);
    if (rec !== undefined) page.calls[i]!.audio = reportAudio(rec, reportPath, baseDirs);
  });
  return page;
}

export function writeReport(path: string, page: ReportPage): void {
  writeFileSync(path, renderReport(page));
}

/** What a saved JSON is: a call summary (`--json`) or a run's JSON report (`run --report x.json`). */
export function pageFromJson(text: string, jsonPath: string, reportPath: string): ReportPage {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`${jsonPath} is not JSON: ${(e as Error).message}`);
  }
  const base = [dirname(resolve(jsonPath))];
  const o = data as Record<string, unknown>;
  if (o && typeof o === 'object' && Array.isArray(o['iterations']) && 'umphoneReport' in o) {
    return runReportPage(o as unknown as RunResult & { iterations: IterationWithEvidence[] }, reportPath, base);
  }
  if (o && typeof o === 'object' && typeof o['target'] === 'string' && Array.isArray(o['redirects'])) {
    return callReportPage(o as unknown as CallSummaryWithEvidence, reportPath, base);
  }
  throw new Error(`${jsonPath} is neither a call summary (umphone call --json) nor a run report (umphone run --report x.json)`);
}

/** What `umphone load --report` puts on its page: the run, and the callers shown in full. */
export interface LoadPageInput {
  script: string;
  name: string;
  settings: Record<string, unknown>;
  result: LoadResult;
  checks: ThresholdCheck[];
  engineLine?: string | undefined;
  /** The callers shown in full (failed ones first chosen, in caller order), with their evidence. */
  kept: Array<{ metrics: CallerMetrics; iteration: IterationWithEvidence }>;
  failedNotShown: number;
}

export function loadReportPage(o: LoadPageInput, reportPath: string): ReportPage {
  const sections: Record<number, string> = {};
  const calls = o.kept.map(({ metrics, iteration }, i) => {
    const c = reportCallFromIteration(iteration);
    c.title = `Caller ${metrics.caller}${metrics.outcome === 'passed' ? '' : ` (${metrics.reason ?? metrics.outcome})`}`;
    const rec = pickRecording(iteration.recordings.map((r) => r.path), []);
    if (rec !== undefined) c.audio = reportAudio(rec, reportPath);
    sections[metrics.caller] = `call-${i + 1}`;
    return c;
  });
  const r = o.result;
  return {
    title: `umphone load ${o.name}`,
    kind: 'load',
    generatedAt: new Date().toISOString(),
    passed: o.checks.length > 0 ? o.checks.every((c) => c.ok) : r.stats.failed === 0,
    script: o.script,
    durationMs: r.durationMs,
    calls,
    load: {
      stats: r.stats, callers: r.callers, checks: o.checks, settings: o.settings, sections, failedNotShown: o.failedNotShown,
      ...(o.engineLine !== undefined ? { engineLine: o.engineLine } : {}),
    },
  };
}
