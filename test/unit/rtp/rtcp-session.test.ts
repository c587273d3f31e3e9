import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { ntpFromUnixMs, ntpMiddle32, parseRtcpCompound, serializeRtcpCompound } from '../../../src/rtp/rtcp.js';
import { RtcpSession } from '../../../src/rtp/rtcp-session.js';
import { ReceptionStats } from '../../../src/rtp/stats.js';

function setup(sending: boolean) {
  const clock = new ManualClock();
  const sent: { at: number; packets: ReturnType<typeof parseRtcpCompound> }[] = [];
  const reception = new ReceptionStats();
  const session = new RtcpSession({
    clock,
    send: (b) => sent.push({ at: clock.now(), packets: parseRtcpCompound(b) }),
    ssrc: 0x1111,
    cname: 'umphone@127.0.0.1',
    reception,
    sender: sending ? () => ({ ssrc: 0x2222, wallMs: clock.wallNow(), rtpTimestamp: clock.now() * 8, packetCount: 50, octetCount: 8000 }) : undefined,
    random: () => 0.5,
  });
  return { clock, sent, reception, session };
}

describe('RtcpSession', () => {
  it('reports at 2.5 s then every 5 s (randomization centred), RR + SDES when only receiving', () => {
    const { clock, sent, reception, session } = setup(false);
    reception.onPacket({ ssrc: 0xabc, sequence: 1, timestamp: 0, payloadLength: 160 }, 0);
    reception.onPacket({ ssrc: 0xabc, sequence: 2, timestamp: 160, payloadLength: 160 }, 20);
    session.start();
    clock.advance(12_600);
    expect(sent.map((s) => s.at)).toEqual([2500, 7500, 12_500]);
    const [rr, sdes] = sent[0]!.packets;
    expect(rr).toMatchObject({ type: 'rr', ssrc: 0x1111, reports: [{ ssrc: 0xabc, highestSeq: 2, cumulativeLost: 0 }] });
    expect(sdes).toEqual({ type: 'sdes', chunks: [{ ssrc: 0x1111, items: [{ type: 1, text: 'umphone@127.0.0.1' }] }] });
  });

  it('the randomization spreads the interval over [0.5, 1.5] × 5 s', () => {
    const clock = new ManualClock();
    const at: number[] = [];
    const rolls = [0, 0.999];
    const s = new RtcpSession({ clock, send: () => at.push(clock.now()), ssrc: 1, cname: 'x', random: () => rolls.shift() ?? 0.5 });
    s.start();
    clock.advance(20_000);
    expect(at.slice(0, 3)).toEqual([1250, 1250 + 7495, 1250 + 7495 + 5000]);
  });

  it('sends SR when sending, and a BYE on stop with no more reports afterwards', () => {
    const { clock, sent, session } = setup(true);
    session.start();
    clock.advance(3000);
    const sr = sent[0]!.packets[0]!;
    expect(sr.type).toBe('sr');
    if (sr.type === 'sr') {
      const ntp = ntpFromUnixMs(clock.wallNow() - 500);
      expect(sr.sender).toEqual({ ntpSeconds: ntp.seconds, ntpFraction: ntp.fraction, rtpTimestamp: 20_000, packetCount: 50, octetCount: 8000 });
      expect(sr.ssrc).toBe(0x2222);
    }
    session.stop('hangup');
    expect(sent.at(-1)!.packets.at(-1)).toEqual({ type: 'bye', ssrcs: [0x2222], reason: 'hangup' });
    const n = sent.length;
    clock.advance(60_000);
    expect(sent.length).toBe(n);
  });

  it('computes the round trip from the peer\'s LSR/DLSR and feeds its SR into our report block', () => {
    const { clock, session, reception } = setup(true);
    reception.onPacket({ ssrc: 0xabc, sequence: 1, timestamp: 0, payloadLength: 160 }, 0);
    reception.onPacket({ ssrc: 0xabc, sequence: 2, timestamp: 160, payloadLength: 160 }, 20);
    clock.advance(1000);
    // Our SR left at wall time W; the peer held it 250 ms and answered; it reaches us 100 ms later.
    const w = ntpFromUnixMs(clock.wallNow());
    const lsr = ntpMiddle32(w.seconds, w.fraction);
    clock.advance(350);
    const peerSr = ntpFromUnixMs(clock.wallNow() - 100);
    const reports: { rtt: number | undefined }[] = [];
    const datagram = serializeRtcpCompound([
      { type: 'sr', ssrc: 0xabc, sender: { ntpSeconds: peerSr.seconds, ntpFraction: peerSr.fraction, rtpTimestamp: 0, packetCount: 2, octetCount: 320 },
        reports: [{ ssrc: 0x2222, fractionLost: 0, cumulativeLost: 0, highestSeq: 50, jitter: 3, lsr, dlsr: 0.25 * 65536 }] },
      { type: 'sdes', chunks: [{ ssrc: 0xabc, items: [{ type: 1, text: 'peer@host' }] }] },
    ]);
    const s2 = new RtcpSession({ clock, send: () => {}, ssrc: 1, cname: 'x', reception, sender: () => ({ ssrc: 0x2222, wallMs: 0, rtpTimestamp: 0, packetCount: 1, octetCount: 1 }), onReport: (_p, rtt) => reports.push({ rtt }) });
    s2.receive(datagram);
    expect(reports[0]!.rtt).toBeCloseTo(100, 0);
    expect(s2.snapshot()).toMatchObject({ remoteCname: 'peer@host', reportsReceived: 1, remoteView: { jitter: 3 } });
    clock.advance(500);
    const block = reception.reportBlock(clock.now())!;
    expect(block.lsr).toBe(ntpMiddle32(peerSr.seconds, peerSr.fraction));
    expect(block.dlsr).toBe(32768);
    session.receive(Buffer.from('garbage'));
    expect(session.snapshot().malformed).toBe(1);
  });

  it('a BYE from the peer is reported', () => {
    const { session } = setup(false);
    const byes: (string | undefined)[] = [];
    const s = new RtcpSession({ clock: new ManualClock(), send: () => {}, ssrc: 1, cname: 'x', onBye: (r) => byes.push(r) });
    s.receive(serializeRtcpCompound([{ type: 'rr', ssrc: 9, reports: [] }, { type: 'bye', ssrcs: [9], reason: 'done' }]));
    expect(byes).toEqual(['done']);
    expect(s.snapshot().byeReceived).toBe(true);
    expect(session.snapshot().byeReceived).toBe(false);
  });
});
