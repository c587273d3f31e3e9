/**
 * The HTML call report in a real browser: a real call through the built-in UM server's 302 with
 * `umphone call --report`, then Debian's Chromium (driven by playwright-core; Playwright's own browser
 * download is not reachable here) opens the page from file:// and checks what a person would: it
 * loads with no console error, the ladder draws INVITE → 302 → ACK → INVITE → 200 → ACK → BYE → 200
 * between the right columns, a message opens to its full text, the recording plays, and the figures
 * on the page are those of the --json summary. `umphone report` then makes the same page from the JSON.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { UmServer } from '../../src/um/server.js';
import { killAllChildren, pollUntil, type ExitInfo } from '../support/child-process.js';
import { freeSipPort } from '../support/ports.js';
import { umphone } from '../support/umphone-cli.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/browser.js';
import { reportPageForCall, type CallSummaryWithEvidence } from '../../src/report/model.js';
import { renderReport } from '../../src/report/page.js';
import { hostileCall } from '../support/report-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'umphone-report-'));
let browser: Browser;

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  killAllChildren();
}, 30_000);

function expectOk(r: ExitInfo): void {
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
}

/** Opens a page and keeps every console error and uncaught exception. */
async function open(file: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`file://${file}`);
  return { page, errors };
}

describe('the HTML call report in Chromium (Debian\'s chromium, installed by scripts/setup-system.sh)', () => {
  it('a call through the UM server\'s 302: ladder, full text, audio and figures as in the JSON', async () => {
    const server = await UmServer.start({ port: 0, workerPort: 0, dataDir: mkdtempSync(join(dir, 'um-')) });
    const html = join(dir, 'call.html');
    const json = join(dir, 'call.json');
    let summary: CallSummaryWithEvidence;
    try {
      const r = await umphone(['call', `sip:6000@127.0.0.1:${server.port}`, '--from', '111', '--diversion', '613', '--no-audio',
        '--duration', '3', '--dtmf-sequence', ',1', '--report', html, '--json', json, '-q']).exited;
      expectOk(r);
      summary = JSON.parse(readFileSync(json, 'utf8')) as CallSummaryWithEvidence;
    } finally {
      await server.close();
    }
    const { page, errors } = await open(html);

    // The ladder: the flow without provisionals, each arrow between the columns of its addresses.
    const rows = await page.$$eval('.msg', (els) => els.map((e) => ({
      label: e.getAttribute('data-label')!, from: e.getAttribute('data-from')!, to: e.getAttribute('data-to')!,
      fromCol: Number(e.getAttribute('data-from-col')), toCol: Number(e.getAttribute('data-to-col')),
    })));
    const columns = await page.$$eval('.col-head', (els) => els.map((e) => e.getAttribute('data-address')!));
    const flow = rows.filter((r) => !/^1\d\d$/.test(r.label));
    expect(flow.map((r) => r.label)).toEqual(['INVITE', '302', 'ACK', 'INVITE', '200', 'ACK', 'BYE', '200']);
    for (const r of rows) {
      expect(columns[r.fromCol]).toBe(r.from);
      expect(columns[r.toCol]).toBe(r.to);
      expect(r.fromCol).not.toBe(r.toCol);
    }
    const front = `127.0.0.1:${server.port}`;
    const worker = `127.0.0.1:${server.worker.port}`;
    expect(flow.slice(0, 3).map((r) => [r.from === front ? 'front' : 'us', r.to === front ? 'front' : 'us'])).toEqual([['us', 'front'], ['front', 'us'], ['us', 'front']]);
    expect(flow.slice(3).map((r) => (r.to === worker ? '→worker' : r.from === worker ? '←worker' : '?'))).toEqual(['→worker', '←worker', '→worker', '→worker', '←worker']);
    // The page's rows are the evidence's messages, in order, with their addresses.
    const ev = summary.evidence!;
    expect(rows.length).toBe(ev.sip.length);
    ev.sip.forEach((m, i) => expect(rows[i]!.from).toBe(m.direction === 'out' ? m.local : m.remote));

    // A message opens to its full text: the 302 with its Contact.
    const i302 = rows.findIndex((r) => r.label === '302');
    const text = page.locator(`#m${i302}`);
    await expect(text.isVisible()).resolves.toBe(false);
    await page.locator('.msg').nth(i302).click();
    await expect(text.isVisible()).resolves.toBe(true);
    const shown = await text.locator('pre').textContent();
    expect(shown).toBe(ev.sip[i302]!.text.replace(/\r\n/g, '\n'));
    expect(shown).toMatch(/^SIP\/2\.0 302 /);
    expect(shown).toMatch(/Contact: <sip:6000@127\.0\.0\.1:\d+/i);

    // The recording plays in the page (muted: no sound card is needed for the clock to move).
    // Played until its clock has moved (waited for, not timed: a loaded machine starts audio late).
    await page.evaluate(`(async () => {
      const a = document.querySelector('audio');
      a.muted = true;
      await a.play();
    })()`);
    await pollUntil('the audio playing', async () => ((await page.evaluate('document.querySelector("audio").currentTime')) as number) > 0.3, 60_000);
    const audio = await page.evaluate(`(() => {
      const a = document.querySelector('audio');
      return { t1: a.currentTime, error: a.error ? a.error.code : null, duration: a.duration, embedded: a.getAttribute('data-embedded') };
    })()`) as { t1: number; error: number | null; duration: number; embedded: string };
    expect(audio.error).toBeNull();
    expect(audio.embedded).toBe('yes');
    expect(audio.t1).toBeGreaterThan(0.3);
    expect(audio.duration).toBeGreaterThan(2);
    const playhead = await page.$eval('.playhead', (l) => Number(l.getAttribute('x1')));
    expect(playhead).toBeGreaterThan(0);

    // The figures on the page are the JSON's.
    const fig = async (name: string): Promise<string> => page.$eval(`[data-figure="${name}"]`, (e) => e.getAttribute('data-value')!);
    expect(Number(await fig('status'))).toBe(summary.status);
    expect(Number(await fig('duration'))).toBe(summary.durationMs);
    expect(Number(await fig('answer-time'))).toBe(summary.answeredAtMs);
    expect(Number(await fig('rtp-sent'))).toBe(summary.rtp!.sent.packets);
    expect(Number(await fig('rtp-received'))).toBe(summary.rtp!.received.packets);
    expect(Number(await fig('rtp-lost'))).toBe(summary.rtp!.received.lost);
    expect(Number(await fig('rtp-jitter'))).toBe(summary.rtp!.received.jitterMs);
    expect(await fig('dtmf-sent')).toBe('1 (rfc4733)');
    expect(await page.$eval('[data-figure="rtp-jitter"] .v', (e) => e.textContent)).toBe(`${summary.rtp!.received.jitterMs.toFixed(2)} ms`);
    const q = summary.quality!;
    expect(q.perSecond.length).toBeGreaterThan(2);
    expect(Number(await fig('mos'))).toBe(q.mos);
    expect(Number(await fig('r-factor'))).toBe(q.r);
    expect(Number(await fig('loss'))).toBe(q.received.lossPercent);
    expect(Number(await fig('jitter'))).toBe(q.received.jitterMs);
    expect(Number(await fig('pdd-answer'))).toBe(q.postDialDelay.toAnswerMs);
    expect(await fig('one-way-audio')).toBe(String(q.oneWayAudio.oneWay));
    // The charts' points are the per-second rows.
    const points = (chart: string): Promise<number[]> => page.$$eval(`[data-chart="${chart}"] circle.${chart}`, (cs) => cs.map((c) => Number(c.getAttribute('data-y'))));
    expect(await points('mos')).toEqual(q.perSecond.map((s) => s.mos).filter((m) => m !== undefined));
    expect(await points('loss')).toEqual(q.perSecond.map((s) => s.lossPercent));
    expect(await points('jitter')).toEqual(q.perSecond.map((s) => s.jitterMs));
    // The timeline has the DTMF we sent.
    expect(await page.$$eval('.timeline [data-kind="dtmf-sent"]', (g) => g.length)).toBe(1);
    expect(errors).toEqual([]);
    await page.close();

    // The same page afterwards from the saved JSON: the same ladder.
    const again = join(dir, 'again.html');
    expectOk(await umphone(['report', json, '-o', again]).exited);
    const second = await open(again);
    const labels = await second.page.$$eval('.msg', (els) => els.map((e) => `${e.getAttribute('data-label')} ${e.getAttribute('data-from')}>${e.getAttribute('data-to')}`));
    expect(labels).toEqual(rows.map((r) => `${r.label} ${r.from}>${r.to}`));
    expect(await second.page.$eval('audio', (a) => a.getAttribute('data-embedded'))).toBe('yes');
    expect(second.errors).toEqual([]);
    await second.page.close();
  }, 120_000);

  it('hostile SIP text stays text: no script runs, no element is injected, the message reads as sent', async () => {
    const file = join(dir, 'hostile.html');
    writeFileSync(file, renderReport(reportPageForCall(hostileCall(), new Date().toISOString())));
    const { page, errors } = await open(file);
    await page.locator('.msg').first().click();
    const state = await page.evaluate(`({
      pwned: window.__pwned ?? null,
      injected: document.querySelectorAll('img, iframe, object, embed').length,
      scripts: document.scripts.length,
      text: document.querySelector('#m0 pre').textContent,
    })`);
    expect(state).toEqual({ pwned: null, injected: 0, scripts: 1, text: hostileCall().evidence!.sip[0]!.text.replace(/\r\n/g, '\n') });
    expect(await page.$$eval('.msg', (els) => els.length)).toBe(2);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('umphone listen --report: the incoming call\'s page, its INVITE from the caller\'s column to ours', async () => {
    const port = await freeSipPort();
    const report = join(dir, 'in-{n}.html');
    const listen = umphone(['listen', '--local-ip', '127.0.0.1', '--port', String(port), '--auto-answer', '--no-audio', '--report', report]);
    await pollUntil('"listening on"', () => /listening on/.test(listen.stdout()) || listen.hasExited(), 30_000);
    expectOk(await umphone(['call', `sip:200@127.0.0.1:${port}`, '--no-audio', '--duration', '2', '--dtmf-sequence', '5', '-q']).exited);
    await pollUntil('"call 1 report"', () => /call 1 report: /.test(listen.stdout()), 30_000);
    listen.proc.kill('SIGINT');
    expectOk(await listen.exited);
    const { page, errors } = await open(join(dir, 'in-1.html'));
    const rows = await page.$$eval('.msg', (els) => els.map((e) => ({ label: e.getAttribute('data-label')!, from: e.getAttribute('data-from')!, to: e.getAttribute('data-to')! })));
    const flow = rows.filter((r) => !/^1\d\d$/.test(r.label));
    expect(flow.map((r) => r.label)).toEqual(['INVITE', '200', 'ACK', 'BYE', '200']);
    const ours = `127.0.0.1:${port}`;
    expect(flow.map((r) => (r.to === ours ? 'in' : r.from === ours ? 'out' : '?'))).toEqual(['in', 'out', 'in', 'in', 'out']);
    expect(await page.$eval('[data-figure="dtmf-received"]', (e) => e.getAttribute('data-value'))).toBe('5 (rfc4733)');
    expect(await page.$eval('audio', (a) => a.getAttribute('data-embedded'))).toBe('yes');
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('umphone run --report x.html: one page for the script\'s calls, the failed step marked; umphone report draws it again from the JSON', async () => {
    const server = await UmServer.start({ port: 0, workerPort: 0, dataDir: mkdtempSync(join(dir, 'um-')) });
    const script = join(dir, 'greeting.yaml');
    writeFileSync(script, [
      'name: greeting-then-digit',
      'call:',
      `  target: "sip:6000@127.0.0.1:${server.port};transport=tcp"`,
      '  diversion: "613"',
      'steps:',
      '  - expect: { sip: [302, 200] }',
      '  - wait_for: speech',
      '    timeout: 5s',
      '  - wait_for: dtmf',
      '    timeout: 1s',
      '  - hangup',
      '',
    ].join('\n'));
    const html = join(dir, 'run.html');
    const json = join(dir, 'run.json');
    const junit = join(dir, 'run.xml');
    try {
      const r = await umphone(['run', script, '--report', html, '--report', json, '--report', junit, '-q']).exited;
      expect(r.code, r.stdout + r.stderr).toBe(1);
    } finally {
      await server.close();
    }
    // JUnit attaches the page next to the call's WAV, where Jenkins and GitLab look for the evidence.
    expect(readFileSync(junit, 'utf8')).toContain(`[[ATTACHMENT|${html}]]`);
    for (const file of [html, join(dir, 'run-again.html')]) {
      if (file !== html) expectOk(await umphone(['report', json, '-o', file]).exited);
      const { page, errors } = await open(file);
      expect(await page.$eval('section.call', (e) => e.getAttribute('data-passed'))).toBe('false');
      expect(await page.$$eval('tr.step-row', (rows) => rows.map((r) => r.getAttribute('data-status')))).toEqual(['passed', 'passed', 'failed', 'skipped']);
      expect(await page.$eval('tr.step-row.failed', (r) => r.textContent)).toMatch(/wait_for dtmf.*timed out after 1 s/);
      expect(await page.$$eval('.timeline rect.step.failed', (r) => r.length)).toBe(1);
      const labels = await page.$$eval('.msg', (els) => els.map((e) => e.getAttribute('data-label')).filter((l) => !/^1\d\d$/.test(l!)));
      expect(labels).toEqual(['INVITE', '302', 'ACK', 'INVITE', '200', 'ACK', 'BYE', '200']);
      // The call recorded both sides beside the page, for the page.
      expect(await page.$eval('audio', (a) => a.getAttribute('data-embedded'))).toBe('yes');
      expect(await page.$eval('svg.waveform', (w) => w.getAttribute('data-channels'))).toBe('2');
      expect(errors).toEqual([]);
      await page.close();
    }
  }, 120_000);

  it('umphone load --report: the load figures equal the JSON\'s, every caller has its row, failed callers link to their full call', async () => {
    const server = await UmServer.start({ port: 0, workerPort: 0, dataDir: mkdtempSync(join(dir, 'um-')) });
    // Four callers of the load example; the fourth waits 50 ms for a greeting that takes longer: it fails alone.
    const script = join(dir, 'load.yaml');
    writeFileSync(script, readFileSync('scripts/examples/load-leave-message.yaml', 'utf8')
      .replace('    timeout: 10s', '    timeout: ${greet}').replace('../../audio/message.wav', join(process.cwd(), 'audio/message.wav')));
    const csv = join(dir, 'load.csv');
    writeFileSync(csv, 'greet\n10s\n10s\n10s\n0.05s\n');
    const html = join(dir, 'load.html');
    const json = join(dir, 'load.json');
    try {
      const r = await umphone(['load', script, '--var', `port=${server.port}`, '--calls', '4', '--rate', '4', '--csv', csv, '--report', html, '--json', json, '-q']).exited;
      expect(r.code, r.stdout + r.stderr).toBe(1);
    } finally {
      await server.close();
    }
    const report = JSON.parse(readFileSync(json, 'utf8')) as { stats: { asr: number; passed: number; failed: number; postDialDelayMs: { p50: number } } };
    const { page, errors } = await open(html);
    const value = (name: string): Promise<string | null> => page.$eval(`[data-figure="${name}"]`, (e) => e.getAttribute('data-value'));
    expect(Number(await value('asr'))).toBe(report.stats.asr);
    expect(Number(await value('passed'))).toBe(report.stats.passed);
    expect(Number(await value('failed'))).toBe(report.stats.failed);
    expect(Number(await value('pdd-p50'))).toBe(report.stats.postDialDelayMs.p50);
    expect(await page.$$eval('tr.caller', (rows) => rows.map((r) => r.getAttribute('data-outcome')))).toEqual(['passed', 'passed', 'passed', 'failed']);
    // The failed caller's row links to its section, which draws its call through the 302.
    await page.click('tr.caller[data-caller="4"] a');
    const failed = page.locator('section.call[data-passed="false"]');
    expect(await failed.locator('h2').textContent()).toMatch(/Caller 4/);
    const labels = await failed.locator('.msg').evaluateAll((els) => els.map((e) => e.getAttribute('data-label')).filter((l) => !/^1\d\d$/.test(l!)));
    expect(labels.slice(0, 5)).toEqual(['INVITE', '302', 'ACK', 'INVITE', '200']);
    // One passed caller is shown for comparison; the histogram's bars count every measured caller.
    expect(await page.$$eval('section.call', (s) => s.length)).toBe(2);
    expect(await page.$$eval('[data-histogram="pdd"] tr', (rows) => rows.reduce((n, r) => n + Number(r.getAttribute('data-count')), 0))).toBe(4);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
