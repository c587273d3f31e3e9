/**
 * Issue 6 against a real peer: caller scripts run by the script runner against SIPp, which answers
 * and replays G.711 RTP of a real prompt (enter-pin.wav, then silence, a 1 kHz beep, silence; then the
 * RTP stops). Every kind of wait passes on what SIPp plays and fails with the right message when
 * what it waits for does not come; SIP outcomes (200, 486) are judged with and without expectations.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Phone } from '../../src/phone/phone.js';
import { RealClock } from '../../src/util/clock.js';
import { loadWavForPlaybackSync } from '../../src/media/wav/reader.js';
import { parseScript } from '../../src/script/parse.js';
import { runScript } from '../../src/script/runner.js';
import { junitReport } from '../../src/script/report-junit.js';
import { killAllChildren } from '../support/child-process.js';
import { startSipp, scenarioPath, type SippHandle } from '../support/sipp.js';
import { writeG711Pcap } from '../support/pcap.js';
import { readWav } from '../support/audio-compare.js';

const root = resolve(__dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'umphone-script-'));
const prompts = join(root, 'audio/prompts');
const pin = loadWavForPlaybackSync(join(prompts, 'enter-pin.wav')).samples;
const beep = Int16Array.from({ length: 8 * 600 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 1000 * i) / 8000)));
const audio = new Int16Array(pin.length + 8 * 2000 + beep.length + 8 * 2000);
audio.set(pin);
audio.set(beep, pin.length + 8 * 2000);
const pcap = join(dir, 'prompt.pcap');
writeG711Pcap(pcap, audio, { law: 'PCMU' });

afterAll(() => killAllChildren());

async function runAgainst(uas: SippHandle, steps: string): Promise<{ result: Awaited<ReturnType<typeof runScript>>; lines: string[] }> {
  const text = `call: "sip:680@${uas.address};transport=tcp"\nsteps:\n${steps}`;
  const script = parseScript(text, join(dir, 'script.yaml'));
  const phone = await Phone.create({ localIp: '127.0.0.1' });
  const lines: string[] = [];
  try {
    const result = await runScript(script, { phone, clock: new RealClock(), log: (l) => lines.push(l), outDir: dir });
    return { result, lines };
  } finally {
    await phone.close();
  }
}

describe('scripts against SIPp playing a prompt', () => {
  it('every wait passes on what is played; DTMF, record and hangup go through', async () => {
    const uas = await startSipp({ scenario: scenarioPath('uas-answer-play.xml'), transport: 't1', files: { 'audio.pcap': pcap } });
    try {
      const { result, lines } = await runAgainst(uas, `
  - expect: { sip: 200 }
  - expect: { prompt: ${prompts}/enter-pin.wav }
  - wait_for: { silence: 1s }
  - record: beep.wav
    until: tone
    max: 10s
  - wait_for: { tone: 1000 }
    timeout: 3s
  - wait_for: silence
    min: 1s
  - dtmf: "12#"
  - pause: 2s
  - wait_for: speech
    timeout: 2s
`);
      const steps = result.iterations[0]!.steps;
      expect(steps.map((s) => s.status), lines.join('\n')).toEqual(['passed', 'passed', 'passed', 'passed', 'passed', 'passed', 'passed', 'passed', 'failed']);
      expect(steps[1]!.score!).toBeGreaterThanOrEqual(0.5);
      // After the pcap ends SIPp sends no more RTP: the last wait says so.
      expect(steps[8]!.error).toMatch(/^timed out after 2 s waiting for speech: heard nothing \(no RTP for 2\.0 s\)$/);
      expect(result.exitCode).toBe(1);
      const rec = readWav(join(dir, 'beep.wav'));
      // The recording ran through the rest of the silence and stopped at the beep.
      expect(steps[3]!.recording!.endedBy).toBe('tone');
      expect(rec.samples.length / 8).toBeGreaterThan(100);
      expect(Math.abs(rec.samples.length / 8 - steps[3]!.recording!.durationMs)).toBeLessThanOrEqual(40);
      const it0 = result.iterations[0]!;
      expect(it0.dtmf.sent.map((d) => `${d.digit}/${d.method}`)).toEqual(['1/rfc4733', '2/rfc4733', '#/rfc4733']);
      expect(it0.speech.length).toBeGreaterThanOrEqual(2); // the prompt and the beep
      expect(it0.call.status).toBe(200);
      expect(junitReport(result)).toContain('<failure message="timed out after 2 s waiting for speech');
      expect(lines[0]).toMatch(/^ {3}0\.\ds {2}▶ call sip:680@127\.0\.0\.1:\d+;transport=tcp \(200\)$/);
    } finally {
      uas.kill();
    }
  });

  it('the wrong prompt fails with its score; a silence that never comes times out saying speech was heard', async () => {
    const uas = await startSipp({ scenario: scenarioPath('uas-answer-play.xml'), transport: 't1', files: { 'audio.pcap': pcap } });
    try {
      const { result, lines } = await runAgainst(uas, `
  - expect: { prompt: ${prompts}/enter-extension.wav }
  - hangup
`);
      const steps = result.iterations[0]!.steps;
      expect(steps.map((s) => s.status), lines.join('\n')).toEqual(['failed', 'skipped']);
      expect(steps[0]!.error).toMatch(/^heard another prompt \(\d\.\d s of audio\) instead of enter-extension\.wav \(score 0\.\d\d < 0\.5\)$/);
      expect(result.iterations[0]!.call.endedBy).toBe('local (BYE)');
    } finally {
      uas.kill();
    }
    const uas2 = await startSipp({ scenario: scenarioPath('uas-answer-play.xml'), transport: 't1', files: { 'audio.pcap': pcap } });
    try {
      const { result } = await runAgainst(uas2, `
  - wait_for: speech
  - wait_for: silence
    min: 1.5s
    timeout: 2s
`);
      expect(result.iterations[0]!.steps[1]!.error).toMatch(/^timed out after 2 s waiting for 1\.5 s of silence: heard speech for [12]\.\d s/);
    } finally {
      uas2.kill();
    }
  });

  it('486: a rejected call is exit code 3, or a pass when the script expects it', async () => {
    for (const [steps, code, status] of [['  - expect: { sip: 486 }\n  - hangup\n', 0, ['passed', 'skipped']], ['  - wait_for: speech\n', 3, ['skipped']]] as const) {
      const uas = await startSipp({ scenario: scenarioPath('uas-busy-486.xml'), transport: 't1' });
      try {
        const { result } = await runAgainst(uas, steps);
        expect(result.exitCode).toBe(code);
        expect(result.iterations[0]!.steps.map((s) => s.status)).toEqual(status);
        expect(result.iterations[0]!.call.status).toBe(486);
      } finally {
        uas.kill();
      }
    }
  });
});
