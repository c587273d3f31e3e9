/**
 * Issue 16 item 2 with real peers: `umphone call --srtp` and `umphone listen --srtp` against baresip 1.0
 * (libre's own SRTP, `mediaenc=srtp-mand`), the signalling over TLS where the call places it.
 *   - mandatory over TLS: audio both ways (correlation with the prompts played), RFC 4733 digits in
 *     baresip's log, the JSON's srtp counters; the wire (a live capture of lo) carries no G.711 that
 *     decodes to what we played, while our --pcap holds the decrypted RTP that does;
 *   - forged SRTP packets sent to our RTP port during the call: counted as auth failures, not recorded;
 *   - optional to a baresip without SRTP: plain RTP; mandatory to it: the call fails, exit 5;
 *   - AEAD_AES_128_GCM and AES_CM_128_HMAC_SHA1_32 too: audio both ways through the native engine's SRTP;
 *   - baresip placing an RTP/SAVP call to `umphone listen --srtp mandatory`: answered with SRTP, both
 *     ways; a plain caller gets 488 with a Warning.
 */
import { execFileSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadWavForPlaybackSync } from '../../src/media/wav/reader.js';
import { alignAndCorrelate, readWav } from '../support/audio-compare.js';
import { startBaresip } from '../support/baresip.js';
import { killAllChildren, pollUntil, sleep, type ExitInfo, type TrackedChild } from '../support/child-process.js';
import { decodeG711 } from '../support/g711-local.js';
import { freeSipPort } from '../support/ports.js';
import { makeTestPki } from '../support/tls-certs.js';
import { captureLoopback, tsharkFields } from '../support/tshark.js';
import { ROOT, umphone } from '../support/umphone-cli.js';

const pki = makeTestPki();
const dir = mkdtempSync(join(tmpdir(), 'umphone-srtp-calls-'));
/** What baresip plays (its "microphone") and what we play: two different prompts. */
const theirPath = join(ROOT, 'audio/prompts/greeting-613.wav');
const ourPath = join(ROOT, 'audio/prompts/main-menu.wav');
const theirs = loadWavForPlaybackSync(theirPath).samples;
const ours = loadWavForPlaybackSync(ourPath).samples;
/** baresip's source for the placed calls: its prompt twice (13.4 s), so it plays past our digits (see below). */
const theirsTwice = join(dir, 'greeting-twice.wav');
execFileSync('sox', [theirPath, theirPath, theirsTwice]);

afterAll(() => killAllChildren());

const SRTP_BARESIP = { extraConfig: ['module srtp.so', `sip_certificate ${pki.server.both}`], extraAccountParams: ';mediaenc=srtp-mand' };

function stderrLines(r: ExitInfo): string[] {
  return r.stderr.split('\n').filter((l) => l.trim() !== '');
}

