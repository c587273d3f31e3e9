/**
 * Issue 8 (gateway mode) against SIPp as the caller: Exchange's OPTIONS ping (no user part,
 * transport=TCP) answered 200 with capabilities over TCP and UDP; an INVITE with SDP, G.711 RTP from a
 * pcap and a BYE, answered by the Listener, recorded, and the recording matches the prompt (r ≥ 0.95);
 * a source outside the allow list (SIPp bound to 127.0.0.2) gets 403.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Phone } from '../../src/phone/phone.js';
import { Listener } from '../../src/phone/listener.js';
import { AddressFilter } from '../../src/phone/address-filter.js';
import { followTransfer } from '../../src/phone/refer.js';
import type { Call } from '../../src/phone/call.js';
import { loadWavForPlaybackSync } from '../../src/media/wav/reader.js';
import { killAllChildren } from '../support/child-process.js';
import { startSipp, scenarioPath } from '../support/sipp.js';
import { freeSipPort } from '../support/ports.js';
import { writeG711Pcap } from '../support/pcap.js';
import { alignAndCorrelate, readWav } from '../support/audio-compare.js';

const dir = mkdtempSync(join(tmpdir(), 'umphone-listen-'));
const prompt = loadWavForPlaybackSync(new URL('../../audio/prompts/greeting-613.wav', import.meta.url).pathname).samples;

afterAll(() => killAllChildren());

async function gateway(opts: { allow?: string } = {}) {
  const port = await freeSipPort();
  const phone = await Phone.create({ localIp: '127.0.0.1', localPort: port });
  const listener = new Listener(phone, {
    ...(opts.allow ? { allow: AddressFilter.parse(opts.allow) } : {}),
    autoAnswer: 0,
    answerOptions: (n) => ({ record: join(dir, `in-${port}-${n}.wav`), rtpTimeout: 0 }),
  });
  return { phone, listener, port };
}

describe('listen against SIPp callers', () => {
  it.each(['t1', 'u1'] as const)('answers Exchange\'s gateway OPTIONS (no user part, transport=TCP) with 200 + Allow/Accept/Supported over %s', async (transport) => {
    const g = await gateway();
    try {
      const sipp = await startSipp({ scenario: scenarioPath('uac-options-gateway.xml'), transport, remote: `127.0.0.1:${g.port}`, calls: 2 });
      expect((await sipp.exited).code, sipp.describe()).toBe(0);
      const sent = sipp.messages().find((m) => m.direction === 'sent' && m.method === 'OPTIONS')!;
      expect(sent.firstLine).toBe(`OPTIONS sip:127.0.0.1:${g.port};transport=TCP SIP/2.0`);
      const res = sipp.messages().filter((m) => m.direction === 'received' && m.status === 200);
      expect(res).toHaveLength(2);
      expect(res[0]!.header('Allow')).toContain('REFER');
    } finally {
      await g.listener.close();
      await g.phone.close();
    }
  });

  it.each(['t1', 'u1'] as const)('answers an INVITE over %s, records the caller\'s audio (r ≥ 0.95), ends on its BYE', async (transport) => {
    const pcap = join(dir, `greeting-${transport}.pcap`);
    writeG711Pcap(pcap, prompt, { law: 'PCMU' });
    const g = await gateway({ allow: '127.0.0.1/32' });
    try {
      const next = g.listener.nextCall({ timeout: 30_000 }); // generous: SIPp starts slowly on a loaded machine
      const sipp = await startSipp({
        scenario: scenarioPath('uac-invite-rtp.xml'), transport, remote: `127.0.0.1:${g.port}`, service: '613',
        files: { 'audio.pcap': pcap }, pauseMs: Math.round(prompt.length / 8) + 800,
      });
      const call = await next;
      expect(call.requestUri).toMatch(/^sip:613@127\.0\.0\.1:\d+/);
      const summary = await call.ended;
      expect((await sipp.exited).code, sipp.describe()).toBe(0);
      expect(summary.endedBy).toBe('remote (BYE)');
      expect(summary.rtp!.received.packets).toBeGreaterThan(prompt.length / 160 - 5);
      const got = readWav(summary.recordings[0]!);
      const { correlation } = alignAndCorrelate(prompt, got.samples, { maxLagMs: 3000 });
      expect(correlation).toBeGreaterThanOrEqual(0.95);
      const ok = sipp.messages().find((m) => m.direction === 'received' && m.status === 200 && /INVITE/.test(m.header('CSeq') ?? ''))!;
      expect(ok.body).toMatch(/m=audio \d+ RTP\/AVP 0 101/);
      expect(ok.header('Contact')).toContain(`127.0.0.1:${g.port}`);
    } finally {
      await g.listener.close();
      await g.phone.close();
    }
  });

  it('refuses a caller outside the allow list (127.0.0.2) with 403', async () => {
    const g = await gateway({ allow: '127.0.0.1' });
    const refused: string[] = [];
    g.listener.onEvent((e) => { if (e.type === 'refused') refused.push(`${e.method} ${e.status} ${e.source}`); });
    try {
      // SIPp aborts on the 403 (it expects 200): startSipp may already see it exit, with the message log.
      let log: string;
      try {
        const sipp = await startSipp({ scenario: scenarioPath('uac-options-gateway.xml'), transport: 'u1', remote: `127.0.0.1:${g.port}`, extraArgs: ['-i', '127.0.0.2'] });
        await sipp.exited;
        log = sipp.messages().map((m) => `${m.direction} ${m.firstLine}`).join(' | ');
      } catch (e) {
        log = (e as Error).message;
      }
      expect(log).toMatch(/received SIP\/2\.0 403 Forbidden/);
      expect(refused[0]).toMatch(/^OPTIONS 403 UDP 127\.0\.0\.2:\d+$/);
    } finally {
      await g.listener.close();
      await g.phone.close();
    }
  });

  it('on REFER answers 202, sends NOTIFY sipfrag, calls the Refer-To target and hangs up the original call', async () => {
    const pcap = join(dir, 'op.pcap');
    writeG711Pcap(pcap, prompt.subarray(0, 8000), { law: 'PCMU' });
    const opPort = await freeSipPort();
    const op = await startSipp({ scenario: scenarioPath('uas-answer-play.xml'), transport: 't1', localPort: opPort, files: { 'audio.pcap': pcap } });
    const g = await gateway();
    let transferred: Call | undefined;
    const targets: string[] = [];
    g.listener.onEvent((e) => {
      if (e.type !== 'call') return;
      e.call.onEvent((ce) => {
        if (ce.type !== 'transfer') return;
        targets.push(ce.transfer.target);
        transferred = followTransfer(ce.transfer, (t) => g.phone.dial(t, { rtpTimeout: 0 }), () => e.call.hangup());
      });
    });
    try {
      const aa = await startSipp({
        scenario: scenarioPath('uac-invite-refer.xml'), transport: 't1', remote: `127.0.0.1:${g.port}`, service: '680',
        vars: { refer_port: String(opPort), refer_transport: 'tcp' },
      });
      expect((await aa.exited).code, aa.describe()).toBe(0);
      expect(targets).toEqual([`sip:op@127.0.0.1:${opPort};transport=tcp`]);
      const notifies = aa.messages().filter((m) => m.direction === 'received' && m.method === 'NOTIFY');
      expect(notifies.map((n) => n.body.trim())).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 180 Ringing', 'SIP/2.0 200 OK']);
      expect(notifies[0]!.header('Content-Type')).toBe('message/sipfrag;version=2.0');
      expect(notifies[0]!.header('Event')).toBe('refer;id=2');
      expect(notifies.map((n) => n.header('Subscription-State'))).toEqual(['active;expires=60', 'active;expires=60', 'terminated;reason=noresource']);
      expect(transferred!.state).toBe('answered');
      await transferred!.hangup();
      expect((await op.exited).code, op.describe()).toBe(0);
      const opInvite = op.messages().find((m) => m.direction === 'received' && m.method === 'INVITE')!;
      expect(opInvite.firstLine).toBe(`INVITE sip:op@127.0.0.1:${opPort};transport=tcp SIP/2.0`);
    } finally {
      await g.listener.close();
      await g.phone.close();
      op.kill();
    }
  });
});
