/**
 * Issue 3 (done means 2) and issue 4 (done means 1, 2): umphone calls real baresip, auto-answering, over
 * TCP and UDP. What we play, baresip records; what baresip plays, we record; DTMF both ways.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Phone } from '../../src/phone/phone.js';
import { openRealTransports } from '../../src/phone/real-transports.js';
import { callInternals } from '../../src/phone/call-core.js';
import type { DtmfDigitEvent } from '../../src/media/dtmf/index.js';
import { loadWavForPlaybackSync } from '../../src/media/wav/reader.js';
import { synthesizeDtmf } from '../../src/media/dtmf/index.js';
import { WavWriter } from '../../src/media/wav/writer.js';
import { killAllChildren, pollUntil, sleep } from '../support/child-process.js';
import { startBaresip } from '../support/baresip.js';
import { alignAndCorrelate, readWav } from '../support/audio-compare.js';

const dir = mkdtempSync(join(tmpdir(), 'umphone-baresip-'));
const wavPath = (name: string) => new URL(`../../audio/${name}`, import.meta.url).pathname;
afterAll(() => killAllChildren());

// The last row carries RTP through the native I/O thread (--rtp-engine native) instead of the main thread.
describe.each([
  ['tcp', 'main'],
  ['udp', 'main'],
  ['udp', 'native'],
] as const)('call baresip over %s, RTP engine %s', (transport, rtpEngine) => {
  it('what we play, baresip records; what baresip plays, we record', async () => {
    const ours = loadWavForPlaybackSync(wavPath('message.wav'));
    const theirs = loadWavForPlaybackSync(wavPath('prompts/greeting-613.wav'));
    const b = await startBaresip({ transport, audioSource: wavPath('prompts/greeting-613.wav') });
    const transports = await openRealTransports({ localIp: '127.0.0.1', rtpEngine });
    const phone = new Phone(transports, { localIp: '127.0.0.1', transport });
    expect(transports.media.mode).toBe(rtpEngine);
    try {
      const rec = join(dir, `from-baresip-${transport}-${rtpEngine}.wav`);
      const call = await phone.call(b.uri, { from: '111', play: ours, record: rec });
      await sleep(Math.max(ours.durationMs, theirs.durationMs, 7000) + 1500);
      // RFC 3550 RTCP both ways on port + 1: our SR went out, baresip's reports came in.
      const rtcp = callInternals(call).media!.stats().rtcp;
      expect(rtcp.reportsSent).toBeGreaterThanOrEqual(1);
      expect(rtcp.reportsReceived).toBeGreaterThanOrEqual(1);
      expect(rtcp.malformed).toBe(0);
      const summary = await call.hangup();
      expect(summary.status).toBe(200);
      await b.waitForEvent('CALL_CLOSED', 10_000);
      // baresip's recording of what it received from us (sndfile "-dec").
      await pollUntil('baresip\'s recording', () => b.recordings().dec.length > 0, 5_000);
      const heardByBaresip = readWav(b.recordings().dec[0]!);
      expect(alignAndCorrelate(ours.samples, heardByBaresip.samples, { maxLagMs: 3000 }).correlation).toBeGreaterThanOrEqual(0.95);
      // Our recording of what baresip sent (it loops its source file: compare one pass).
      const heardByUs = readWav(rec);
      expect(alignAndCorrelate(theirs.samples, heardByUs.samples, { maxLagMs: 3000 }).correlation).toBeGreaterThanOrEqual(0.95);
    } finally {
      await phone.close();
      await b.stop();
    }
  });
});

describe('DTMF with baresip (TCP)', () => {
  const ALL = '0123456789*#ABCD';

  it('RFC 4733: every digit appears in baresip\'s log, in order, once each', async () => {
    const b = await startBaresip({ transport: 'tcp', audioSource: null });
    const phone = await Phone.create({ localIp: '127.0.0.1' });
    try {
      const call = await phone.call(b.uri, { dtmf: { mode: 'auto' } });
      expect(callInternals(call).media!.dtmfMode()).toBe('rfc4733');
      await call.sendDtmf(ALL);
      await pollUntil('digits at baresip', () => b.receivedDigits().length >= ALL.length, 5_000).catch(() => undefined);
      const summary = await call.hangup();
      expect(b.receivedDigits()).toBe(ALL);
      expect(summary.dtmf.sent.map((d) => d.digit).join('')).toBe(ALL);
      expect(summary.dtmf.sent.every((d) => d.method === 'rfc4733')).toBe(true);
    } finally {
      await phone.close();
      await b.stop();
    }
  });

  it('in-band: baresip\'s recording decodes to the same digits with multimon-ng', async () => {
    const b = await startBaresip({ transport: 'tcp', audioSource: null });
    const phone = await Phone.create({ localIp: '127.0.0.1' });
    try {
      const call = await phone.call(b.uri, { dtmf: { mode: 'inband', gap: 100 } });
      await sleep(300);
      await call.sendDtmf(ALL, { mode: 'inband' });
      await sleep(500);
      await call.hangup();
      await b.waitForEvent('CALL_CLOSED', 10_000);
      await pollUntil('baresip\'s recording', () => b.recordings().dec.length > 0, 5_000);
      const raw = join(dir, 'inband.raw');
      execFileSync('sox', [b.recordings().dec[0]!, '-t', 'raw', '-r', '22050', '-e', 'signed', '-b', '16', '-c', '1', raw]);
      const out = execFileSync('multimon-ng', ['-q', '-a', 'DTMF', '-t', 'raw', raw], { encoding: 'utf8' });
      const digits = [...out.matchAll(/DTMF: (\S)/g)].map((m) => m[1]).join('');
      expect(digits).toBe(ALL);
      expect(b.receivedDigits()).toBe(''); // nothing went as RFC 4733
    } finally {
      await phone.close();
      await b.stop();
    }
  });

  it('we report the digits baresip sends as RFC 4733, and in-band digits in the audio it plays', async () => {
    // A WAV with in-band digits "159#" (our synthesizer is cross-checked against multimon-ng in unit tests).
    const tonesWav = join(dir, 'tones.wav');
    const w = WavWriter.open(tonesWav);
    w.write(synthesizeDtmf('159#', { durationMs: 100, gapMs: 100, padMs: 1500 }));
    w.close();
    const b = await startBaresip({ transport: 'tcp', audioSource: tonesWav });
    const phone = await Phone.create({ localIp: '127.0.0.1' });
    try {
      const call = await phone.call(b.uri);
      const got: DtmfDigitEvent[] = [];
      call.onEvent((e) => { if (e.type === 'digit') got.push(e.digit); });
      await sleep(1200);
      for (const d of '73*') {
        await b.sendDtmf(d);
        await sleep(400);
      }
      // baresip's WAV may start late on a busy machine: wait for its four tones rather than a fixed time.
      const inbandSoFar = (): string => got.filter((d) => d.method === 'inband').map((d) => d.digit).join('');
      await pollUntil('baresip\'s in-band digits', () => inbandSoFar().length >= 4, 8_000).catch(() => undefined);
      await sleep(500);
      await call.hangup();
      const inband = inbandSoFar();
      const rfc = got.filter((d) => d.method === 'rfc4733').map((d) => d.digit).join('');
      expect(inband.startsWith('159#')).toBe(true);
      expect(rfc).toBe('73*');
    } finally {
      await phone.close();
      await b.stop();
    }
  });
});

