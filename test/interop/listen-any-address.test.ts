/**
 * Issue 15 item 9: `umphone listen --local-ip 0.0.0.0` binds SIP (TCP and UDP) and RTP on every
 * interface, and a SIPp caller on 127.0.0.1 sees 127.0.0.1 wherever we write our address: Contact of
 * the 180 and the 200, the SDP c= and o= lines, the Via of the BYE we send; never 0.0.0.0 in any
 * message. The caller's RTP, sent to that c= address, reaches the wildcard RTP socket and is recorded
 * (r ≥ 0.95 with the prompt). With --advertise 192.0.2.10 that address is written instead.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadWavForPlaybackSync } from '../../src/media/wav/reader.js';
import { killAllChildren, pollUntil, type TrackedChild } from '../support/child-process.js';
import { ROOT, umphone } from '../support/umphone-cli.js';
import { startSipp, scenarioPath, type SippMessage } from '../support/sipp.js';
import { writeG711Pcap } from '../support/pcap.js';
import { freeSipPort } from '../support/ports.js';
import { alignAndCorrelate, readWav } from '../support/audio-compare.js';

const dir = mkdtempSync(join(tmpdir(), 'umphone-listen-any-'));
const prompt = loadWavForPlaybackSync(join(ROOT, 'audio/prompts/greeting-613.wav')).samples;
const pcap = join(dir, 'greeting.pcap');
writeG711Pcap(pcap, prompt, { law: 'PCMU' });

afterAll(() => killAllChildren());

/**
 * `umphone listen --local-ip 0.0.0.0 --port P ...` on a free port below the ephemeral range (--port 0
 * would let TCP take an ephemeral number whose UDP twin some other socket may hold).
 */
async function listenAll(extra: string[]): Promise<{ child: TrackedChild; port: number }> {
  const port = await freeSipPort();
  const child = umphone(['listen', '--local-ip', '0.0.0.0', '--port', String(port), '--auto-answer', ...extra]);
  await pollUntil('"listening on" on stdout', () => /listening on/.test(child.stdout()) || child.hasExited(), 30_000);
  if (child.hasExited()) throw new Error(`umphone listen exited: ${child.stderr()}`);
  expect(child.stdout()).toMatch(new RegExp(`^listening on 0\\.0\\.0\\.0:${port} \\(TCP and UDP\\)`, 'm'));
  return { child, port };
}

const received = (msgs: SippMessage[]) => msgs.filter((m) => m.direction === 'received');
const escape = (s: string) => s.replace(/\./g, '\\.');

/** Contact of the 180 and 200, and the 200's SDP c= and o= lines, carry `address`; nothing says 0.0.0.0. */
function expectAnswerNames(msgs: SippMessage[], address: string, port: number, transport: string): void {
  const toInvite = received(msgs).filter((m) => /INVITE/.test(m.header('CSeq') ?? ''));
  const contacts = toInvite.filter((m) => m.status === 180 || m.status === 200).map((m) => m.header('Contact'));
  const suffix = transport === 't1' ? ';transport=tcp' : '';
  expect(contacts).toEqual([`<sip:${address}:${port}${suffix}>`, `<sip:${address}:${port}${suffix}>`]);
  const ok = toInvite.find((m) => m.status === 200)!;
  expect(ok.body).toMatch(new RegExp(`^c=IN IP4 ${escape(address)}$`, 'm'));
  expect(ok.body).toMatch(new RegExp(`^o=\\S+ \\d+ \\d+ IN IP4 ${escape(address)}$`, 'm'));
  for (const m of received(msgs)) expect(m.raw, m.firstLine).not.toContain('0.0.0.0');
}

describe('umphone listen --local-ip 0.0.0.0 against SIPp on 127.0.0.1', () => {
  it.each(['t1', 'u1'] as const)('over %s: Contact and SDP carry 127.0.0.1, the caller\'s RTP reaches us (r ≥ 0.95)', async (transport) => {
    const rec = join(dir, `in-${transport}-{n}.wav`);
    const { child, port } = await listenAll(['--record', rec]);
    try {
      expect(child.stdout()).toMatch(/^listening on 0\.0\.0\.0:\d+ \(TCP and UDP\), advertising to each caller the address it reached; Ctrl-C stops$/m);
      const caller = await startSipp({
        scenario: scenarioPath('uac-invite-rtp.xml'), transport, remote: `127.0.0.1:${port}`, service: '613',
        files: { 'audio.pcap': pcap }, pauseMs: Math.round(prompt.length / 8) + 800,
      });
      expect((await caller.exited).code, caller.describe()).toBe(0);
      expectAnswerNames(caller.messages(), '127.0.0.1', port, transport);
      await pollUntil('the call summary', () => /Call 1 summary/.test(child.stdout()), 10_000);
      expect(child.stdout()).toMatch(/^call 1 answered: PCMU, RTP to 127\.0\.0\.1:\d+$/m);
      const { correlation } = alignAndCorrelate(prompt, readWav(rec.replace('{n}', '1')).samples, { maxLagMs: 3000 });
      expect(correlation, child.stdout()).toBeGreaterThanOrEqual(0.95);
    } finally {
      await child.kill();
    }
  });

  it.each(['t1', 'u1'] as const)('over %s: the BYE we send (Ctrl-C) has Via 127.0.0.1', async (transport) => {
    const { child, port } = await listenAll(['--rtp-timeout', '0']);
    try {
      const caller = await startSipp({
        scenario: scenarioPath('uac-invite-rtp.xml'), transport, remote: `127.0.0.1:${port}`, service: '613',
        files: { 'audio.pcap': pcap }, pauseMs: 20_000, timeoutMs: 40_000,
      });
      await pollUntil('call 1 answered', () => /call 1 answered/.test(child.stdout()), 15_000);
      child.proc.kill('SIGINT');
      expect((await child.exited).code, child.stderr()).toBe(0);
      await pollUntil('our BYE at SIPp', () => received(caller.messages()).some((m) => m.method === 'BYE'), 10_000);
      await caller.kill();
      const bye = received(caller.messages()).find((m) => m.method === 'BYE')!;
      expect(bye.header('Via')).toMatch(new RegExp(`^SIP/2\\.0/${transport === 't1' ? 'TCP' : 'UDP'} 127\\.0\\.0\\.1:${port};`));
      expectAnswerNames(caller.messages(), '127.0.0.1', port, transport);
    } finally {
      await child.kill();
    }
  });

  it('--advertise 192.0.2.10: Contact and SDP carry it', async () => {
    const { child, port } = await listenAll(['--advertise', '192.0.2.10', '--rtp-timeout', '0']);
    try {
      expect(child.stdout()).toMatch(/^listening on 0\.0\.0\.0:\d+ \(TCP and UDP\), advertising 192\.0\.2\.10; Ctrl-C stops$/m);
      // SIPp's t1 sends every request on its one connection, whatever the Contact says.
      const caller = await startSipp({
        scenario: scenarioPath('uac-invite-rtp.xml'), transport: 't1', remote: `127.0.0.1:${port}`, service: '613',
        files: { 'audio.pcap': pcap }, pauseMs: 500,
      });
      expect((await caller.exited).code, caller.describe()).toBe(0);
      expectAnswerNames(caller.messages(), '192.0.2.10', port, 't1');
    } finally {
      await child.kill();
    }
  });
});
