import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { serializeRtp } from '../../../src/rtp/packet.js';
import type { RtpPacket } from '../../../src/rtp/packet.js';
import { RtpReceiver } from '../../../src/rtp/receiver.js';

const peer = { address: '127.0.0.1', port: 30000 };
const rtp = (sequence: number, timestamp: number, payloadType = 0, extra: { ssrc?: number; marker?: boolean; payload?: Buffer } = {}) =>
  serializeRtp({ payloadType, sequence, timestamp, ssrc: extra.ssrc ?? 0xabc, marker: extra.marker ?? false, payload: extra.payload ?? Buffer.alloc(160, 0xff) });

function receiver(over: Partial<ConstructorParameters<typeof RtpReceiver>[0]> = {}) {
  const clock = new ManualClock();
  const events: RtpPacket[] = [];
  const r = new RtpReceiver({
    clock,
    audioPayloadTypes: [0],
    telephoneEventPayloadTypes: [101],
    remote: peer,
    jitterBuffer: { initialDelayMs: 40 },
    onTelephoneEvent: (p) => events.push(p),
    ...over,
  });
  return { r, clock, events };
}

describe('RtpReceiver', () => {
  it('accepts audio from the expected source and plays it in order', () => {
    const { r, clock } = receiver();
    expect(r.receive(rtp(1, 0), peer)).toBe('audio');
    clock.advance(20);
    expect(r.receive(rtp(3, 320), peer)).toBe('audio');
    expect(r.receive(rtp(2, 160), peer)).toBe('audio');
    expect([r.pull(), r.pull(), r.pull()].map((f) => f.kind === 'audio' && f.sequence)).toEqual([1, 2, 3]);
  });

  it('drops packets from another source, malformed packets and unknown payload types, and counts them', () => {
    const { r } = receiver();
    expect(r.receive(rtp(1, 0), { address: '127.0.0.2', port: 30000 })).toBe('unexpected-source');
    expect(r.receive(rtp(1, 0), { address: '127.0.0.1', port: 30002 })).toBe('unexpected-source');
    expect(r.receive(Buffer.from('hello world!!'), peer)).toBe('malformed');
    expect(r.receive(rtp(1, 0, 18), peer)).toBe('unexpected-payload-type');
    expect(r.receive(rtp(1, 0), { address: '::ffff:127.0.0.1', port: 30000 })).toBe('audio');
    expect(r.snapshot().dropped).toEqual({ malformed: 1, unexpectedSource: 2, unexpectedPayloadType: 1, telephoneEvents: 0, comfortNoise: 0 });
  });

  it('latching: the first valid packet picks the remote, later strangers are ignored', () => {
    const latched: unknown[] = [];
    const { r } = receiver({ latch: true, onLatch: (a) => latched.push(a) });
    const nat = { address: '127.0.0.9', port: 40000 };
    expect(r.receive(rtp(1, 0, 18), nat)).toBe('unexpected-payload-type');
    expect(r.receive(rtp(1, 0), nat)).toBe('audio');
    expect(r.receive(rtp(2, 160), peer)).toBe('unexpected-source');
    expect(r.receive(rtp(2, 160), nat)).toBe('audio');
    expect(latched).toEqual([nat]);
    expect(r.snapshot()).toMatchObject({ remote: nat, latched: true });
  });

  it('telephone-event packets go to the handler untouched and do not count as lost audio', () => {
    const { r, events } = receiver();
    const ev = Buffer.from([0x05, 0x0a, 0x00, 0xa0]);
    r.receive(rtp(1, 0), peer);
    r.receive(rtp(2, 160), peer);
    expect(r.receive(rtp(3, 320, 101, { marker: true, payload: ev }), peer)).toBe('telephone-event');
    expect(r.receive(rtp(4, 320, 101, { payload: ev }), peer)).toBe('telephone-event');
    r.receive(rtp(5, 480), peer);
    r.receive(rtp(6, 640), peer);
    expect(events.map((e) => [e.sequence, e.marker, e.payload.toString('hex')])).toEqual([[3, true, '050a00a0'], [4, false, '050a00a0']]);
    const frames = [r.pull(), r.pull(), r.pull(), r.pull()].map((f) => (f.kind === 'audio' ? `a${f.sequence}` : f.kind));
    // The event covered 320..480: no audio was sent for that time, which is silence, not loss.
    expect(frames).toEqual(['a1', 'a2', 'silence', 'a5']);
    expect(r.snapshot()).toMatchObject({ lost: 0, expected: 6, packetsReceived: 6 });
  });

  it('comfort noise (PT 13) is accepted and passed through', () => {
    const { r } = receiver();
    r.receive(rtp(1, 0), peer);
    r.receive(rtp(2, 160), peer);
    expect(r.receive(rtp(3, 320, 13, { payload: Buffer.from([40]) }), peer)).toBe('comfort-noise');
    expect([r.pull(), r.pull(), r.pull()].map((f) => f.kind)).toEqual(['audio', 'audio', 'comfort-noise']);
  });

  it('duplicates and late packets are reported; jitter feeds the buffer target', () => {
    const { r, clock } = receiver();
    r.receive(rtp(1, 0), peer);
    clock.advance(20);
    r.receive(rtp(2, 160), peer);
    expect(r.receive(rtp(2, 160), peer)).toBe('duplicate');
    r.pull();
    r.pull();
    r.pull(); // lost 3
    clock.advance(80); // 3 arrives 60 ms late: transit jumps by 480 samples
    expect(r.receive(rtp(3, 320), peer)).toBe('late');
    const s = r.snapshot();
    expect(s).toMatchObject({ duplicates: 1, late: 1 });
    expect(s.jitter).toBeCloseTo(480 / 16, 6);
    expect(s.jitterBuffer.targetDelayMs).toBeGreaterThan(40);
  });

  it('RTCP on the RTP port goes to onRtcp when multiplexed', () => {
    const got: Buffer[] = [];
    const { r } = receiver({ onRtcp: (b) => got.push(b) });
    expect(r.receive(Buffer.from('80c9000100000001', 'hex'), peer)).toBe('rtcp');
    expect(got).toHaveLength(1);
  });

  it('an SSRC change resets the buffer and is counted', () => {
    const { r } = receiver();
    r.receive(rtp(1, 0), peer);
    r.receive(rtp(2, 160), peer);
    r.receive(rtp(500, 9999, 0, { ssrc: 0xdef }), peer);
    expect(r.snapshot()).toMatchObject({ ssrc: 0xdef, ssrcChanges: 1 });
    expect(r.snapshot().jitterBuffer.resets).toBe(1);
  });
});
