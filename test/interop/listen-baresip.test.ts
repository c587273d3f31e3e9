/**
 * Issue 8 (gateway mode) with baresip as the caller, over TCP and UDP: baresip dials the Listener
 * (auto-answer) through its ctrl_tcp, plays a prompt (aufile) and sends RFC 4733 digits (sndcode);
 * we answer, record what it plays (the recording matches the prompt, r ≥ 0.95), report exactly the
 * digits it sent, in order, then hang up with BYE and baresip reports the call closed. A second case:
 * baresip hangs up itself, our call ends by its BYE and the WAV is finalized.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Phone } from '../../src/phone/phone.js';
import { Listener } from '../../src/phone/listener.js';
import type { IncomingCall } from '../../src/phone/incoming-call.js';
import type { DtmfDigitEvent } from '../../src/media/dtmf/index.js';
import { loadWavForPlaybackSync, readWavInfo } from '../../src/media/wav/reader.js';
import { killAllChildren, pollUntil, sleep } from '../support/child-process.js';
import { startBaresip, type BaresipHandle } from '../support/baresip.js';
import { freeSipPort } from '../support/ports.js';
import { alignAndCorrelate, readWav } from '../support/audio-compare.js';

const dir = mkdtempSync(join(tmpdir(), 'umphone-listen-baresip-'));
const promptPath = new URL('../../audio/prompts/greeting-613.wav', import.meta.url).pathname;
const prompt = loadWavForPlaybackSync(promptPath);
const DIGITS = '0123456789*#ABCD';
// baresip's menu hangs up a call it placed when its aufile source ends ("audio error (0,end of file)"):
// the prompt, then 25 s of silence, keeps the call up while the digits go and until we hang up.
const source = join(dir, 'greeting-then-silence.wav');
execFileSync('sox', [promptPath, source, 'pad', '0', '25']);

afterAll(() => killAllChildren());

async function gateway(transport: 'tcp' | 'udp') {
  const port = await freeSipPort();
  const phone = await Phone.create({ localIp: '127.0.0.1', localPort: port });
  const listener = new Listener(phone, {
    autoAnswer: 0,
    answerOptions: (n) => ({ record: join(dir, `from-baresip-${transport}-${port}-${n}.wav`), rtpTimeout: 0 }),
  });
  const uri = `sip:gw@127.0.0.1:${port}${transport === 'tcp' ? ';transport=tcp' : ''}`;
  return { phone, listener, port, uri };
}

/** baresip dials us; resolves with our answered call. */
async function incoming(b: BaresipHandle, g: Awaited<ReturnType<typeof gateway>>): Promise<IncomingCall> {
  const next = g.listener.nextCall({ timeout: 20_000 });
  expect((await b.dial(g.uri)).ok).toBe(true);
  const call = await next;
  await call.answered;
  await b.waitForEvent('CALL_ESTABLISHED', 10_000);
  return call;
}

describe.each(['tcp', 'udp'] as const)('baresip calls the listener over %s', (transport) => {
  it('we answer, record its prompt (r ≥ 0.95), report its RFC 4733 digits in order, and our BYE closes its call', async () => {
    const b = await startBaresip({ transport, audioSource: source });
    const g = await gateway(transport);
    try {
      const call = await incoming(b, g);
      // baresip appends its account's transport parameter to the URI it dials, even when present.
      expect(call.requestUri.startsWith(g.uri)).toBe(true);
      expect(call.from).toMatch(/^sip:uas@127\.0\.0\.1/);
      expect(call.source.protocol).toBe(transport);
      const got: DtmfDigitEvent[] = [];
      call.onEvent((e) => { if (e.type === 'digit') got.push(e.digit); });
      // The whole prompt before any digit (digits go during the silence after it).
      await sleep(prompt.durationMs + 1000);
      for (const d of DIGITS) {
        expect((await b.sendDtmf(d)).ok).toBe(true);
        await sleep(400);
      }
      await pollUntil('all digits reported', () => got.length >= DIGITS.length, 5_000).catch(() => undefined);
      const summary = await call.hangup();
      // Our BYE: baresip's call closes (ctrl_tcp event and its log).
      const closed = await b.waitForEvent('CALL_CLOSED', 10_000);
      expect(String(closed.param ?? '')).not.toMatch(/error|fail/i);
      await b.waitForLog(/Call with sip:gw@127\.0\.0\.1:\d+.* terminated/, 5_000);
      expect(summary.endedBy, b.logLines().slice(-30).join('\n')).toBe('local (BYE)');
      expect(summary.status).toBe(200);
      expect(got.map((d) => d.digit).join('')).toBe(DIGITS);
      expect(got.every((d) => d.method === 'rfc4733')).toBe(true);
      expect(summary.dtmf.received.map((d) => d.digit).join('')).toBe(DIGITS);
      // What baresip played, as we recorded it.
      expect(summary.recordings).toHaveLength(1);
      const heard = readWav(summary.recordings[0]!);
      const { correlation, lagMs } = alignAndCorrelate(prompt.samples, heard.samples, { maxLagMs: 3000 });
      expect(correlation, `lag ${lagMs} ms`).toBeGreaterThanOrEqual(0.95);
      console.info(`listen-baresip ${transport}: r = ${correlation.toFixed(4)} at lag ${lagMs} ms; digits ${got.map((d) => d.digit).join('')}; received ${summary.rtp!.received.packets} packets, lost ${summary.rtp!.received.lost}, jitter ${summary.rtp!.received.jitterMs.toFixed(2)} ms`);
      expect(summary.rtp!.received.packets).toBeGreaterThan(prompt.durationMs / 20);
    } finally {
      await g.listener.close();
      await g.phone.close();
      await b.stop();
    }
  });
});

describe('baresip hangs up', () => {
  it('its BYE ends our call (remote), and the WAV is finalized', async () => {
    const b = await startBaresip({ transport: 'tcp', audioSource: source });
    const g = await gateway('tcp');
    try {
      const call = await incoming(b, g);
      await sleep(1500);
      expect((await b.hangup()).ok).toBe(true);
      const summary = await call.ended;
      expect(summary.endedBy).toBe('remote (BYE)');
      await b.waitForEvent('CALL_CLOSED', 10_000);
      expect(g.listener.active.size).toBe(0);
      // Finalized: the RIFF and data sizes are patched (not a streamed header), about 1.5 s long.
      const rec = summary.recordings[0]!;
      const info = readWavInfo(readFileSync(rec), rec);
      expect(info.streamed).toBe(false);
      expect(info.durationMs).toBeGreaterThan(1000);
    } finally {
      await g.listener.close();
      await g.phone.close();
      await b.stop();
    }
  });
});
