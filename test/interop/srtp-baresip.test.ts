/**
 * SRTP interop with an independent implementation: baresip 1.0 (libre's own SRTP code, not libsrtp)
 * answers an RTP/SAVP call whose a=crypto line umphone's SDES code wrote. The test is its own minimal
 * SIP UAC over one UDP socket (the call wiring comes later); what is under test is src/sdp/crypto*
 * and src/rtp/srtp:
 *   - baresip's answer is read by acceptCryptoAnswer;
 *   - every SRTP packet baresip sends authenticates under its key and decrypts to the 1 kHz tone it
 *     plays; its SRTCP authenticates too;
 *   - baresip decrypts what we send (a 600 Hz tone protected by SrtpSender, and SRTCP): its sndfile
 *     recording of the received audio holds the tone, and it logs no SRTP failure.
 * For AES_CM_128_HMAC_SHA1_32 libre puts a 32-bit tag on SRTCP too: the receiver takes it as it comes
 * and the sender is told to write 4 octets.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as dgram from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeRtpHeader } from '../../src/rtp/packet.js';
import { SrtpReceiver, SrtpSender } from '../../src/rtp/srtp/index.js';
import {
  acceptCryptoAnswer,
  createCryptoOffer,
  cryptoAttribute,
  cryptoLines,
  parseSdp,
  type SdesKeys,
  type SdesSuiteName,
} from '../../src/sdp/index.js';
import { readWav, sineTone } from '../support/audio-compare.js';
import { startBaresip } from '../support/baresip.js';
import { killAllChildren, pollUntil, sleep } from '../support/child-process.js';
import { decodeG711, encodeG711 } from '../support/g711-local.js';
import { freePortPair } from '../support/ports.js';

const dir = mkdtempSync(join(tmpdir(), 'umphone-srtp-baresip-'));
const tone = join(dir, 'tone-1000.wav');
execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', tone, 'synth', '30', 'sine', '1000', 'vol', '0.3']);

afterAll(() => killAllChildren());

/** Share of a signal's energy at `freq` (Goertzel power over total power, 0..1). */
function toneShare(x: Int16Array, freq: number, rate = 8000): number {
  const w = (2 * Math.PI * freq) / rate;
  let s1 = 0;
  let s2 = 0;
  let total = 0;
  for (const v of x) {
    const s = v + 2 * Math.cos(w) * s1 - s2;
    s2 = s1;
    s1 = s;
    total += v * v;
  }
  const power = s1 * s1 + s2 * s2 - 2 * Math.cos(w) * s1 * s2;
  return total === 0 ? 0 : (2 * power) / (x.length * total);
}

/**
 * True when the datagram is exactly a compound of RTCP packets (RFC 3550 §6.1) with no SRTCP trailer:
 * each part version 2 with an RTCP packet type (192..223, RFC 5761 §4), the lengths adding up.
 */
function isPlainRtcp(m: Buffer): boolean {
  let at = 0;
  while (at + 4 <= m.length) {
    if (m[at]! >> 6 !== 2 || m[at + 1]! < 192 || m[at + 1]! > 223) return false;
    at += (m.readUInt16BE(at + 2) + 1) * 4;
  }
  return at === m.length;
}

interface Udp {
  socket: dgram.Socket;
  port: number;
  received: Buffer[];
}

async function bind(port: number): Promise<Udp> {
  const socket = dgram.createSocket('udp4');
  const received: Buffer[] = [];
  socket.on('message', (m) => received.push(m));
  await new Promise<void>((resolve) => socket.bind(port, '127.0.0.1', resolve));
  return { socket, port: socket.address().port, received };
}

function send(u: Udp, data: Buffer | string, port: number): void {
  u.socket.send(typeof data === 'string' ? Buffer.from(data) : data, port, '127.0.0.1');
}

