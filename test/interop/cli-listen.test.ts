/**
 * Issue 8: the real `umphone listen` (node --import tsx src/cli/main.ts, a child process with pipes: no
 * terminal) against SIPp callers: OPTIONS → 200 with Allow/Accept/Supported; an INVITE playing a G.711
 * pcap → a valid WAV (our reader and soxi) and the call and its summary on stdout; --allow refusing
 * 127.0.0.1 (403); --max-calls 1 → a second caller gets 486; SIGINT → BYE to the active call, WAV
 * finalized, exit 0; bad arguments → exit 2 with one line on stderr.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadWavForPlaybackSync, readWavInfo } from '../../src/media/wav/reader.js';
import { killAllChildren, pollUntil, type ExitInfo, type TrackedChild } from '../support/child-process.js';
import { ROOT, umphone } from '../support/umphone-cli.js';
import { startSipp, scenarioPath, type SippHandle } from '../support/sipp.js';
import { freeSipPort } from '../support/ports.js';
import { writeG711Pcap } from '../support/pcap.js';
import { alignAndCorrelate, readWav } from '../support/audio-compare.js';

const dir = mkdtempSync(join(tmpdir(), 'umphone-cli-listen-'));
const prompt = loadWavForPlaybackSync(join(ROOT, 'audio/prompts/greeting-613.wav')).samples;
const pcap = join(dir, 'greeting.pcap');
writeG711Pcap(pcap, prompt, { law: 'PCMU' });

afterAll(() => killAllChildren());


/** Start `umphone listen` on a free port and wait for its "listening on" line. */
async function listen(extra: string[]): Promise<{ child: TrackedChild; port: number; rec: string }> {
  const port = await freeSipPort();
  const rec = join(dir, `in-${port}-{n}.wav`);
  const child = umphone(['listen', '--local-ip', '127.0.0.1', '--port', String(port), '--auto-answer', '--record', rec, ...extra]);
  await pollUntil('"listening on" on stdout', () => /listening on/.test(child.stdout()) || child.hasExited(), 30_000);
  if (child.hasExited()) throw new Error(`umphone listen exited: ${child.stderr()}`);
  expect(child.stdout()).toMatch(new RegExp(`^listening on 127\\.0\\.0\\.1:${port} \\(TCP and UDP\\)`, 'm'));
  return { child, port, rec };
}

async function stop(child: TrackedChild): Promise<ExitInfo> {
  child.proc.kill('SIGINT');
  return child.exited;
}

function stderrLines(r: { stderr: string }): string[] {
  return r.stderr.split('\n').filter((l) => l.trim() !== '');
}

function soxi(path: string): { channels: number; rate: number; seconds: number } {
  const q = (flag: string) => execFileSync('soxi', [flag, path], { encoding: 'utf8' }).trim();
  return { channels: Number(q('-c')), rate: Number(q('-r')), seconds: Number(q('-D')) };
}

/** SIPp that must fail (403/486 where it expects something else): its message log, even if it exited at start. */
async function sippLog(start: () => Promise<SippHandle>): Promise<string> {
  try {
    const s = await start();
    await s.exited;
    return s.messages().map((m) => `${m.direction} ${m.firstLine}`).join(' | ');
  } catch (e) {
    return (e as Error).message;
  }
}

