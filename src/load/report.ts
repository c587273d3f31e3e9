/**
 * The files of a load run: `--json` (the aggregates, the thresholds and one row per caller with its
 * steps) and `--junit` (one testcase per caller, failed with its reason, plus one per threshold: what
 * a CI server shows as the load test's outcome).
 */
import { resolve } from 'node:path';
import { xmlEscape } from '../script/report-junit.js';
import type { LoadResult } from './engine.js';
import type { ThresholdCheck } from './expect.js';
import type { NativeIoStats } from '../rtp/io-native.js';

export const LOAD_REPORT_VERSION = 1;

export interface LoadReportHead {
  script: string;
  name: string;
  /** The options the run was started with (rate, concurrency ...), as given. */
  settings: Record<string, unknown>;
  /** The native RTP engine's send counters for the whole run (io-native.ts NativeIoStats), when it ran. */
  rtpEngine?: NativeIoStats;
}

export function loadJsonReport(head: LoadReportHead, r: LoadResult, checks: ThresholdCheck[]): string {
  const callers = r.results.map((c) => {
    const it = c.result;
    return {
      ...c.metrics,
      ...(it ? {
        callId: it.call.callId || undefined,
        vars: it.vars,
        startedAt: it.startedAt,
        steps: it.steps.map((s) => ({ label: s.label, status: s.status, startMs: Math.round(s.startMs), durationMs: Math.round(s.durationMs), ...(s.detail ? { detail: s.detail } : {}), ...(s.error ? { error: s.error } : {}) })),
        recordings: it.recordings,
      } : {}),
    };
  });
  const doc = {
    umphoneLoadReport: LOAD_REPORT_VERSION,
    script: head.script,
    name: head.name,
    settings: head.settings,
    ...(head.rtpEngine ? { rtpEngine: head.rtpEngine } : {}),
    startedAt: r.startedAt,
    durationMs: Math.round(r.durationMs),
    interrupted: r.interrupted,
    stats: r.stats,
    thresholds: checks.map((c) => ({ expect: c.threshold.text, actual: c.actual ?? null, ok: c.ok })),
    callers,
  };
  // Infinity (the histograms' last bound) is not JSON: null there.
  return `${JSON.stringify(doc, (_k, v: unknown) => (v === Infinity ? null : v), 2)}\n`;
}

const attr = (name: string, value: string | number): string => ` ${name}="${xmlEscape(String(value))}"`;
const secs = (ms: number): string => (ms / 1000).toFixed(3);

/**
 * `attachments`: files for the callers' suite (the HTML page of --report), as `[[ATTACHMENT|/abs/path]]`
 * in its system-out, the convention Jenkins' JUnit Attachments plugin and GitLab read.
 */
export function loadJunitReport(head: LoadReportHead, r: LoadResult, checks: ThresholdCheck[], opts: { attachments?: readonly string[] } = {}): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const s = r.stats;
  const thresholdFailures = checks.filter((c) => !c.ok).length;
  const classname = `load.${head.name}`.replace(/[^A-Za-z0-9_.-]/g, '_');
  out.push(`<testsuites${attr('name', `load ${head.name}`)}${attr('tests', r.results.length + checks.length)}${attr('failures', s.failed + thresholdFailures)}${attr('skipped', s.interrupted)}${attr('time', secs(r.durationMs))}${attr('timestamp', r.startedAt)}>`);
  out.push(`  <testsuite${attr('name', `${head.name} callers`)}${attr('tests', r.results.length)}${attr('failures', s.failed)}${attr('errors', 0)}${attr('skipped', s.interrupted)}${attr('time', secs(r.durationMs))}${attr('timestamp', r.startedAt)}>`);
  out.push('    <properties>');
  const props: Array<[string, string | number]> = [
    ['asr', s.asr ?? ''], ['answered', s.answered], ['started', s.started],
    ['pdd.p50', s.postDialDelayMs.p50 ?? ''], ['pdd.p95', s.postDialDelayMs.p95 ?? ''], ['setup.p95', s.setupMs.p95 ?? ''],
    ['mos.p5', s.mos.p5 ?? ''], ['script', head.script],
  ];
  for (const [n, v] of props) out.push(`      <property${attr('name', n)}${attr('value', v)}/>`);
  out.push('    </properties>');
  for (const c of r.results) {
    const m = c.metrics;
    const vars = c.result ? Object.entries(c.result.vars).filter(([k]) => k !== 'iteration' && k !== 'caller').map(([k, v]) => `${k}=${v}`).join(' ') : '';
    const head2 = `    <testcase${attr('name', `caller ${m.caller}${vars ? ` (${vars})` : ''}`)}${attr('classname', classname)}${attr('time', secs(m.durationMs))}`;
    if (m.outcome === 'passed') out.push(`${head2}/>`);
    else if (m.outcome === 'interrupted') out.push(`${head2}>\n      <skipped${attr('message', 'interrupted (Ctrl-C)')}/>\n    </testcase>`);
    else {
      const msg = `${m.failedStep ?? 'call'}: ${m.error ?? m.reason ?? 'failed'}`;
      out.push(`${head2}>\n      <failure${attr('message', msg)}${attr('type', m.reason ?? 'failed')}>${xmlEscape(c.result?.timeline.join('\n') ?? msg)}</failure>\n    </testcase>`);
    }
  }
  const files = (opts.attachments ?? []).map((f) => `[[ATTACHMENT|${resolve(f)}]]`);
  if (files.length > 0) out.push(`    <system-out>${xmlEscape(files.join('\n'))}</system-out>`);
  out.push('  </testsuite>');
  if (checks.length > 0) {
    out.push(`  <testsuite${attr('name', `${head.name} thresholds`)}${attr('tests', checks.length)}${attr('failures', thresholdFailures)}${attr('errors', 0)}${attr('skipped', 0)}${attr('time', '0.000')}${attr('timestamp', r.startedAt)}>`);
    for (const c of checks) {
      const h = `    <testcase${attr('name', `expect ${c.threshold.text}`)}${attr('classname', `${classname}.thresholds`)} time="0.000"`;
      out.push(c.ok ? `${h}/>` : `${h}>\n      <failure${attr('message', `${c.threshold.text}: actual ${c.actual ?? 'not measured'}`)} type="threshold"/>\n    </testcase>`);
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