/** The G.711 audio of RTP payloads (hex from tshark), header of 12 octets and `trailer` octets cut. */
function decodeWire(rows: string[][], trailer: number): Int16Array {
  const parts = rows.map((r) => Buffer.from(r[0]!, 'hex')).filter((b) => b.length > 12 && (b[1]! & 0x7f) === 0);
  const pcm = parts.map((b) => decodeG711(b.subarray(12, b.length - trailer), 'PCMU'));
  const out = new Int16Array(pcm.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pcm) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Our RTP port, from the m= line of the INVITE printed by -v. */
async function ourRtpPort(child: TrackedChild): Promise<number> {
  const m = await pollUntil('our m=audio line in the -v output', () => /^ {4}m=audio (\d+) RTP\/S?AVP/m.exec(child.stdout()) ?? undefined, 20_000);
  return Number(m[1]);
}

describe('umphone call --srtp with baresip', () => {
  it('mandatory over TLS: SRTP both ways, digits, counters; the wire is not plain RTP, the pcap is the decrypted RTP; forged packets are dropped and counted', async () => {
    const b = await startBaresip({ transport: 'tcp', audioSource: theirsTwice, ...SRTP_BARESIP });
    const rec = join(dir, 'mand.wav');
    const json = join(dir, 'mand.json');
    const pcap = join(dir, 'mand.pcap');
    const wire = join(dir, 'mand-wire.pcap');
    const capture = await captureLoopback(wire);
    const forger = dgram.createSocket('udp4');
    let forged = 0;
    try {
      const child = umphone([
        'call', `sips:uas@127.0.0.1:${b.sipPort + 1}`, '--tls-ca', pki.ca, '--srtp', 'mandatory', '--no-audio', '-v',
        '--play', ourPath, '--record', rec, '--json', json, '--pcap', pcap, '--duration', '9', '--dtmf-sequence', '1,2#', '--dtmf-initial-silence', '6000',
      ]);
      const port = await ourRtpPort(child);
      await b.waitForEvent('CALL_ESTABLISHED', 20_000);
      // Forged SRTP: RTP headers in the clear, a loud payload, a tag that cannot verify (no key).
      await sleep(1500);
      for (let i = 0; i < 20; i++) {
        const p = Buffer.alloc(12 + 160 + 10, 0x00);
        p[0] = 0x80;
        p.writeUInt16BE(1000 + i, 2);
        p.writeUInt32BE(160 * i, 4);
        p.writeUInt32BE(0x12345678, 8);
        forger.send(p, port, '127.0.0.1');
        forged++;
        await sleep(20);
      }
      const r = await child.exited;
      await capture.stop();
      // baresip's log reaches us through a pipe in blocks, its last lines when it exits.
      await b.stop();
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(stderrLines(r)).toEqual([]);
      expect(r.stdout).toMatch(/^ {4}m=audio \d+ RTP\/SAVP 0 8 101$/m);
      expect(r.stdout).toMatch(/^ {4}a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\S+$/m);
      expect(r.stdout).not.toMatch(/^ {4}a=(rtcp-mux|ice-ufrag|candidate)/m);
      expect(r.stdout).toMatch(/^ {2}Media {8}SRTP AES_CM_128_HMAC_SHA1_80, 20 auth failures, 0 replays$/m);

      const s = JSON.parse(readFileSync(json, 'utf8'));
      expect(s.srtp.suite).toBe('AES_CM_128_HMAC_SHA1_80');
      // The default RTP engine where the addon is built: SRTP ran on its I/O thread (src/rtp/native/srtp.cc).
      expect(s.srtp.engine).toBe('native');
      expect(s.srtp.rtp.authFailures).toBe(forged);
      expect(s.srtp.rtp.replays).toBe(0);
      expect(s.srtp.rtp.protected).toBe(s.rtp.sent.packets);
      expect(s.srtp.rtp.unprotected).toBe(s.rtp.received.packets);
      expect(s.srtp.rtp.unprotected).toBeGreaterThan(300);
      expect(s.srtp.rtcp.unprotected).toBeGreaterThan(0);

      // baresip's audio reached us (decrypted), ours reached baresip (it decrypted it), and its log has our digits.
      expect(alignAndCorrelate(theirs, readWav(rec).samples, { maxLagMs: 3000 }).correlation).toBeGreaterThanOrEqual(0.9);
      const dec = b.recordings().dec;
      expect(dec.length).toBeGreaterThan(0);
      expect(alignAndCorrelate(ours, readWav(dec[0]!).samples, { maxLagMs: 3000 }).correlation).toBeGreaterThanOrEqual(0.9);
      // The digits come after our prompt (RFC 4733 replaces its audio in baresip's recording) and before
      // baresip's WAV ends: a digit right after that end was seen lost (baresip), with or without SRTP.
      expect(b.receivedDigits()).toBe('12#');
      expect(b.logLines().join('\n')).not.toMatch(/srtp: .*(fail|error)/i);

      // The wire: our RTP to baresip's port does not decode to what we played.
      const remotePort = Number(String(s.remoteRtp).split(':').pop());
      const onWire = tsharkFields(wire, ['udp.payload'], { filter: `udp.srcport==${port} && udp.dstport==${remotePort}` });
      expect(onWire.length).toBeGreaterThan(300);
      const wireAudio = decodeWire(onWire, 10);
      expect(Math.abs(alignAndCorrelate(ours, wireAudio, { maxLagMs: 3000 }).correlation)).toBeLessThan(0.2);
      // Our pcap: the same packets as RTP before protection, which decode to the prompt.
      const inPcap = tsharkFields(pcap, ['udp.payload'], { filter: `udp.srcport==${port} && udp.dstport==${remotePort}` });
      expect(alignAndCorrelate(ours, decodeWire(inPcap, 0), { maxLagMs: 3000 }).correlation).toBeGreaterThanOrEqual(0.9);
    } finally {
      forger.close();
      await capture.stop().catch(() => undefined);
      await b.stop();
    }
  }, 120_000);

  // The other two suites through the native I/O thread's SRTP (src/rtp/native/srtp.cc) with libre: GCM
  // (RFC 7714) and the 32-bit tag. Audio both ways is the proof each side decrypted the other.
  it.each(['AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_32'])('%s over TLS on the native engine: audio both ways, nothing dropped', async (suite) => {
    const b = await startBaresip({ transport: 'tcp', audioSource: theirPath, ...SRTP_BARESIP });
    try {
      const rec = join(dir, `${suite}.wav`);
      const json = join(dir, `${suite}.json`);
      const r = await umphone([
        'call', `sips:uas@127.0.0.1:${b.sipPort + 1}`, '--tls-ca', pki.ca, '--srtp', 'mandatory', '--srtp-suites', suite, '--no-audio', '-q',
        '--play', ourPath, '--record', rec, '--json', json, '--duration', '6',
      ]).exited;
      await b.stop();
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      const s = JSON.parse(readFileSync(json, 'utf8'));
      expect(s.srtp).toMatchObject({ suite, engine: 'native', rtp: { authFailures: 0, replays: 0, dropped: 0 } });
      expect(s.srtp.rtp.protected).toBe(s.rtp.sent.packets);
      expect(s.srtp.rtp.unprotected).toBe(s.rtp.received.packets);
      expect(s.srtp.rtp.unprotected).toBeGreaterThan(200);
      expect(alignAndCorrelate(theirs, readWav(rec).samples, { maxLagMs: 3000 }).correlation).toBeGreaterThanOrEqual(0.9);
      const dec = b.recordings().dec;
      expect(dec.length).toBeGreaterThan(0);
      expect(alignAndCorrelate(ours, readWav(dec[0]!).samples, { maxLagMs: 3000 }).correlation).toBeGreaterThanOrEqual(0.9);
    } finally {
      await b.stop();
    }
  }, 120_000);

  it('optional to a baresip without SRTP: plain RTP, no srtp in the summary; mandatory to it: the call fails (exit 5)', async () => {
    const b = await startBaresip({ transport: 'tcp', audioSource: theirPath, extraConfig: [`sip_certificate ${pki.server.both}`] });
    try {
      const rec = join(dir, 'opt.wav');
      const json = join(dir, 'opt.json');
      const r = await umphone([
        'call', `sips:uas@127.0.0.1:${b.sipPort + 1}`, '--tls-ca', pki.ca, '--srtp', 'optional', '--no-audio', '-v',
        '--record', rec, '--json', json, '--duration', '5',
      ]).exited;
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/^ {4}m=audio \d+ RTP\/AVP 0 8 101$/m);
      expect(r.stdout).toMatch(/^ {4}a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:/m);
      const s = JSON.parse(readFileSync(json, 'utf8'));
      expect(s.srtp).toBeUndefined();
      expect(r.stdout).not.toMatch(/^ {2}Media /m);
      expect(alignAndCorrelate(theirs, readWav(rec).samples, { maxLagMs: 3000 }).correlation).toBeGreaterThanOrEqual(0.9);

      const json2 = join(dir, 'mand-refused.json');
      const r2 = await umphone([
        'call', `sips:uas@127.0.0.1:${b.sipPort + 1}`, '--tls-ca', pki.ca, '--srtp', 'mandatory', '--no-audio', '-q', '--json', json2, '--duration', '3',
      ]).exited;
      expect(r2.code, `${r2.stdout}\n${r2.stderr}`).toBe(5);
      const s2 = JSON.parse(readFileSync(json2, 'utf8'));
      expect(['no-codec', 'srtp']).toContain(s2.end.kind);
      expect(s2.srtp).toBeUndefined();
    } finally {
      await b.stop();
    }
  }, 120_000);
});

