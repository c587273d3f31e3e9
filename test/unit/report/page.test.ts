/**
 * The report's page builder: the ladder's columns and arrows, escaping of hostile SIP text (it comes
 * from the network), a call that was never answered, a script whose step failed, the quality section,
 * and that the page asks for nothing from any network.
 */
import { describe, expect, it } from 'vitest';
import { buildLadder } from '../../../src/report/ladder.js';
import { reportPageForCall, reportPageForRun } from '../../../src/report/model.js';
import { renderReport } from '../../../src/report/page.js';
import { esc, scriptJson } from '../../../src/report/html.js';
import { failedRun, HOSTILE, hostileCall, quality, redirectedCall, sip, unansweredCall } from '../../support/report-fixtures.js';

const AT = '2026-12-06T23:00:00.000Z';

/** The data-* attributes of every ladder row, in order. */
function ladderRows(html: string): Array<Record<string, string>> {
  return [...html.matchAll(/<div class="msg [^"]*"([^>]*)>/g)].map((m) => Object.fromEntries([...m[1]!.matchAll(/data-([a-z-]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!])));
}

describe('report page', () => {
  it('draws the ladder of a redirected call: one column per address:port, each arrow between its columns', () => {
    const s = redirectedCall();
    const ladder = buildLadder(s.evidence!.sip);
    expect(ladder.columns.map((c) => c.address)).toEqual(['10.0.0.20:5070', '10.0.0.5:5060', '10.0.0.5:5065']);
    expect(ladder.columns.map((c) => c.ours)).toEqual([true, false, false]);
    const html = renderReport(reportPageForCall(s, AT));
    const rows = ladderRows(html);
    expect(rows.map((r) => r['label'])).toEqual(['INVITE', '302', 'ACK', 'INVITE', '200', 'ACK', 'BYE', '200']);
    expect(rows.map((r) => `${r['from-col']}>${r['to-col']}`)).toEqual(['0>1', '1>0', '0>1', '0>2', '2>0', '0>2', '0>2', '2>0']);
    expect(html).toContain('302 Moved Temporarily');
    expect(html).toContain('INVITE (SDP)');
    // Each message's full text is on the page, hidden until its row is opened.
    expect(html).toMatch(/<div class="sip-text" hidden id="m1">[\s\S]*?Contact: &lt;sip:680@10\.0\.0\.5:5065;transport=Tcp&gt;/);
    // The redirect chain and the figures, with their raw values.
    expect(html).toMatch(/data-section="redirects"[\s\S]*302 Moved Temporarily[\s\S]*200 OK/);
    expect(html).toContain('data-figure="rtp-jitter" data-value="1.25"');
    expect(html).toContain('data-figure="answer-time" data-value="180"');
    expect(html).toContain('data-kind="dtmf-sent"');
  });

  it('escapes hostile SIP text everywhere: no markup from the network reaches the page', () => {
    const html = renderReport(reportPageForCall(hostileCall(), AT));
    // Our one script, and no element the far end wrote.
    expect(html.match(/<script/gi)).toHaveLength(1);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toContain('onerror="');
    expect(html).not.toMatch(/"><img/);
    expect(html).toContain(esc(HOSTILE));
    expect(html).toContain('&lt;/pre&gt;&lt;/div&gt;&lt;/script&gt;');
    // The hostile address stays inside its attribute.
    expect(html).toContain('data-from="10.0.0.20:5070" data-to="10.0.0.5:5060&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"');
    // And JSON for a script element cannot close it.
    expect(scriptJson({ a: '</script><script>x()</script>' })).not.toContain('</script');
  });

  it('a call that was never answered: its INVITE, 100, 486 and ACK, no recording, no quality', () => {
    const html = renderReport(reportPageForCall(unansweredCall(), AT));
    expect(ladderRows(html).map((r) => r['label'])).toEqual(['INVITE', '100', '486', 'ACK']);
    expect(html).toContain('not answered: 486 Busy Here');
    expect(html).toContain('data-figure="answer-time" data-value=""');
    expect(html).toContain('No recording');
    expect(html).toContain('No quality figures');
    expect(html).not.toContain('<audio');
  });

  it('a script run: the failed step marked in the steps, the timeline and the title; skipped steps not drawn', () => {
    const html = renderReport(reportPageForRun(failedRun(), AT));
    expect(html).toMatch(/<h1>umphone run greeting <span class="badge fail">FAILED<\/span><\/h1>/);
    expect(html).toContain('data-passed="false"');
    expect(html).toMatch(/<tr class="step-row failed" data-step="3" data-status="failed">[\s\S]*?heard another prompt \(score 0\.21 &lt; 0\.5\)/);
    expect(html).toMatch(/<tr class="step-row skipped" data-step="4"/);
    expect(html).toMatch(/<rect class="step failed"[^>]*data-kind="prompt" data-status="failed"/);
    expect(html.match(/<rect class="step /g)).toHaveLength(3);
    // The runner's digits (in-band included) are on the timeline; the answer time comes from the evidence.
    expect(html).toContain('data-kind="dtmf-received"');
    expect(html).toContain('data-figure="answer-time" data-value="180"');
  });

  it('draws the quality figures and per-second charts when the summary has them', () => {
    const s = redirectedCall();
    s.quality = quality();
    const html = renderReport(reportPageForCall(s, AT));
    expect(html).toContain('data-figure="mos" data-value="4.38"');
    expect(html).toContain('data-figure="pdd-answer" data-value="180"');
    expect(html).toContain('data-figure="one-way-audio" data-value="false"');
    const mos = /<figure class="chart" data-chart="mos">([\s\S]*?)<\/figure>/.exec(html)![1]!;
    expect([...mos.matchAll(/data-y="([\d.]+)"/g)].map((m) => Number(m[1]))).toEqual([4.4, 4.4, 3.9, 4.4]);
    expect(html).toContain('data-chart="loss"');
    expect(html).toContain('data-chart="jitter"');
  });

  it('asks for nothing from a network: a CSP forbids it and no URL is written', () => {
    const html = renderReport(reportPageForCall(redirectedCall(), AT));
    expect(html).toContain('http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;;');
    expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//i);
    expect(html).not.toMatch(/<link /i);
  });

  it('a one-hour call stays a page of a few hundred KiB (3,600 per-second rows, session refreshes, a linked WAV)', () => {
    const s = redirectedCall();
    const q = quality();
    q.perSecond = Array.from({ length: 3600 }, (_, i) => ({ ...q.perSecond[0]!, second: i, startMs: i * 1000, mos: 4.3 + (i % 7) / 100, jitterMs: 1 + (i % 13) / 10 }));
    s.quality = q;
    const ev = s.evidence!;
    for (let t = 900_000; t < 3_600_000; t += 900_000) ev.sip.push(sip(t, 'out', '10.0.0.5:5065', ev.sip[3]!.text), sip(t + 20, 'in', '10.0.0.5:5065', ev.sip[4]!.text), sip(t + 21, 'out', '10.0.0.5:5065', ev.sip[5]!.text));
    for (let t = 0; t < 3_600_000; t += 60_000) ev.events.push({ atMs: t + 100, endMs: t + 30_000, kind: 'speech', text: 'speech' });
    s.durationMs = 3_600_000;
    const page = reportPageForCall(s, AT);
    page.calls[0]!.audio = { path: 'call.wav', src: 'call.wav', embedded: false, waveform: { channels: 2, sampleRate: 8000, durationMs: 3_600_000, peaks: [0, 1].map(() => Array.from({ length: 1200 }, (_, i) => [-(i % 100), i % 120] as [number, number])) } };
    const size = Buffer.byteLength(renderReport(page));
    console.info(`report: a one-hour call's page is ${(size / 1024).toFixed(0)} KiB`);
    expect(size).toBeLessThan(512 * 1024);
    // The per-second charts draw their lines but not 3,600 dots each.
    expect(renderReport(page).match(/<circle class="dot mos"/g)).toBeNull();
  });
});
