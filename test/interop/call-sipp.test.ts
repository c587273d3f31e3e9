/**
 * Issue 3, done means 1 and 3: umphone calls an Exchange-UM-like pair of real SIPp instances over TCP
 * (a front that answers 302 to a worker that answers 200 and streams G.711), follows the redirect,
 * records the audio (which must match what SIPp sent), and hangs up; failures end with the right kind.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Phone } from '../../src/phone/phone.js';
import { openRealTransports } from '../../src/phone/real-transports.js';
import { CallFailedError } from '../../src/phone/call-types.js';
import { loadWavForPlaybackSync } from '../../src/media/wav/reader.js';
import { killAllChildren, sleep } from '../support/child-process.js';
import { startSipp, scenarioPath } from '../support/sipp.js';
import { freeSipPort } from '../support/ports.js';
import { writeG711Pcap } from '../support/pcap.js';
import { alignAndCorrelate, readWav } from '../support/audio-compare.js';

const dir = mkdtempSync(join(tmpdir(), 'umphone-call-'));
const prompt = loadWavForPlaybackSync(new URL('../../audio/prompts/greeting-613.wav', import.meta.url).pathname).samples;

afterAll(() => killAllChildren());

describe('call against SIPp (TCP, 302 to a worker)', () => {
  it.each(['main', 'native'] as const)('follows the 302, records what the worker plays, and hangs up with a correct BYE (RTP engine %s)', async (rtpEngine) => {
    const pcap = join(dir, 'greeting.pcap');
    writeG711Pcap(pcap, prompt, { law: 'PCMU' });
    const workerPort = await freeSipPort();
    const worker = await startSipp({ scenario: scenarioPath('uas-answer-play.xml'), transport: 't1', localPort: workerPort, files: { 'audio.pcap': pcap } });
    const front = await startSipp({
      scenario: scenarioPath('uas-redirect-302.xml'), transport: 't1',
      vars: { target_user: '680', target_port: String(workerPort), target_transport: 'Tcp' },
    });
    const transports = await openRealTransports({ localIp: '127.0.0.1', rtpEngine });
    const phone = new Phone(transports, { localIp: '127.0.0.1' });
    expect(transports.media.mode).toBe(rtpEngine);
    try {
      const rec = join(dir, `greeting-${rtpEngine}.wav`);
      const call = await phone.call(`sip:680@${front.address};transport=tcp`, { from: '111', diversion: ['613'], record: rec });
      // Let the worker's prompt play out (its length plus a margin), then hang up.
      await sleep(prompt.length / 8 + 800);
      const summary = await call.hangup();
      expect(summary.redirects.map((r) => r.status)).toEqual([302, 200]);
      expect(summary.redirects[1]!.uri).toBe(`sip:680@127.0.0.1:${workerPort};transport=Tcp`);
      expect(summary.rtp!.received.packets).toBeGreaterThan(prompt.length / 160 - 5);
      expect(summary.rtp!.received.lost).toBe(0);
      const got = readWav(rec);
      const { correlation } = alignAndCorrelate(prompt, got.samples, { maxLagMs: 3000 });
      expect(correlation).toBeGreaterThanOrEqual(0.95);
      expect((await worker.exited).code, worker.describe()).toBe(0);
      const received = worker.messages().filter((m) => m.direction === 'received');
      const invite = received.find((m) => m.method === 'INVITE')!;
      expect(invite.header('Diversion')).toBe(`<sip:613@127.0.0.1>;reason=no-answer;counter=1`);
      const ack = received.find((m) => m.method === 'ACK')!;
      const bye = received.find((m) => m.method === 'BYE')!;
      expect(ack.firstLine).toMatch(/^ACK sip:sipp@127\.0\.0\.1:\d+;transport=tcp SIP\/2\.0$/i);
      expect(ack.header('CSeq')).toBe(`${invite.header('CSeq')!.split(' ')[0]} ACK`);
      expect(bye.header('Call-ID')).toBe(invite.header('Call-ID'));
      expect(bye.header('To')).toMatch(/;tag=/);
    } finally {
      await phone.close();
      front.kill();
      worker.kill();
    }
  });

  it.each([
    ['uas-busy-486.xml', 'rejected', 486],
    ['uas-488.xml', 'no-codec', 488],
  ] as const)('%s ends the call as %s (%i)', async (scenario, kind, status) => {
    const uas = await startSipp({ scenario: scenarioPath(scenario), transport: 't1' });
    const phone = await Phone.create({ localIp: '127.0.0.1' });
    try {
      const err = await phone.call(`sip:680@${uas.address};transport=tcp`).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(CallFailedError);
      expect((err as CallFailedError).end.kind).toBe(kind);
      expect((err as CallFailedError).status).toBe(status);
    } finally {
      await phone.close();
      uas.kill();
    }
  });

  it('answers the peer\'s hold and resume re-INVITEs (recvonly, then sendrecv) and takes its BYE', async () => {
    const uas = await startSipp({ scenario: scenarioPath('uas-answer-hold.xml'), transport: 't1' });
    const phone = await Phone.create({ localIp: '127.0.0.1' });
    try {
      const call = await phone.call(`sip:680@${uas.address};transport=tcp`, { rtpTimeout: 0 });
      const holds: boolean[] = [];
      call.onEvent((e) => { if (e.type === 'hold') holds.push(e.onHold); });
      const summary = await call.ended;
      expect(summary.endedBy).toBe('remote (BYE)');
      expect(holds).toEqual([true, false]);
      expect((await uas.exited).code, uas.describe()).toBe(0);
    } finally {
      await phone.close();
      uas.kill();
    }
  });

  it('stops a 302 loop', async () => {
    const uas = await startSipp({ scenario: scenarioPath('uas-redirect-loop.xml'), transport: 't1' });
    const phone = await Phone.create({ localIp: '127.0.0.1' });
    try {
      const err = await phone.call(`sip:680@${uas.address};transport=tcp`).then(() => undefined, (e: unknown) => e);
      expect((err as CallFailedError).end.kind).toBe('redirect');
      expect((err as Error).message).toMatch(/^redirect loop/);
    } finally {
      await phone.close();
      uas.kill();
    }
  });
});
