/**
 * An impaired network between umphone and a SIP peer over UDP, without root (no `tc netem`): a relay
 * that forwards SIP between the two and rewrites the m= port of each SDP so that the RTP of both
 * directions flows through it too. The peer's RTP towards umphone is impaired: every `dropEvery`-th
 * packet dropped, each other delayed by a random 0..`jitterMs` (less than one packet time, so nothing is
 * reordered). umphone's RTP towards the peer passes untouched.
 *
 *   umphone ──SIP──▶ relay.sip ──SIP──▶ peer         (responses come back the same way; ACK/BYE go direct)
 *   peer RTP ──▶ relay.towardsPeer ─(drop, delay)─▶ relay.towardsUs ──▶ umphone RTP port
 *   umphone RTP ──▶ relay.towardsUs ──▶ relay.towardsPeer ──▶ peer RTP port
 *
 * SDP rewriting keeps the body's length (ports are written with the same number of digits or the
 * Content-Length is fixed), so the peer and umphone parse what they always parse.
 */
import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';

export interface LossyRelayOptions {
  /** Where the peer's SIP listens (127.0.0.1). */
  peerSipPort: number;
  /** Drop every n-th RTP packet from the peer (0 = none). */
  dropEvery: number;
  /** Delay each forwarded packet by a uniform random 0..jitterMs (default 0). */
  jitterMs?: number;
  /** Random source for the delays (default Math.random), injectable for a repeatable pattern. */
  random?: () => number;
}

export interface LossyRelay {
  /** The SIP port umphone calls. */
  readonly sipPort: number;
  /** RTP packets from the peer seen, dropped and forwarded. */
  readonly counts: { seen: number; dropped: number; forwarded: number };
  close(): Promise<void>;
}

async function bound(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve());
  });
  return s;
}

/** Replaces the m=audio port of an SDP body inside a SIP message, fixing Content-Length. */
function rewriteMediaPort(msg: string, port: number): { text: string; oldPort: number | undefined } {
  const sep = msg.indexOf('\r\n\r\n');
  if (sep < 0) return { text: msg, oldPort: undefined };
  const head = msg.slice(0, sep);
  const body = msg.slice(sep + 4);
  const m = /^m=audio (\d+) /m.exec(body);
  if (!m) return { text: msg, oldPort: undefined };
  const newBody = body.replace(/^m=audio \d+ /m, `m=audio ${port} `);
  const newHead = head.replace(/^(Content-Length|l)\s*:\s*\d+/im, `Content-Length: ${Buffer.byteLength(newBody)}`);
  return { text: `${newHead}\r\n\r\n${newBody}`, oldPort: Number(m[1]) };
}

export async function startLossyRelay(o: LossyRelayOptions): Promise<LossyRelay> {
  const random = o.random ?? Math.random;
  const jitter = o.jitterMs ?? 0;
  const [sip, towardsPeer, towardsUs] = await Promise.all([bound(), bound(), bound()]);
  const port = (s: Socket) => (s.address() as AddressInfo).port;
  let us: { address: string; port: number } | undefined;
  let usRtpPort: number | undefined;
  let peerRtpPort: number | undefined;
  const counts = { seen: 0, dropped: 0, forwarded: 0 };
  const timers = new Set<NodeJS.Timeout>();

  sip.on('message', (buf, from) => {
    const text = buf.toString('latin1');
    if (from.port === o.peerSipPort) {
      // From the peer (a response): its SDP now names the relay's side facing umphone.
      const r = rewriteMediaPort(text, port(towardsUs));
      if (r.oldPort !== undefined) peerRtpPort = r.oldPort;
      if (us) sip.send(Buffer.from(r.text, 'latin1'), us.port, us.address);
      return;
    }
    us = { address: from.address, port: from.port };
    const r = rewriteMediaPort(text, port(towardsPeer));
    if (r.oldPort !== undefined) usRtpPort = r.oldPort;
    sip.send(Buffer.from(r.text, 'latin1'), o.peerSipPort, '127.0.0.1');
  });

  towardsPeer.on('message', (buf) => {
    // The peer's RTP (RTCP, if any, goes to port + 1, which nobody holds).
    if (usRtpPort === undefined) return;
    counts.seen++;
    if (o.dropEvery > 0 && counts.seen % o.dropEvery === 0) {
      counts.dropped++;
      return;
    }
    const send = () => {
      counts.forwarded++;
      towardsUs.send(buf, usRtpPort!, '127.0.0.1');
    };
    if (jitter <= 0) return send();
    const t = setTimeout(() => {
      timers.delete(t);
      send();
    }, random() * jitter);
    timers.add(t);
  });

  towardsUs.on('message', (buf) => {
    if (peerRtpPort !== undefined) towardsPeer.send(buf, peerRtpPort, '127.0.0.1');
  });

  return {
    sipPort: port(sip),
    counts,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      await Promise.all([sip, towardsPeer, towardsUs].map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}
