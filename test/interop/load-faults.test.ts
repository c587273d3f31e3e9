/**
 * Issue 18, item 5: faults under load, against SIPp as UAS on 127.0.0.1 (uas-load-faults.xml picks
 * the fault by the called number, so each caller's CSV row decides what happens to it). Half the
 * callers get 503, some get RTP that stops mid-call: each of those fails alone with its reason, the
 * others pass, the counts are exact, and this process's sockets and timers are back to the baseline.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runLoadCommand, type LoadArgv } from '../../src/cli/commands/load.js';
import { loadWavForPlaybackSync } from '../../src/media/wav/reader.js';
import { fakeCliIo } from '../support/fake-cli-io.js';
import { killAllChildren } from '../support/child-process.js';
import { scenarioPath, startSipp } from '../support/sipp.js';
import { writeG711Pcap } from '../support/pcap.js';

const dir = mkdtempSync(join(tmpdir(), 'umphone-load-faults-'));
afterAll(() => killAllChildren());

function resources(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
  return out;
}

async function leakedSince(base: Record<string, number>): Promise<Record<string, number>> {
  const over = (): Record<string, number> => Object.fromEntries(Object.entries(resources()).filter(([k, n]) => n > (base[k] ?? 0)));
  // A hang-up lets the last produced packets reach their deadlines (≤ the engine's 100 ms lead) before
  // the sockets close: give it that long, then whatever is still open has leaked.
  for (let k = 0; k < 50 && Object.keys(over()).length > 0; k++) await new Promise((r) => setTimeout(r, 10));
  return over();
}

const argv = (file: string, o: Partial<LoadArgv>): LoadArgv => ({ file, rate: 10, 'csv-order': 'sequential', transport: 'tcp', 'stop-grace': '5s', quiet: true, ...o });

describe('umphone load against a faulty SIPp UAS', () => {
  it('503 to half the callers and RTP that stops for some: each fails alone, exact counts, nothing leaks', async () => {
    const speech = loadWavForPlaybackSync(new URL('../../audio/prompts/greeting-613.wav', import.meta.url).pathname).samples;
    const long = join(dir, 'long.pcap');
    const short = join(dir, 'short.pcap');
    writeG711Pcap(long, speech, { law: 'PCMU' });
    writeG711Pcap(short, speech.subarray(0, 8000), { law: 'PCMU' });
    const sipp = await startSipp({ scenario: scenarioPath('uas-load-faults.xml'), transport: 't1', calls: 1000, timeoutMs: 120_000, files: { 'audio.pcap': long, 'short.pcap': short } });
    // 12 callers: rows cycle 503, ok, 503, short → 6 × 503, 3 × RTP stopping after 1 s, 3 passing.
    const csv = join(dir, 'rows.csv');
    writeFileSync(csv, 'ext\n503\nok\n503\nshort\n');
    const script = join(dir, 'faults.yaml');
    writeFileSync(script, `
name: faults
call:
  target: "sip:\${ext}@${sipp.address};transport=tcp"
  from: "\${caller}"
  rtp_timeout: 2s
steps:
  - pause: 6s                 # the RTP watch notices 2-4 s after the last packet
  - hangup
`);
    const base = resources();
    const io = fakeCliIo();
    const json = join(dir, 'faults.json');
    const code = await runLoadCommand(argv(script, { calls: 12, rate: 6, concurrency: 12, csv, json, expect: ['failed_calls==9'] }), { io, exitCode: 0 });
    expect(code === 2 ? io.stderr : '').toBe('');
    const report = JSON.parse(readFileSync(json, 'utf8')) as {
      stats: { started: number; passed: number; failed: number; setupFailed: number; answered: number; asr: number; failedByReason: Record<string, number>; finalCodes: Record<string, number> };
      callers: Array<{ caller: number; outcome: string; reason?: string }>;
    };
    expect(report.stats, `${io.stdout}\n${sipp.describe()}`).toMatchObject({
      started: 12, passed: 3, failed: 9, setupFailed: 6, answered: 6, asr: 50,
      failedByReason: { 503: 6, 'media-timeout': 3 }, finalCodes: { 200: 6, 503: 6 },
    });
    // Each caller's fault is its own: the row decides it.
    expect(report.callers.map((c) => c.reason ?? 'passed')).toEqual(
      ['503', 'passed', '503', 'media-timeout', '503', 'passed', '503', 'media-timeout', '503', 'passed', '503', 'media-timeout'],
    );
    expect(code).toBe(0);
    expect(io.stdout).toContain('✓ failed_calls==9');
    expect(await leakedSince(base)).toEqual({});
  }, 120_000);
});
