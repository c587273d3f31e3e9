/**
 * The load part of the HTML report (report/load-section.ts) on made-up callers: figures carry the
 * stats' raw values, the histograms count every measured caller, the per-second series follow each
 * caller's start and length, rows link to the callers shown in full, and the page asks no network.
 */
import { describe, expect, it } from 'vitest';
import { perSecondSeries, renderLoadSection } from '../../../src/report/load-section.js';
import { renderReport } from '../../../src/report/page.js';
import { loadStats } from '../../../src/load/stats.js';
import type { CallerMetrics } from '../../../src/load/caller.js';

const callers: CallerMetrics[] = [
  { caller: 1, outcome: 'passed', answered: true, finalStatus: 200, postDialDelayMs: 40, setupMs: 40, durationMs: 3000, startMs: 0, mos: 4.37, rtp: { sentPackets: 150, receivedPackets: 150, lost: 0, lossPercent: 0, jitterMs: 0.5, late: 0, latePercent: 0 } },
  { caller: 2, outcome: 'failed', reason: 'step wait_for speech', failedStep: 'wait_for speech', error: 'timed out <script>', answered: true, finalStatus: 200, postDialDelayMs: 900, setupMs: 900, durationMs: 1500, startMs: 500, mos: 2.1 },
  { caller: 3, outcome: 'setup-failed', reason: '503', failedStep: 'call', answered: false, finalStatus: 503, durationMs: 200, startMs: 1000 },
];

describe('load report section', () => {
  const stats = loadStats(callers, { started: 3, elapsedMs: 3000 });
  const html = renderLoadSection({ stats, callers, checks: [{ threshold: { text: 'asr>=99%', metric: 'asr', op: '>=', value: 99 }, actual: stats.asr, ok: false }], settings: { calls: 3, rate: 2, csv: null }, sections: { 2: 'call-1' }, failedNotShown: 0, engineLine: 'RTP sent 10 packets' });

  it('shows the stats with their raw values, the broken threshold, and the engine line', () => {
    expect(html).toContain(`data-figure="asr" data-value="${stats.asr}"`);
    expect(html).toContain('data-figure="failed" data-value="2"');
    expect(html).toContain(`data-figure="pdd-p95" data-value="${stats.postDialDelayMs.p95}"`);
    expect(html).toMatch(/data-threshold="asr&gt;=99%" data-ok="false"/);
    expect(html).toContain('RTP sent 10 packets');
    expect(html).not.toContain('csv null');
  });

  it('counts every measured caller in the histograms, and each SIP code and reason', () => {
    const counts = (name: string): number => [...html.matchAll(new RegExp(`data-histogram="${name}"[\\s\\S]*?</table>`, 'g'))][0]![0]
      .match(/data-count="(\d+)"/g)!.reduce((n, m) => n + Number(m.slice(12, -1)), 0);
    expect(counts('pdd')).toBe(2);
    expect(counts('mos')).toBe(2);
    expect(html).toMatch(/data-key="503"><td>503<\/td><td class="n">1</);
    expect(html).toMatch(/data-key="step wait_for speech"/);
  });

  it('one row per caller; the one shown in full links to its section; hostile text stays text', () => {
    expect([...html.matchAll(/<tr class="caller /g)]).toHaveLength(3);
    expect(html).toMatch(/data-caller="2"[^>]*><td><a href="#call-1">2<\/a>/);
    expect(html).toMatch(/data-caller="1"[^>]*><td>1<\/td>/);
    expect(html).toContain('timed out &lt;script&gt;');
  });

  it('per second: in progress from each start to its end, starts and failures in the second they happen', () => {
    const s = perSecondSeries(callers);
    expect(s.active.slice(0, 4)).toEqual([[0, 1], [1, 3], [2, 1], [3, 0]]);
    expect(s.started.slice(0, 3)).toEqual([[0, 0], [1, 2], [2, 1]]);
    expect(s.failed.slice(0, 4)).toEqual([[0, 0], [1, 0], [2, 1], [3, 1]]);
  });

  it('a load page: the header counts callers, and nothing is fetched from a network', () => {
    const page = renderReport({ title: 'umphone load x', kind: 'load', generatedAt: 'now', passed: false, script: 'x.yaml', durationMs: 3000, calls: [],
      load: { stats, callers, checks: [], settings: {}, sections: {}, failedNotShown: 25 } });
    expect(page).toContain('3 caller(s), 2 failed');
    expect(page).toContain('25 more failed caller(s) are in the table only');
    expect(page).not.toMatch(/(src|href)="https?:/);
  });
});
