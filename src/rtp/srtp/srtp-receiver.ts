/**
 * The receiving half of an SRTP session: authenticates, replay-checks and decrypts the peer's SRTP and
 * SRTCP under the peer's master key. A stream (ROC, highest index, replay windows) exists per SSRC and
 * is created only by a packet that authenticated, so a forged packet cannot claim an SSRC or move the
 * ROC (RFC 3711 §3.3: the index is trusted only once the tag verified). Decryption is in place, in the
 * caller's buffer, and only after authentication; a dropped packet is a counted FAILURE result, never
 * an exception.
 */
import { estimateIndex, MAX_SRTP_INDEX, parseSrtcpWord, rtpHeaderLength } from './packet-index.js';
import {
  FAILURE,
  newCounters,
  SrtpKeying,
  trailerLayout,
  type SrtpCounters,
  type SrtpFailureReason,
  type SrtpMasterKey,
  type SrtpPolicy,
  type SrtpResult,
} from './policy.js';
import { ReplayWindow } from './replay-window.js';
import type { RekeyOptions } from './srtp-sender.js';

interface InboundStream {
  rtp: ReplayWindow;
  rtcp: ReplayWindow;
}

export class SrtpReceiver {
  private keying: SrtpKeying;
  private readonly streams = new Map<number, InboundStream>();
  private rtcpTags: number[];
  /** Accepted and dropped packets, by reason, for RTP and RTCP. */
  readonly counters: { rtp: SrtpCounters; rtcp: SrtpCounters } = { rtp: newCounters(), rtcp: newCounters() };

  constructor(master: SrtpMasterKey, private readonly policy: SrtpPolicy = {}) {
    this.keying = new SrtpKeying(master, policy);
    this.rtcpTags = [...this.keying.rtcpTagLengths()];
  }

  /** The SSRCs learnt from authenticated packets, first one first. */
  get ssrcs(): number[] {
    return [...this.streams.keys()];
  }

  /** The rollover counter of a learnt SSRC (0 for one not seen). */
  rolloverCounter(ssrc: number): number {
    const top = this.streams.get(ssrc >>> 0)?.rtp.highest ?? -1;
    return top < 0 ? 0 : Math.floor(top / 0x10000);
  }

  /** The peer's new master key (re-INVITE). Streams carry on unless `resetStreams`. */
  rekey(master: SrtpMasterKey, options: RekeyOptions = {}): void {
    this.keying = new SrtpKeying(master, this.policy);
    this.rtcpTags = [...this.keying.rtcpTagLengths()];
    if (options.resetStreams) this.streams.clear();
  }

  /** One SRTP datagram in; on success `packet` is the RTP packet (a view of the same buffer, decrypted). */
  unprotectRtp(packet: Buffer): SrtpResult {
    const k = this.keying;
    const tagLength = k.suite.rtpTagLength;
    const overhead = tagLength + k.mki.length;
    if (packet.length < 12 + overhead) return this.fail('rtp', 'too-short');
    const end = packet.length - overhead;
    const headerLength = rtpHeaderLength(packet, end);
    if (packet[0]! >> 6 !== 2 || headerLength < 0) return this.fail('rtp', 'malformed');
    const layout = trailerLayout(k.suite.aead, end, tagLength, k.mki.length, false);
    if (!this.mkiMatches(packet, layout.mkiAt)) return this.fail('rtp', 'mki');
    const ssrc = packet.readUInt32BE(8);
    const seq = packet.readUInt16BE(2);
    const stream = this.streams.get(ssrc);
    let index = seq;
    if (stream) {
      const top = stream.rtp.highest;
      index = top < 0 ? seq : estimateIndex(seq, top % 0x10000, Math.floor(top / 0x10000));
      if (index >= MAX_SRTP_INDEX) return this.fail('rtp', 'too-old');
      const verdict = stream.rtp.check(index);
      if (verdict !== 'ok') return this.fail('rtp', verdict);
    } else if (this.streams.size >= k.maxStreams) {
      return this.fail('rtp', 'streams');
    }
    if (!k.transform.unprotectRtp(packet, headerLength, end, ssrc, index, k.encryptRtp, layout.tagAt, tagLength)) {
      return this.fail('rtp', 'auth');
    }
    (stream ?? this.learn(ssrc)).rtp.accept(index);
    this.counters.rtp.ok++;
    return { ok: true, packet: packet.subarray(0, end), ssrc, index };
  }

  /**
   * One SRTCP datagram in; on success `packet` is the compound RTCP packet. The E flag says whether
   * the sender encrypted it (RFC 3711 §3.4), and the tag covers the flag, so both forms are accepted.
   */
  unprotectRtcp(packet: Buffer): SrtpResult {
    let reason: SrtpFailureReason | undefined;
    const tags = this.rtcpTags;
    for (let i = 0; i < tags.length; i++) {
      const result = this.tryRtcp(packet, tags[i]!);
      if (result.ok) {
        // The tag length that worked is tried first from now on (libre's 4 or everyone else's 10).
        if (i > 0) tags.unshift(...tags.splice(i, 1));
        this.counters.rtcp.ok++;
        return result;
      }
      // The preferred length's verdict is the one reported, unless the packet was too short for it.
      if (reason === undefined || reason === 'too-short') reason = result.reason;
    }
    return this.fail('rtcp', reason ?? 'too-short');
  }

  private tryRtcp(packet: Buffer, tagLength: number): SrtpResult {
    const k = this.keying;
    const overhead = tagLength + 4 + k.mki.length;
    if (packet.length < 8 + overhead) return FAILURE['too-short'];
    if (packet[0]! >> 6 !== 2) return FAILURE.malformed;
    const end = packet.length - overhead;
    const layout = trailerLayout(k.suite.aead, end, tagLength, k.mki.length, true);
    if (!this.mkiMatches(packet, layout.mkiAt)) return FAILURE.mki;
    const ssrc = packet.readUInt32BE(4);
    const { encrypted, index } = parseSrtcpWord(packet.readUInt32BE(layout.wordAt));
    const stream = this.streams.get(ssrc);
    if (stream) {
      const verdict = stream.rtcp.check(index);
      if (verdict !== 'ok') return FAILURE[verdict];
    } else if (this.streams.size >= k.maxStreams) {
      return FAILURE.streams;
    }
    if (!k.transform.unprotectRtcp(packet, end, ssrc, index, encrypted, layout.wordAt, layout.tagAt, tagLength)) {
      return FAILURE.auth;
    }
    (stream ?? this.learn(ssrc)).rtcp.accept(index);
    return { ok: true, packet: packet.subarray(0, end), ssrc, index };
  }

  private learn(ssrc: number): InboundStream {
    const s = { rtp: new ReplayWindow(this.keying.replayWindow), rtcp: new ReplayWindow(this.keying.replayWindow) };
    this.streams.set(ssrc, s);
    return s;
  }

  private mkiMatches(packet: Buffer, at: number): boolean {
    const mki = this.keying.mki;
    for (let i = 0; i < mki.length; i++) if (packet[at + i] !== mki[i]) return false;
    return true;
  }

  private fail(kind: 'rtp' | 'rtcp', reason: SrtpFailureReason): SrtpResult {
    this.counters[kind][reason]++;
    return FAILURE[reason];
  }
}
