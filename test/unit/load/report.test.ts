/**
 * The pure parts of a load report: statistics from callers' metrics, threshold parsing and judging,
 * the progress line, the final text, JSON and JUnit.
 */
import { describe, expect, it } from 'vitest';
import type { CallerMetrics } from '../../../src/load/caller.js';
import { distribution, histogram, loadStats, percentile } from '../../../src/load/stats.js';
import { checkThresholds, ExpectError, parseThreshold } from '../../../src/load/expect.js';
import { progressLine, reportText } from '../../../src/load/format.js';
import { loadJsonReport, loadJunitReport } from '../../../src/load/report.js';
import type { LoadResult } from '../../../src/load/engine.js';

const ok = (n: number, pdd: number, mos?: number): CallerMetrics => ({
  caller: n, outcome: 'passed', answered: true, finalStatus: 200, postDialDelayMs: pdd, setupMs: pdd + 5, durationMs: 9000,
  rtp: { sentPackets: 450, receivedPackets: 450, lost: 0, lossPercent: 0, jitterMs: 0.5 }, ...(mos !== undefined ? { mos } : {}),
});
const rejected = (n: number): CallerMetrics => ({ caller: n, outcome: 'setup-failed', reason: '503', failedStep: 'call', error: '503 Service Unavailable', answered: false, finalStatus: 503, postDialDelayMs: undefined, durationMs: 20 });
const stepFailed = (n: number): CallerMetrics => ({ ...ok(n, 30), outcome: 'failed', reason: 'step wait_for speech', failedStep: 'wait_for speech', error: 'no speech within 5 s' });

describe('load statistics', () => {
  it('nearest-rank percentiles, distributions and histograms', () => {
    const xs = Array.from({ length: 100 }, (_, k) => k + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 95)).toBe(95);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile([], 50)).toBeUndefined();
    expect(distribution([3, 1, 2])).toMatchObject({ count: 3, min: 1, p50: 2, max: 3, mean: 2 });
    expect(histogram([5, 15, 15, 20000], [10, 20]).map((b) => b.count)).toEqual([1, 2, 1]);
  });

  it('counts outcomes, ASR, reasons, final codes and failed steps', () => {
    const interrupted: CallerMetrics = { caller: 7, outcome: 'interrupted', reason: 'interrupted', answered: false, durationMs: 5 };
    const s = loadStats([ok(1, 10), ok(2, 20), rejected(3), rejected(4), stepFailed(5), ok(6, 40), interrupted], { started: 8, active: 1, elapsedMs: 4000 });
    expect(s).toMatchObject({ started: 8, active: 1, completed: 7, passed: 3, failed: 3, setupFailed: 2, interrupted: 1, answered: 4 });
    // 4 answered of 6 attempts (the interrupted, unanswered caller is no attempt).
    expect(s.asr).toBe(66.67);
    expect(s.failedPercent).toBe(50);
    expect(s.failedByReason).toEqual({ 503: 2, 'step wait_for speech': 1 });
    expect(s.finalCodes).toEqual({ 200: 4, 503: 2 });
    expect(s.failedSteps).toEqual([
      { step: 'call', reason: '503 Service Unavailable', count: 2 },
      { step: 'wait_for speech', reason: 'no speech within 5 s', count: 1 },
    ]);
    expect(s.postDialDelayMs).toMatchObject({ count: 4, p50: 20, max: 40 });
    expect(s.callsPerSecond).toBe(2);
    expect(s.mos.count).toBe(0);
  });
});