describe('umphone listen --srtp with baresip calling', () => {
  it('answers baresip\'s RTP/SAVP offer with SRTP (audio both ways); refuses a plain caller with 488 and a Warning', async () => {
    const port = await freeSipPort();
    const rec = join(dir, 'in-{n}.wav');
    const child = umphone([
      'listen', '--local-ip', '127.0.0.1', '--port', String(port), '--auto-answer', '--srtp', 'mandatory',
      '--record', rec, '--play', ourPath, '--rtp-timeout', '0', '-v',
    ]);
    const caller = await startBaresip({ transport: 'tcp', audioSource: theirPath, autoAnswer: false, ...SRTP_BARESIP });
    const plain = await startBaresip({ transport: 'tcp', audioSource: theirPath, autoAnswer: false });
    try {
      await pollUntil('"listening on"', () => /listening on/.test(child.stdout()) || child.hasExited(), 30_000);
      expect((await caller.dial(`sip:613@127.0.0.1:${port};transport=tcp`)).ok).toBe(true);
      await caller.waitForEvent('CALL_ESTABLISHED', 20_000);
      await sleep(7000);
      await caller.hangup();
      await pollUntil('the call summary', () => /Call 1 summary/.test(child.stdout()) ? true : undefined, 20_000);
      const out = child.stdout();
      expect(out).toMatch(/^ {4}m=audio \d+ RTP\/SAVP 0 101$/m);
      expect(out).toMatch(/^ {4}a=crypto:\d+ AES_CM_128_HMAC_SHA1_80 inline:\S+$/m);
      expect(out).toMatch(/^ {2}Media {8}SRTP AES_CM_128_HMAC_SHA1_80, 0 auth failures, 0 replays$/m);
      expect(alignAndCorrelate(theirs, readWav(join(dir, 'in-1.wav')).samples, { maxLagMs: 3000 }).correlation).toBeGreaterThanOrEqual(0.9);
      const dec = caller.recordings().dec;
      expect(alignAndCorrelate(ours, readWav(dec[0]!).samples, { maxLagMs: 3000 }).correlation).toBeGreaterThanOrEqual(0.9);

      expect((await plain.dial(`sip:613@127.0.0.1:${port};transport=tcp`)).ok).toBe(true);
      await plain.waitForEvent('CALL_CLOSED', 20_000);
      await pollUntil('the 488', () => /SIP\/2\.0 488 Not Acceptable Here/.test(child.stdout()) ? true : undefined, 10_000);
      expect(child.stdout()).toMatch(/^ {4}Warning: 399 127\.0\.0\.1 "SRTP is mandatory here: the offer has no crypto attribute/m);
      expect(child.stderr()).toMatch(/INVITE from TCP 127\.0\.0\.1:\d+ refused with 488: SRTP is mandatory here/);
    } finally {
      child.proc.kill('SIGINT');
      await child.exited;
      await caller.stop();
      await plain.stop();
    }
  }, 120_000);
});