function sipMessage(startLine: string, headers: string[], body = ''): string {
  return [startLine, ...headers, `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n');
}

async function waitForFinal(sip: Udp, method: string, from: number): Promise<string> {
  return pollUntil(`a final response to ${method}`, () => {
    for (const m of sip.received.slice(from)) {
      const text = m.toString('utf8');
      if (/^SIP\/2\.0 [2-6]\d\d/.test(text) && new RegExp(`^CSeq:\\s*\\d+ ${method}`, 'mi').test(text)) return text;
    }
    return undefined;
  }, 10_000);
}

const header = (msg: string, name: string): string => new RegExp(`^${name}:\\s*(.*)$`, 'mi').exec(msg)?.[1]?.trim() ?? '';

describe('SRTP with baresip (libre SRTP, SDES, mediaenc=srtp-mand)', () => {
  it.each<SdesSuiteName>(['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32', 'AEAD_AES_128_GCM'])('%s both ways', async (suite) => {
    const b = await startBaresip({ audioSource: tone, extraConfig: ['module srtp.so'], extraAccountParams: ';mediaenc=srtp-mand', lifetimeMs: 60_000 });
    const sip = await bind(0);
    const rtpPort = await freePortPair();
    const rtp = await bind(rtpPort);
    const rtcp = await bind(rtpPort + 1);
    try {
      const offered = createCryptoOffer({ suites: [suite] });
      const sdp = [
        'v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
        `m=audio ${rtp.port} RTP/SAVP 0`, 'a=rtpmap:0 PCMU/8000', 'a=ptime:20', 'a=sendrecv',
        ...offered.map((c) => `a=crypto:${cryptoAttribute(c).value}`), '',
      ].join('\r\n');
      const callId = `${randomBytes(6).toString('hex')}@127.0.0.1`;
      const from = `<sip:srtp@127.0.0.1:${sip.port}>;tag=${randomBytes(4).toString('hex')}`;
      const via = (branch: string): string => `Via: SIP/2.0/UDP 127.0.0.1:${sip.port};rport;branch=z9hG4bK${branch}`;
      send(sip, sipMessage(`INVITE ${b.uri} SIP/2.0`, [
        via(randomBytes(6).toString('hex')), 'Max-Forwards: 70', `From: ${from}`, `To: <${b.uri}>`, `Call-ID: ${callId}`,
        'CSeq: 1 INVITE', `Contact: <sip:srtp@127.0.0.1:${sip.port}>`, 'Content-Type: application/sdp',
      ], sdp), b.sipPort);
      const ok = await waitForFinal(sip, 'INVITE', 0);
      expect(ok.split('\r\n')[0]).toMatch(/^SIP\/2\.0 200 /);
      const to = header(ok, 'To');
      send(sip, sipMessage(`ACK ${b.uri} SIP/2.0`, [
        via(randomBytes(6).toString('hex')), 'Max-Forwards: 70', `From: ${from}`, `To: ${to}`, `Call-ID: ${callId}`, 'CSeq: 1 ACK',
      ]), b.sipPort);

      const answer = parseSdp(ok.slice(ok.indexOf('\r\n\r\n') + 4));
      const media = answer.media[0]!;
      expect(media.protocol).toBe('RTP/SAVP');
      const { local, remote }: { local: SdesKeys; remote: SdesKeys } = acceptCryptoAnswer(offered, cryptoLines(media));
      expect(remote.suite).toBe(suite);
      const peerRtp = media.port;

      // Send 3 s of a 600 Hz tone, 20 ms a packet, and one SRTCP receiver report a second.
      const tx = new SrtpSender(local, { ...local, srtcpTag32: 4 });
      const ours = encodeG711(sineTone(600, 3000, 8000), 'PCMU');
      const ssrc = 0x5e5e0001;
      for (let n = 0; n < 150; n++) {
        const p = Buffer.alloc(172);
        writeRtpHeader(p, { payloadType: 0, marker: n === 0, sequence: (65500 + n) & 0xffff, timestamp: n * 160, ssrc });
        ours.copy(p, 12, n * 160, n * 160 + 160);
        send(rtp, tx.protectRtp(p), peerRtp);
        if (n % 50 === 49) {
          const rr = Buffer.alloc(8);
          rr.writeUInt16BE(0x80c9, 0);
          rr.writeUInt16BE(1, 2);
          rr.writeUInt32BE(ssrc, 4);
          send(rtcp, tx.protectRtcp(rr), peerRtp + 1);
        }
        await sleep(20);
      }
      await sleep(3000);

      // BYE, then read what we received.
      const before = sip.received.length;
      send(sip, sipMessage(`BYE ${b.uri} SIP/2.0`, [
        via(randomBytes(6).toString('hex')), 'Max-Forwards: 70', `From: ${from}`, `To: ${to}`, `Call-ID: ${callId}`, 'CSeq: 2 BYE',
      ]), b.sipPort);
      expect((await waitForFinal(sip, 'BYE', before)).split('\r\n')[0]).toMatch(/^SIP\/2\.0 200 /);

      const rx = new SrtpReceiver(remote, remote);
      const audio: Buffer[] = [];
      for (const m of rtp.received) {
        const r = rx.unprotectRtp(m);
        if (r.ok) audio.push(r.packet.subarray(12));
      }
      // libre also sends plain RTCP around the call (an APP "PINGPONG" before media starts, BYE and
      // SDES after SRTP ends): those must be dropped, every SRTCP packet must authenticate.
      let srtcp = 0;
      for (const m of rtcp.received) {
        const clear = isPlainRtcp(m);
        const r = rx.unprotectRtcp(m);
        expect(r.ok, `${clear ? 'plain RTCP' : 'SRTCP'} ${m.toString('hex')}`).toBe(!clear);
        if (!clear) srtcp++;
      }
      expect(srtcp).toBeGreaterThanOrEqual(1);
      expect(rx.counters.rtcp.ok).toBe(srtcp);
      const heard = decodeG711(Buffer.concat(audio), 'PCMU');
      expect(toneShare(heard.subarray(8000), 1000)).toBeGreaterThan(0.9);

      await pollUntil('baresip to write its recording', () => b.recordings().dec.length > 0 || undefined, 5000);
      await sleep(500);
      const lines = b.logLines();
      expect(lines.filter((l) => /srtp: failed|decrypt/i.test(l))).toEqual([]);
      expect(lines.some((l) => new RegExp(`SRTP is Enabled \\(cryptosuite=${suite}\\)`).test(l))).toBe(true);
      const dec = readWav(b.recordings().dec[0]!).samples;
      expect(dec.length).toBeGreaterThan(8000);
      // The middle second of what baresip decrypted and decoded is our 600 Hz tone.
      const middle = dec.subarray(Math.floor(dec.length / 2) - 4000, Math.floor(dec.length / 2) + 4000);
      expect(toneShare(middle, 600)).toBeGreaterThan(0.8);
    } finally {
      for (const u of [sip, rtp, rtcp]) u.socket.close();
      await b.stop();
    }
  }, 60_000);
});
