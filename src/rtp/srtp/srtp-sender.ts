/**
 * The sending half of an SRTP session: protects our RTP and RTCP under our master key (the one our
 * a=crypto line gave the peer). It keeps, per SSRC, the rollover counter (RFC 3711 §3.3.1: the
 * sender counts wraps of its own sequence numbers) and the SRTCP index (§3.4: +1 per packet).
 */
import { estimateIndex, MAX_SRTCP_INDEX, MAX_SRTP_INDEX, rtpHeaderLength, srtcpWord } from './packet-index.js';
import { SrtpKeying, SrtpProtectError, trailerLayout, type SrtpMasterKey, type SrtpPolicy } from './policy.js';

interface OutboundStream {
  /** Highest packet index sent. */
  top: number;
  /** Index of the next SRTCP packet. */
  rtcpIndex: number;
}

export interface RekeyOptions {
  /** Forget ROCs, SRTCP indices and replay state (a peer that restarts its streams); default false. */
  resetStreams?: boolean;
}

export class SrtpSender {
  private keying: SrtpKeying;
  private readonly streams = new Map<number, OutboundStream>();

  constructor(master: SrtpMasterKey, private readonly policy: SrtpPolicy = {}) {
    this.keying = new SrtpKeying(master, policy);
  }

  get suite(): string {
    return this.keying.suite.name;
  }

  /**
   * A new master key (a re-INVITE that changes our a=crypto). ROC and SRTCP index carry on unless
   * told otherwise: §3.2.1 binds them to the SSRC's context, and the sequence numbers continue.
   */
  rekey(master: SrtpMasterKey, options: RekeyOptions = {}): void {
    this.keying = new SrtpKeying(master, this.policy);
    if (options.resetStreams) this.streams.clear();
  }

  /** The rollover counter of an SSRC we sent from (0 before its first packet). */
  rolloverCounter(ssrc: number): number {
    const s = this.streams.get(ssrc >>> 0);
    return s && s.top >= 0 ? Math.floor(s.top / 0x10000) : 0;
  }

  /** SRTP packet for one RTP packet: a new buffer, header in clear, payload encrypted, [MKI], tag. */
  protectRtp(packet: Buffer): Buffer {
    const k = this.keying;
    const headerLength = rtpHeaderLength(packet);
    if (headerLength < 0 || packet[0]! >> 6 !== 2) {
      throw new SrtpProtectError(`Cannot protect a ${packet.length}-byte datagram that is not an RTP version 2 packet`);
    }
    const ssrc = packet.readUInt32BE(8);
    const seq = packet.readUInt16BE(2);
    const stream = this.stream(ssrc);
    let index = stream.top < 0 ? seq : estimateIndex(seq, stream.top % 0x10000, Math.floor(stream.top / 0x10000));
    if (index < 0) index = seq;
    if (index >= MAX_SRTP_INDEX) throw new SrtpProtectError('SRTP index exhausted 2^48 packets: the master key must change (RFC 3711 §9.2)');
    if (index > stream.top) stream.top = index;
    const end = packet.length;
    const tagLength = k.suite.rtpTagLength;
    const layout = trailerLayout(k.suite.aead, end, tagLength, k.mki.length, false);
    const out = Buffer.allocUnsafe(layout.total);
    packet.copy(out, 0);
    k.mki.copy(out, layout.mkiAt);
    k.transform.protectRtp(out, headerLength, end, ssrc, index, k.encryptRtp, layout.tagAt, tagLength);
    return out;
  }

  /** SRTCP packet for one compound RTCP packet: first 8 octets clear, rest encrypted, E||index, [MKI], tag. */
  protectRtcp(packet: Buffer): Buffer {
    const k = this.keying;
    if (packet.length < 8 || packet[0]! >> 6 !== 2) {
      throw new SrtpProtectError(`Cannot protect a ${packet.length}-byte datagram that is not an RTCP packet`);
    }
    const ssrc = packet.readUInt32BE(4);
    const stream = this.stream(ssrc);
    const index = stream.rtcpIndex;
    if (index > MAX_SRTCP_INDEX) throw new SrtpProtectError('SRTCP index exhausted 2^31 packets: the master key must change (RFC 3711 §9.2)');
    stream.rtcpIndex++;
    const end = packet.length;
    const tagLength = k.sendRtcpTagLength();
    const layout = trailerLayout(k.suite.aead, end, tagLength, k.mki.length, true);
    const out = Buffer.allocUnsafe(layout.total);
    packet.copy(out, 0);
    out.writeUInt32BE(srtcpWord(k.encryptRtcp, index), layout.wordAt);
    k.mki.copy(out, layout.mkiAt);
    k.transform.protectRtcp(out, end, ssrc, index, k.encryptRtcp, layout.wordAt, layout.tagAt, tagLength);
    return out;
  }

  private stream(ssrc: number): OutboundStream {
    let s = this.streams.get(ssrc);
    if (!s) {
      s = { top: -1, rtcpIndex: 0 };
      this.streams.set(ssrc, s);
    }
    return s;
  }
}
