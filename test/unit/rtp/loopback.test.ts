/**
 * The receive side wired as the phone wires it, over real UDP on 127.0.0.1: socket pair → receiver →
 * jitter buffer, and RTCP sessions at both ends exchanging SR and RR (time from one ManualClock).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { serializeRtp } from '../../../src/rtp/packet.js';
import { RtpReceiver } from '../../../src/rtp/receiver.js';
import { RtcpSession } from '../../../src/rtp/rtcp-session.js';
import { RtpSocketPair } from '../../../src/rtp/socket.js';

const pairs: RtpSocketPair[] = [];
afterEach(async () => {
  await Promise.all(pairs.splice(0).map((p) => p.close()));
});

function until(check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const poll = () => (check() ? resolve() : setImmediate(poll));
    poll();
  });
}

describe('RTP and RTCP over loopback', () => {
  it('50 packets arrive complete and in order; SR then RR gives a round trip; BYE ends it', async () => {
    const clock = new ManualClock();
    const a = await RtpSocketPair.open({ address: '127.0.0.1', port: 0 });
    const b = await RtpSocketPair.open({ address: '127.0.0.1', port: 0 });
    pairs.push(a, b);
    const rx = new RtpReceiver({ clock, audioPayloadTypes: [0], telephoneEventPayloadTypes: [101], remote: { address: '127.0.0.1', port: a.rtpPort }, jitterBuffer: { initialDelayMs: 40 } });
    b.onRtp((d, from) => rx.receive(d, from));
    // Five packets at a time, then five pulls: a burst of more than the maximum delay would be trimmed.
    const frames = [];
    for (let i = 0; i < 50; i++) {
      a.send(serializeRtp({ payloadType: 0, marker: i === 0, sequence: 65520 + i, timestamp: i * 160, ssrc: 0xa, payload: Buffer.alloc(160, i) }), '127.0.0.1', b.rtpPort);
      if (i % 5 === 4) {
        await until(() => rx.snapshot().packetsReceived >= i + 1);
        for (let k = 0; k < 5; k++) frames.push(rx.pull());
      }
    }
    expect(frames.map((f) => (f.kind === 'audio' ? f.payload[0] : f.kind))).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(rx.snapshot().jitterBuffer).toMatchObject({ delivered: 50, concealed: 0, late: 0, overflowDrops: 0 });
    expect(rx.snapshot()).toMatchObject({ packetsReceived: 50, expected: 50, lost: 0, cycles: 1 });

    let rttA: number | undefined;
    let byeAtB: string | undefined;
    const sessionA = new RtcpSession({
      clock, ssrc: 0xa, cname: 'a@127.0.0.1',
      sender: () => ({ ssrc: 0xa, wallMs: clock.wallNow(), rtpTimestamp: 8000, packetCount: 50, octetCount: 8000 }),
      send: (d) => a.sendRtcp(d, '127.0.0.1', b.rtcpPort),
      onReport: (_p, rtt) => { rttA = rtt; },
    });
    const sessionB = new RtcpSession({
      clock, ssrc: 0xb, cname: 'b@127.0.0.1', reception: rx.reception,
      send: (d) => b.sendRtcp(d, '127.0.0.1', a.rtcpPort),
      onBye: (r) => { byeAtB = r; },
    });
    a.onRtcp((d) => sessionA.receive(d));
    b.onRtcp((d) => sessionB.receive(d));
    sessionA.sendReport();
    await until(() => sessionB.snapshot().reportsReceived === 1);
    clock.advance(250); // B holds A's SR for 250 ms (DLSR) before its RR
    sessionB.sendReport();
    await until(() => sessionA.snapshot().reportsReceived === 1);
    // The clock stood still in transit, so A − LSR − DLSR is 0 to within the 1/65536 s resolution.
    expect(rttA).toBeDefined();
    expect(rttA!).toBeLessThan(0.1);
    expect(sessionA.snapshot()).toMatchObject({ remoteCname: 'b@127.0.0.1', remoteView: { ssrc: 0xa, cumulativeLost: 0, highestSeq: 65520 + 49 } });
    sessionA.stop('done');
    await until(() => byeAtB !== undefined);
    expect(byeAtB).toBe('done');
  });
});