describe('thresholds', () => {
  it('parses metrics with their units', () => {
    expect(parseThreshold('asr>=99%')).toEqual({ text: 'asr>=99%', metric: 'asr', op: '>=', value: 99 });
    expect(parseThreshold('pdd_p95 < 2s')).toMatchObject({ metric: 'pdd_p95', op: '<', value: 2000 });
    expect(parseThreshold('setup_p99<=500ms')).toMatchObject({ value: 500 });
    expect(parseThreshold('failed<1%')).toMatchObject({ metric: 'failed', value: 1 });
    expect(parseThreshold('mos_p5>=3.8')).toMatchObject({ metric: 'mos_p5', value: 3.8 });
    expect(parseThreshold('failed_calls==0')).toMatchObject({ metric: 'failed_calls', op: '==', value: 0 });
  });

  it.each([
    ['asr>=', /write metric op value/],
    ['speed>3', /unknown metric "speed"/],
    ['pdd_p95<2', /give pdd_p95 a unit/],
    ['pdd_p42<2s', /unknown metric/],
    ['mos_p5>=3.8%', /plain number/],
    ['asr>=99ms', /percentage/],
  ])('refuses %s', (text, msg) => {
    expect(() => parseThreshold(text)).toThrow(ExpectError);
    expect(() => parseThreshold(text)).toThrow(msg);
  });

  it('judges: a breach and an unmeasured metric fail, the rest pass', () => {
    const s = loadStats([ok(1, 10), ok(2, 3000), rejected(3)]);
    const checks = checkThresholds(s, ['asr>=99%', 'pdd_p50<2s', 'pdd_max<2s', 'mos_p5>=3.8', 'failed<=34%'].map(parseThreshold));
    expect(checks.map((c) => [c.threshold.text, c.ok, c.actual])).toEqual([
      ['asr>=99%', false, 66.67],
      ['pdd_p50<2s', true, 10],
      ['pdd_max<2s', false, 3000],
      ['mos_p5>=3.8', false, undefined],
      ['failed<=34%', true, 33.33],
    ]);
  });
});

describe('report text', () => {
  const s = loadStats([ok(1, 10, 4.4), ok(2, 20, 4.3), rejected(3)], { started: 4, active: 1, elapsedMs: 2000 });

  it('progress line: active, started, answered, failed by reason, calls/s, PDD, MOS', () => {
    expect(progressLine(s)).toBe('   2s  active 1  started 4  answered 2  failed 1 (503: 1)  2.0 calls/s  pdd p50 10ms p95 20ms  mos p50 4.30');
  });

  it('final report: ASR, delays with histogram, codes, RTP, MOS, failed steps, thresholds', () => {
    const text = reportText({ name: 'leave-message', durationMs: 2000, interrupted: false }, s, checkThresholds(s, [parseThreshold('asr>=99%')]));
    expect(text).toContain('umphone load: leave-message: 4 callers in 2.0 s (2.0 calls/s)');
    expect(text).toContain('ASR               66.67 % (2 answered)');
    expect(text).toMatch(/post-dial delay\s+p50 10ms {2}p95 20ms {2}p99 20ms {2}min 10ms {2}max 20ms {2}\(2 calls\)/);
    expect(text).toContain('≤10ms 1 | ≤20ms 1');
    expect(text).toContain('final SIP codes   200 ×2, 503 ×1');
    expect(text).toContain('MOS               p5 4.30');
    expect(text).toContain('1 × call: 503 Service Unavailable');
    expect(text).toContain('✗ asr>=99%  (66.67 %)');
  });
});

describe('JSON and JUnit reports', () => {
  const callers = [ok(1, 10), rejected(2)];
  const r: LoadResult = {
    startedAt: '2026-12-06T22:00:00.000Z', durationMs: 1500, interrupted: false, callers,
    stats: loadStats(callers, { started: 2, elapsedMs: 1500 }),
    results: callers.map((metrics) => ({ metrics })),
  };
  const head = { script: 'load.yaml', name: 'load <&>', settings: { rate: 5 } };
  const checks = checkThresholds(r.stats, [parseThreshold('asr>=99%')]);

  it('JSON: version, settings, stats, thresholds and one row per caller', () => {
    const j = JSON.parse(loadJsonReport(head, r, checks)) as Record<string, unknown> & { callers: Array<Record<string, unknown>>; thresholds: unknown[] };
    expect(j.umphoneLoadReport).toBe(1);
    expect(j.settings).toEqual({ rate: 5 });
    expect(j.callers.map((c) => [c.caller, c.outcome, c.reason ?? null])).toEqual([[1, 'passed', null], [2, 'setup-failed', '503']]);
    expect(j.thresholds).toEqual([{ expect: 'asr>=99%', actual: 50, ok: false }]);
  });

  it('JUnit: a testcase per caller and per threshold, failures counted, text escaped', () => {
    const x = loadJunitReport(head, r, checks);
    expect(x).toContain('<testsuites name="load load &lt;&amp;&gt;" tests="3" failures="2"');
    expect(x).toContain('<testcase name="caller 1" classname="load.load____" time="9.000"/>');
    expect(x).toContain('<failure message="call: 503 Service Unavailable" type="503">');
    expect(x).toContain('<testcase name="expect asr&gt;=99%"');
    expect(x).toContain('type="threshold"');
  });
});
