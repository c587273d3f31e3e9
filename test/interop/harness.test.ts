/**
 * Proves the interop harness itself against the real programs (SIPp 3.6.1, baresip 1.0.0, PulseAudio,
 * tcpdump) on 127.0.0.1: if these pass, a failing interop test points at umphone, not at the harness.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { alignAndCorrelate, readWav, rms, sineTone } from '../support/audio-compare.js';
import { piecewiseMatch } from '../support/audio-pieces.js';
import { startBaresip } from '../support/baresip.js';
import { killAllChildren, sleep } from '../support/child-process.js';
import {
  dtmfDigit,
  parseRtp,
  parseTelephoneEvent,
  readPcap,
  rfc4733RtpPackets,
  startCapture,
  writeG711Pcap,
  writeRfc4733Pcap,
} from '../support/pcap.js';
import { freePortPair, freeSipPort } from '../support/ports.js';
import { startPulse } from '../support/pulse.js';
import { scenarioPath, sippMessages, startSipp } from '../support/sipp.js';

const AUDIO = new URL('../../audio/', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'umphone-harness-'));

afterAll(async () => {
  await killAllChildren();
});

describe('ports', () => {
  it('hands out distinct ports, and an even RTP port with its odd neighbour', async () => {
    const ports = await Promise.all([freeSipPort(), freeSipPort(), freeSipPort()]);
    expect(new Set(ports).size).toBe(3);
    const rtp = await freePortPair();
    expect(rtp % 2).toBe(0);
  });
});

describe('SIPp launcher and scenarios', () => {
  it.each(['u1', 't1'] as const)('uac-options gets a 200 with Allow/Accept/Supported from uas-options over %s', async (t) => {
    const uas = await startSipp({ scenario: scenarioPath('uas-options.xml'), transport: t, timeoutMs: 10_000 });
    const uac = await startSipp({
      scenario: scenarioPath('uac-options.xml'),
      transport: t,
      remote: uas.address,
      timeoutMs: 10_000,
    });
    const [a, b] = await Promise.all([uac.exited, uas.exited]);
    expect(a.code, uac.describe()).toBe(0);
    expect(b.code, uas.describe()).toBe(0);
    const got = uas.messages();
    expect(got.map((m) => `${m.direction} ${m.method ?? m.status}`)).toEqual(['received OPTIONS', 'sent 200']);
    expect(got[0]?.transport).toBe(t === 'u1' ? 'UDP' : 'TCP');
    expect(got[0]?.header('cseq')).toBe('1 OPTIONS');
    expect(got[1]?.header('Allow')).toContain('INVITE');
  });

  it('uas-redirect-302 answers an INVITE with the Contact built from -set variables, and takes the ACK', async () => {
    const uas = await startSipp({
      scenario: scenarioPath('uas-redirect-302.xml'),
      transport: 't1',
      vars: { target_user: 'worker7', target_port: 5099, target_transport: 'tcp' },
      timeoutMs: 10_000,
    });
    const uac = await startSipp({ scenario: scenarioPath('uac-invite-final.xml'), transport: 't1', remote: uas.address });
    const [a, b] = await Promise.all([uac.exited, uas.exited]);
    expect(a.code, uac.describe()).toBe(0);
    expect(b.code, uas.describe()).toBe(0);
    const seen = uas.messages();
    expect(seen.map((m) => `${m.direction} ${m.method ?? m.status}`)).toEqual([
      'received INVITE',
      'sent 100',
      'sent 302',
      'received ACK',
    ]);
    expect(seen[2]?.header('Contact')).toBe('<sip:worker7@127.0.0.1:5099;transport=tcp>');
    // The ACK of a non-2xx response reuses the INVITE's branch (RFC 3261 §17.1.1.3).
    expect(seen[3]?.header('Via')).toBe(seen[0]?.header('Via'));
  });

  it('sippMessages parses a log with folded headers and bodies', () => {
    const log = [
      '----------------------------------------------- 2026-11-25 15:01:32.894402',
      'TCP message received [99] bytes :',
      '',
      'INVITE sip:a@b SIP/2.0',
      'Via: SIP/2.0/TCP 127.0.0.1:5060',
      'Subject: one',
      '  two',
      'Content-Length: 4',
      '',
      'v=0',
      '',
      '----------------------------------------------- 2026-11-25 15:01:32.894562',
      'TCP message sent (10 bytes):',
      '',
      'SIP/2.0 486 Busy Here',
      'Content-Length: 0',
      '',
    ].join('\n');
    const m = sippMessages(log);
    expect(m).toHaveLength(2);
    expect(m[0]).toMatchObject({ direction: 'received', transport: 'TCP', method: 'INVITE', body: 'v=0\r\n' });
    expect(m[0]?.header('subject')).toBe('one two');
    expect(m[1]).toMatchObject({ direction: 'sent', status: 486 });
  });
});

describe('pcap writer', () => {
  it('writes RFC 4733 events a reader decodes back: digits, marker, growing duration, end sent 3 times', () => {
    const path = join(tmp, 'digits.pcap');
    writeRfc4733Pcap(path, '1#', { durationMs: 100, gapMs: 60, leadMs: 40, trailMs: 40 });
    const rtp = readPcap(path).map((p) => parseRtp(p.udp?.payload ?? Buffer.alloc(0)));
    const seqs = rtp.map((r) => r?.seq ?? -1);
    expect(seqs.every((s, i) => i === 0 || s === (seqs[i - 1] ?? 0) + 1)).toBe(true);
    const events = rtp.filter((r) => r?.pt === 101);
    expect(events).toHaveLength(2 * (5 + 2));
    const first = events.slice(0, 7).map((r) => ({ m: r?.marker, ts: r?.ts, ...parseTelephoneEvent(r!.payload) }));
    expect(first.map((e) => e.duration)).toEqual([160, 320, 480, 640, 800, 800, 800]);
    expect(first.map((e) => e.end)).toEqual([false, false, false, false, true, true, true]);
    expect(first.map((e) => e.m)).toEqual([true, false, false, false, false, false, false]);
    expect(new Set(first.map((e) => e.ts)).size).toBe(1);
    expect(dtmfDigit(parseTelephoneEvent(events[7]!.payload)!.event)).toBe('#');
    expect(rfc4733RtpPackets('5').every((p, i, a) => i === 0 || p.timeUs - (a[i - 1]?.timeUs ?? 0) === 20000)).toBe(true);
  });
});

describe('baresip launcher', () => {
  const source = readWav(join(AUDIO, 'message.wav'));
  const messagePcap = join(tmp, 'message.pcap');
  writeG711Pcap(messagePcap, source.samples, { law: 'PCMU' });

  it.each(['udp', 'tcp'] as const)(
    'auto-answers a SIPp INVITE over %s and records the audio SIPp played (correlation >= 0.95)',
    async (transport) => {
      const b = await startBaresip({ transport, audioSource: join(AUDIO, 'speech-sample.wav') });
      try {
        const uac = await startSipp({
          scenario: scenarioPath('uac-invite-rtp.xml'),
          transport: transport === 'tcp' ? 't1' : 'u1',
          remote: b.address,
          service: 'uas',
          files: { 'audio.pcap': messagePcap },
          pauseMs: 4800,
          timeoutMs: 15_000,
        });
        const done = await uac.exited;
        expect(done.code, uac.describe()).toBe(0);
        await b.waitForEvent('CALL_CLOSED');
        expect(uac.messages().find((m) => m.status === 200)?.header('Contact')).toContain(`127.0.0.1:${b.sipPort}`);
        const dec = b.recordings().dec;
        expect(dec).toHaveLength(1);
        const heard = readWav(dec[0]!);
        const a = alignAndCorrelate(source.samples, heard.samples);
        expect(a.correlation).toBeGreaterThanOrEqual(0.95);
        // The comparison can fail: what baresip sent (another recording) does not match the source.
        const sent = readWav(b.recordings().enc[0]!);
        expect(alignAndCorrelate(source.samples, sent.samples).correlation).toBeLessThan(0.5);
      } finally {
        await b.stop();
      }
    },
  );

  it('receives RFC 4733 digits from our pcap played by SIPp and logs them in order', async () => {
    const digits = '0123456789*#ABCD';
    const pcap = join(tmp, 'all-digits.pcap');
    writeRfc4733Pcap(pcap, digits, { durationMs: 100, gapMs: 60 });
    const b = await startBaresip({ transport: 'udp' });
    try {
      const uac = await startSipp({
        scenario: scenarioPath('uac-invite-rtp.xml'),
        remote: b.address,
        service: 'uas',
        files: { 'audio.pcap': pcap },
        pauseMs: 4200,
        timeoutMs: 15_000,
      });
      const done = await uac.exited;
      expect(done.code, uac.describe()).toBe(0);
      expect(b.receivedDigits()).toBe(digits);
    } finally {
      await b.stop();
    }
  });

  it('dials SIPp as a caller over ctrl_tcp and sends RFC 4733 digits with sndcode', async () => {
    const uas = await startSipp({
      scenario: scenarioPath('uas-answer-play.xml'),
      files: { 'audio.pcap': messagePcap },
      timeoutMs: 15_000,
    });
    const b = await startBaresip({ transport: 'udp' });
    const cap = await startCapture(join(tmp, 'sndcode.pcap'), `udp and dst port ${uas.mediaPort}`);
    try {
      expect((await b.dial(`sip:service@${uas.address}`)).ok).toBe(true);
      await b.waitForEvent('CALL_ESTABLISHED');
      for (const d of '7#') {
        expect((await b.sendDtmf(d)).ok).toBe(true);
        await sleep(300);
      }
      await b.hangup();
      expect((await uas.exited).code, uas.describe()).toBe(0);
      const events = (await cap.stop())
        .map((p) => parseRtp(p.udp?.payload ?? Buffer.alloc(0)))
        .filter((r) => r?.pt === 101)
        .map((r) => parseTelephoneEvent(r!.payload)!);
      const ended = events.filter((e) => e.end).map((e) => dtmfDigit(e.event));
      expect([...new Set(ended)].join('')).toBe('7#');
      expect(uas.messages().find((m) => m.method === 'BYE')?.direction).toBe('received');
    } finally {
      await b.stop();
    }
  });
});

describe('SIPp UAS that hangs up', () => {
  it('uas-answer-play-bye plays, then sends a BYE baresip (the caller) accepts with 200', async () => {
    const pcap = join(tmp, 'short.pcap');
    writeG711Pcap(pcap, sineTone(1000, 400), { law: 'PCMU' });
    const uas = await startSipp({
      scenario: scenarioPath('uas-answer-play-bye.xml'),
      transport: 't1',
      files: { 'audio.pcap': pcap },
      pauseMs: 600,
      timeoutMs: 10_000,
    });
    const b = await startBaresip({ transport: 'tcp' });
    try {
      expect((await b.dial(`sip:service@${uas.address};transport=tcp`)).ok).toBe(true);
      expect((await uas.exited).code, uas.describe()).toBe(0);
      await b.waitForEvent('CALL_CLOSED');
      const bye = uas.messages().find((m) => m.method === 'BYE');
      expect(bye?.direction).toBe('sent');
      // Request-URI is the caller's Contact; From/To are swapped relative to the INVITE.
      expect(bye?.firstLine).toContain(`127.0.0.1:${b.sipPort}`);
      const invite = uas.messages().find((m) => m.method === 'INVITE');
      expect(bye?.header('To')).toBe(invite?.header('From'));
    } finally {
      await b.stop();
    }
  });
});

describe('pulse', () => {
  it('a tone fed into mic comes out of mic.monitor bit-exact', async () => {
    const p = await startPulse();
    try {
      const rec = await p.recordMonitor('mic.monitor', join(p.dir, 'mic.raw'));
      const tone = sineTone(440, 500);
      await p.feedSink('mic', tone);
      await sleep(100);
      const got = await rec.stop();
      expect(rms(got)).toBeGreaterThan(1000);
      const a = alignAndCorrelate(tone, got, { maxLagMs: 1000 });
      expect(a.correlation).toBeGreaterThan(0.99);
      expect(Array.from(got.subarray(a.lag, a.lag + tone.length))).toEqual(Array.from(tone));
    } finally {
      await p.stop();
    }
  });
});

describe('piecewiseMatch (audio-pieces)', () => {
  const prompt = readWav(join(AUDIO, 'prompts/greeting-613.wav')).samples;
  const withHole = (x: Int16Array, at: number, holeMs: number, dropMs: number): Int16Array => {
    // What a starved sound card does: a stretch of silence, then audio dropped to catch up.
    const hole = Math.round(holeMs * 8);
    const drop = Math.round(dropMs * 8);
    const out = new Int16Array(8000 + x.length + hole - drop);
    out.set(x.subarray(0, at), 8000);
    out.set(x.subarray(at + drop), 8000 + at + hole);
    return out;
  };

  it('finds every piece of a delayed copy, and all but the piece with a hole when audio went missing', () => {
    const copy = piecewiseMatch(prompt, withHole(prompt, 0, 0, 0));
    expect(copy.matched, copy.describe()).toBe(copy.pieces);
    expect(copy.inOrder).toBe(true);
    const holed = piecewiseMatch(prompt, withHole(prompt, 20_000, 120, 120));
    expect(holed.matched, holed.describe()).toBe(holed.pieces - 1);
    expect(holed.inOrder).toBe(true);
  });

  it('matches no piece in a warbling tone or in other speech', () => {
    const warble = new Int16Array(80_000).map((_, i) => Math.round(4000 * Math.sin(i * 1.7) * Math.sin(i * 0.013)));
    expect(piecewiseMatch(prompt, warble).matched).toBe(0);
    expect(piecewiseMatch(prompt, readWav(join(AUDIO, 'speech-sample.wav')).samples).matched).toBe(0);
  });
});
