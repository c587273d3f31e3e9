/**
 * Real peers against the UM server:
 *  - SIPp 3.6.1 as a UAC (uac-invite-rtp.xml: INVITE with SDP, ACK, RFC 4733 digits replayed from a
 *    pcap made by writeRfc4733Pcap, BYE). SIPp cannot follow the 302 with -t t1, so it calls the worker
 *    port directly, as Exchange's front would have sent it there.
 *  - baresip 1.0.0 dialling the front: it follows the 302 itself and signs in with 613# and 1234#.
 * Both check the menu path the server logged.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UmServer } from '../../src/um/server.js';
import type { UmLogEntry } from '../../src/um/sip-log.js';
import { startSipp, scenarioPath } from '../support/sipp.js';
import { writeRfc4733Pcap } from '../support/pcap.js';
import { startBaresip } from '../support/baresip.js';
import { killAllChildren, pollUntil, sleep } from '../support/child-process.js';

const dir = mkdtempSync(join(tmpdir(), 'um-peers-'));
afterAll(async () => {
  await killAllChildren();
  rmSync(dir, { recursive: true, force: true });
});

/** Mailbox 613 with one new message (audio/message.wav copied in, as call answering would leave it). */
function seededDataDir(name: string): string {
  const data = join(dir, name);
  mkdirSync(join(data, 'mailboxes', '613'), { recursive: true });
  copyFileSync('audio/message.wav', join(data, 'mailboxes', '613', 'msg-0001.wav'));
  return data;
}

function menuLines(log: UmLogEntry[]): string {
  return log.filter((e) => e.kind === 'menu' || e.kind === 'call').map((e) => e.line).join('\n');
}

describe('UM server with SIPp as the caller', () => {
  it('RFC 4733 digits from a pcap: 613# then 1234# sign in to mailbox 613', async () => {
    const log: UmLogEntry[] = [];
    const server = await UmServer.start({ port: 0, workerPort: 0, dataDir: seededDataDir('sipp'), log: (e) => log.push(e) });
    try {
      const pcap = join(dir, 'digits.pcap');
      // Barge-in: the digits come while the prompts play, as a fast caller types them.
      writeRfc4733Pcap(pcap, '613#1234#', { pt: 101, durationMs: 100, gapMs: 100, leadMs: 1000, trailMs: 200 });
      const ended = server.worker.nextCallEnded();
      const sipp = await startSipp({
        scenario: scenarioPath('uac-invite-rtp.xml'), transport: 't1', remote: `127.0.0.1:${server.worker.port}`,
        service: server.config.pilot, files: { 'audio.pcap': pcap }, pauseMs: 6000, timeoutMs: 30_000,
      });
      const { code } = await sipp.exited;
      expect(code, sipp.describe()).toBe(0);
      const handled = await ended;
      expect(handled.kind).toBe('subscriber-access');
      expect(handled.path.slice(0, 3), menuLines(log)).toEqual(['enter-extension', 'enter-pin', 'message-count']);
      expect(menuLines(log)).toContain('PIN accepted: signed in to mailbox 613');
      expect(menuLines(log)).toContain('mailbox 613: 1 new message(s)');
      // The 200 that SIPp received answers its PCMU offer with telephone-event 101.
      const ok = sipp.messages().find((m) => m.direction === 'received' && m.status === 200 && /INVITE/.test(m.header('CSeq') ?? ''));
      expect(ok?.body).toMatch(/m=audio \d+ RTP\/AVP 0 101/);
    } finally {
      await server.close();
    }
  }, 60_000);
});

describe('UM server with baresip as the caller', () => {
  it('follows the 302 and signs in by DTMF (613#, 1234#) to the main menu', async () => {
    const log: UmLogEntry[] = [];
    const server = await UmServer.start({ port: 0, workerPort: 0, dataDir: seededDataDir('baresip'), log: (e) => log.push(e) });
    const b = await startBaresip({ transport: 'tcp', audioSource: null, lifetimeMs: 60_000 });
    try {
      const ended = server.worker.nextCallEnded();
      await b.dial(server.pilotUri);
      await b.waitForEvent('CALL_ESTABLISHED', 10_000);
      const said = (re: RegExp) => pollUntil(`the server to log ${re}`, () => re.test(menuLines(log)), 15_000);
      // Let "Please enter your extension" play out, then type.
      await said(/prompt enter-extension/);
      await sleep(4200);
      for (const d of '613#') await b.sendDtmf(d);
      await said(/prompt enter-pin/);
      await sleep(1000);
      for (const d of '1234#') await b.sendDtmf(d);
      await said(/prompt new-messages-1/);
      await sleep(3000);
      await b.hangup();
      const handled = await ended;
      expect(handled.path.slice(0, 4), menuLines(log)).toEqual(['enter-extension', 'enter-pin', 'message-count', 'main-menu']);
      // The front's 302 was followed: the worker saw the INVITE, the front logged the redirect.
      expect(log.some((e) => e.role === 'UM service' && /redirecting 6000/.test(e.line))).toBe(true);
    } finally {
      await b.stop();
      await server.close();
    }
  }, 90_000);
});