describe('umphone listen against SIPp callers', () => {
  it('answers OPTIONS 200 with capabilities, records an INVITE\'s audio to a valid WAV, prints the call and its summary', async () => {
    const { child, port, rec } = await listen([]);
    try {
      const options = await startSipp({ scenario: scenarioPath('uac-options.xml'), transport: 't1', remote: `127.0.0.1:${port}` });
      expect((await options.exited).code, options.describe()).toBe(0);
      const ok = options.messages().find((m) => m.direction === 'received' && m.status === 200)!;
      expect(ok.header('Allow')).toMatch(/INVITE.*BYE.*OPTIONS.*REFER/);
      expect(ok.header('Accept')).toContain('application/sdp');
      expect(ok.header('Supported')).toContain('timer');

      const caller = await startSipp({
        scenario: scenarioPath('uac-invite-rtp.xml'), transport: 't1', remote: `127.0.0.1:${port}`, service: '613',
        files: { 'audio.pcap': pcap }, pauseMs: Math.round(prompt.length / 8) + 800,
      });
      expect((await caller.exited).code, caller.describe()).toBe(0);
      await pollUntil('the call summary', () => /Call 1 summary/.test(child.stdout()), 10_000);
      const r = await stop(child);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^call 1 from "?sipp"? ?<?sip:sipp@127\.0\.0\.1:\d+>? to sip:613@127\.0\.0\.1:\d+;transport=TCP \(TCP 127\.0\.0\.1:\d+\)$/m);
      expect(r.stdout).toMatch(/^call 1 answered: PCMU, RTP to 127\.0\.0\.1:\d+$/m);
      expect(r.stdout).toMatch(/── Call 1 summary \(from sip:sipp@127\.0\.0\.1:\d+\)/);
      expect(r.stdout).toMatch(/ended by remote \(BYE\)/);
      const wav = rec.replace('{n}', '1');
      expect(r.stdout).toContain(wav);
      const info = readWavInfo(readFileSync(wav), wav);
      expect(info.channels).toBe(1);
      expect(info.sampleRate).toBe(8000);
      expect(info.streamed).toBe(false);
      const sx = soxi(wav);
      expect(sx.rate).toBe(8000);
      expect(Math.abs(sx.seconds - info.durationMs / 1000)).toBeLessThan(0.01);
      const { correlation } = alignAndCorrelate(prompt, readWav(wav).samples, { maxLagMs: 3000 });
      expect(correlation, r.stdout).toBeGreaterThanOrEqual(0.95);
      console.info(`cli-listen: WAV ${sx.seconds} s, r = ${correlation.toFixed(4)} with the prompt`);
    } finally {
      await child.kill();
    }
  });

  it('--expect: each call\'s quality checked as it ends; the figure that holds and the one that breaks printed, exit 1 at the stop', async () => {
    // A threshold that holds whatever the machine's load (SIPp sends audio all along) and one that cannot.
    const { child, port } = await listen(['--expect', 'one_way_audio=false', '--expect', 'mos>=4.9']);
    try {
      const caller = await startSipp({
        scenario: scenarioPath('uac-invite-rtp.xml'), transport: 't1', remote: `127.0.0.1:${port}`, service: '613',
        files: { 'audio.pcap': pcap }, pauseMs: 2500,
      });
      expect((await caller.exited).code, caller.describe()).toBe(0);
      await pollUntil('the call summary', () => /Call 1 summary/.test(child.stdout()), 10_000);
      await pollUntil('the quality lines', () => /mos/.test(child.stdout() + child.stderr()), 5_000);
      const r = await stop(child);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stdout).toMatch(/^call 1 ✓ one_way_audio/m);
      // G.711 tops out at 4.4 in the E-model: 4.9 cannot hold, and the message says the figure.
      expect(r.stderr).toMatch(/umphone: call 1: quality: mos [1-4]\.\d+ .*4\.9/);
      expect(r.stderr).toMatch(/1 quality threshold\(s\) broken/);
    } finally {
      await child.kill();
    }
  });

  it('--allow 127.0.0.2 refuses a SIPp on 127.0.0.1 with 403 and says why on stderr', async () => {
    const { child, port } = await listen(['--allow', '127.0.0.2']);
    try {
      const log = await sippLog(() => startSipp({ scenario: scenarioPath('uac-options.xml'), transport: 'u1', remote: `127.0.0.1:${port}` }));
      expect(log).toMatch(/received SIP\/2\.0 403 Forbidden/);
      const r = await stop(child);
      expect(r.code).toBe(0);
      // SIPp, aborting on the unexpected 403, sends a BYE by default (no -nd): refused the same way.
      const lines = stderrLines(r);
      expect(lines[0]).toMatch(/^umphone: OPTIONS from UDP 127\.0\.0\.1:\d+ refused with 403: 127\.0\.0\.1 is not in the allow list \(127\.0\.0\.2/);
      for (const l of lines) expect(l).toMatch(/^umphone: (OPTIONS|BYE) from UDP 127\.0\.0\.1:\d+ refused with 403: /);
      expect(r.stdout).not.toMatch(/^call \d/m);
    } finally {
      await child.kill();
    }
  });

  it('--max-calls 1: a second caller gets 486 while the first call is up', async () => {
    const { child, port } = await listen(['--max-calls', '1']);
    try {
      const first = await startSipp({
        scenario: scenarioPath('uac-invite-rtp.xml'), transport: 't1', remote: `127.0.0.1:${port}`, service: '613',
        files: { 'audio.pcap': pcap }, pauseMs: 15_000,
      });
      await pollUntil('call 1 answered', () => /call 1 answered/.test(child.stdout()), 15_000);
      const second = await startSipp({ scenario: scenarioPath('uac-invite-final.xml'), transport: 't1', remote: `127.0.0.1:${port}`, service: '614' });
      await second.exited;
      const finals = second.messages().filter((m) => m.direction === 'received' && m.status !== undefined && m.status >= 300);
      expect(finals.map((m) => m.firstLine), second.describe()).toEqual(['SIP/2.0 486 Busy Here']);
      expect(child.stderr()).toMatch(/^umphone: INVITE from TCP 127\.0\.0\.1:\d+ refused with 486: 1 call\(s\) active, --max-calls 1$/m);
      await first.kill();
    } finally {
      await child.kill();
    }
  });

  it('SIGINT stops listening: BYE to the active call, WAV finalized, exit 0', async () => {
    const { child, port, rec } = await listen([]);
    try {
      const caller = await startSipp({
        scenario: scenarioPath('uac-invite-rtp.xml'), transport: 't1', remote: `127.0.0.1:${port}`, service: '613',
        files: { 'audio.pcap': pcap }, pauseMs: 20_000, timeoutMs: 40_000,
      });
      const wav = rec.replace('{n}', '1');
      await pollUntil('call 1 answered', () => /call 1 answered/.test(child.stdout()), 15_000);
      await pollUntil('some audio recorded', () => existsSync(wav) && statSync(wav).size > 44 + 8000, 10_000);
      const r = await stop(child);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^stopping: hanging up active calls$/m);
      expect(r.stdout).toMatch(/ended by local \(BYE\)/);
      await caller.exited;
      const flow = caller.messages().map((m) => `${m.direction} ${m.method ?? m.status}`);
      expect(flow, caller.describe()).toContain('received BYE');
      expect(flow).toContain('sent 200');
      const info = readWavInfo(readFileSync(wav), wav);
      expect(info.streamed).toBe(false);
      expect(info.durationMs).toBeGreaterThan(500);
      expect(soxi(wav).seconds).toBeCloseTo(info.durationMs / 1000, 2);
    } finally {
      await child.kill();
    }
  });
});

describe('umphone listen bad usage', () => {
  it.each([
    [['--allow', '10.0.0.300/33'], /10\.0\.0\.300/],
    [['--port', '70000'], /^umphone: --port must be a port number 0-65535$/],
    [['--max-calls', '0'], /^umphone: --max-calls must be a whole number ≥ 1$/],
    [['--auto-answer', 'soon'], /^umphone: --auto-answer takes a number of seconds ≥ 0, or nothing for at once \(got "soon"\)$/],
    [['--advertise', '0.0.0.0'], /^umphone: --advertise 0\.0\.0\.0 cannot be advertised in Contact and SDP/],
    [['--bogus'], /^umphone: Unknown argument: bogus$/],
  ])('%j exits 2 with one line on stderr', async (args, line) => {
    const r = await umphone(['listen', ...args]).exited;
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(stderrLines(r)).toHaveLength(1);
    expect(stderrLines(r)[0]).toMatch(line);
  });
});
