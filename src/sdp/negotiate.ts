/**
 * The offerer's side of RFC 3264 (§7): read the answer against the offer we sent and say what the RTP
 * layer needs — where to send RTP and RTCP, with which payload types, at which ptime, in which
 * direction. The answerer's side is in answer.ts; both produce a NegotiatedAudio.
 */
import { NoCommonCodecError, SdpNegotiationError } from './errors.js';
import {
  canReceive,
  canSend,
  fmtp,
  findCodec,
  hasRtcpMux,
  intersectDirections,
  isNullAddress,
  maxptime,
  mediaConnection,
  mediaDirection,
  ptime,
  reverseDirection,
  rtcpAttribute,
  rtpMaps,
} from './media-format.js';
import { parseSdp } from './parse.js';
import type { AudioCodecName, SdpDirection, SdpMedia, SessionDescription } from './types.js';

export type SdpInput = string | Buffer | SessionDescription;

export function toDescription(input: SdpInput): SessionDescription {
  return typeof input === 'string' || Buffer.isBuffer(input) ? parseSdp(input) : input;
}

export interface TransportAddress {
  address: string;
  port: number;
}

/** What the RTP layer needs about the one audio stream of a call. */
export interface NegotiatedAudio {
  /** Index of the audio m= line in the offer (and answer). */
  mediaIndex: number;
  /** Where we send RTP: media-level c= over session-level c=, and the m= port. */
  remoteRtp: TransportAddress;
  /** Where we send RTCP: RFC 3605 a=rtcp, else the RTP port + 1 (RFC 3550 §11), or the RTP port if muxed. */
  remoteRtcp: TransportAddress;
  /** RFC 5761: both sides said a=rtcp-mux. */
  rtcpMux: boolean;
  /** The codec we send, with the payload type the peer asked for. */
  codec: { name: AudioCodecName; payloadType: number; clockRate: number };
  /** RFC 4733 events we may send, with the peer's payload type and event list; null when not agreed. */
  telephoneEvent: { payloadType: number; events: string; clockRate: number } | null;
  /** Payload types to accept on receive (ours and the peer's numbering; CN 13 per RFC 3389). */
  receivePayloadTypes: { audio: number[]; telephoneEvent: number[]; comfortNoise: number[] };
  /** Packetization for what we send: the peer's a=ptime (what it wants to receive), else 20 ms. */
  ptime: number;
  maxptime?: number;
  /** What we do: send and/or receive. */
  direction: SdpDirection;
  /** The direction attribute the peer wrote. */
  remoteDirection: SdpDirection;
  /** The peer asked us not to send: a=sendonly or a=inactive on its side, or c= 0.0.0.0 (RFC 2543 hold). */
  onHold: boolean;
}

/** RTP audio transports; the SAVP ones are SRTP (RFC 3711 §12), usable only with keys (answer.ts, call-srtp.ts). */
export const RTP_AUDIO_PROTOCOLS = ['RTP/AVP', 'RTP/AVPF', 'RTP/SAVP', 'RTP/SAVPF'];

export function isUsableAudio(m: SdpMedia): boolean {
  return m.type.toLowerCase() === 'audio' && RTP_AUDIO_PROTOCOLS.includes(m.protocol.toUpperCase()) && m.port !== 0;
}

/** "G729 (18), GSM (3)" — the audio codecs of an m= line, for error messages. */
export function describeCodecs(m: SdpMedia): string {
  const names: string[] = [];
  const maps = rtpMaps(m);
  for (const f of m.formats) {
    const map = maps.get(Number(f));
    if (map && /^(telephone-event|CN)$/i.test(map.encoding)) continue;
    names.push(map ? `${map.encoding} (${f})` : `unknown payload type ${f}`);
  }
  return names.length > 0 ? names.join(', ') : 'no audio codec';
}

/** The telephone-event payload type of an m= line at the given clock rate, with its event list. */
export function telephoneEventOf(m: SdpMedia, clockRate = 8000): { payloadType: number; events: string } | undefined {
  const pt = findCodec(m, 'telephone-event', clockRate)[0];
  if (pt === undefined) return undefined;
  // RFC 4733 §2.5.1.3: without fmtp the receiver supports events 0-15.
  return { payloadType: pt, events: fmtp(m, pt) ?? '0-15' };
}

/** Builds the result from the remote m= section once the codec is chosen. */
export function describeNegotiated(args: {
  mediaIndex: number;
  remote: SessionDescription;
  remoteMedia: SdpMedia;
  localMedia: SdpMedia;
  localDirection: SdpDirection;
  codec: { name: AudioCodecName; payloadType: number };
  sendTelephoneEvent: { payloadType: number; events: string } | undefined;
}): NegotiatedAudio {
  const { remote, remoteMedia, localMedia } = args;
  const conn = mediaConnection(remote, remoteMedia);
  if (!conn) throw new SdpNegotiationError(`the audio stream (m= line ${args.mediaIndex + 1}) has no c= address.`);
  const address = conn.address;
  const nullHold = isNullAddress(address);
  const remoteDirection = mediaDirection(remote, remoteMedia);
  let direction = intersectDirections(args.localDirection, reverseDirection(remoteDirection));
  if (nullHold && canSend(direction)) direction = canReceive(direction) ? 'recvonly' : 'inactive';
  const rtcpMux = hasRtcpMux(remoteMedia) && hasRtcpMux(localMedia);
  const rtcpAttr = rtcpAttribute(remoteMedia);
  const remoteRtcp = rtcpMux
    ? { address, port: remoteMedia.port }
    : { address: rtcpAttr?.address ?? address, port: rtcpAttr?.port ?? remoteMedia.port + 1 };
  const localTe = telephoneEventOf(localMedia);
  const teSet = new Set<number>();
  if (localTe) teSet.add(localTe.payloadType);
  if (args.sendTelephoneEvent) teSet.add(args.sendTelephoneEvent.payloadType);
  const audioSet = new Set<number>([args.codec.payloadType, ...findCodec(localMedia, args.codec.name)]);
  const result: NegotiatedAudio = {
    mediaIndex: args.mediaIndex,
    remoteRtp: { address, port: remoteMedia.port },
    remoteRtcp,
    rtcpMux,
    codec: { name: args.codec.name, payloadType: args.codec.payloadType, clockRate: 8000 },
    telephoneEvent:
      args.sendTelephoneEvent && localTe
        ? { payloadType: args.sendTelephoneEvent.payloadType, events: args.sendTelephoneEvent.events, clockRate: 8000 }
        : null,
    receivePayloadTypes: { audio: [...audioSet], telephoneEvent: [...teSet], comfortNoise: [13] },
    ptime: ptime(remoteMedia) ?? 20,
    direction,
    remoteDirection,
    onHold: nullHold || !canReceive(remoteDirection),
  };
  const mp = maxptime(remoteMedia);
  if (mp !== undefined) {
    result.maxptime = mp;
    if (result.ptime > mp) result.ptime = mp;
  }
  return result;
}

/**
 * RFC 3264 §7: the offerer reads the answer. The answer has as many m= lines as the offer, in order;
 * the first audio stream we offered and the answer kept (port ≠ 0) is ours. The codec is the first
 * payload type of the answer's m= line that names a codec we offered (§6.1: the answerer lists its
 * preference first).
 */
export function negotiate(offerWeSent: SdpInput, answer: SdpInput): NegotiatedAudio {
  const offer = toDescription(offerWeSent);
  const ans = toDescription(answer);
  const audioIndex = offer.media.findIndex((m) => isUsableAudio(m));
  if (audioIndex < 0) throw new SdpNegotiationError('the offer we sent has no audio stream.');
  const localMedia = offer.media[audioIndex]!;
  const remoteMedia = ans.media[audioIndex];
  if (!remoteMedia) {
    throw new SdpNegotiationError(
      `the answer has ${ans.media.length} m= lines, the offer had ${offer.media.length}: the audio stream is missing.`,
    );
  }
  if (remoteMedia.port === 0) {
    throw new NoCommonCodecError('the answer rejected the audio stream (port 0).');
  }
  const offered = offeredCodecs(localMedia);
  const maps = rtpMaps(remoteMedia);
  for (const pt of remoteMedia.formats.map(Number)) {
    const map = maps.get(pt);
    if (!map || map.clockRate !== 8000) continue;
    const name = map.encoding.toUpperCase();
    if (offered.includes(name as AudioCodecName)) {
      return describeNegotiated({
        mediaIndex: audioIndex,
        remote: ans,
        remoteMedia,
        localMedia,
        localDirection: mediaDirection(offer, localMedia),
        codec: { name: name as AudioCodecName, payloadType: pt },
        sendTelephoneEvent: telephoneEventOf(remoteMedia),
      });
    }
  }
  throw new NoCommonCodecError(
    `the answer offers only ${describeCodecs(remoteMedia)}, we offered ${offered.join(', ')}.`,
  );
}

/** The codec names (PCMU, PCMA) of one of our own m= sections, in order. */
export function offeredCodecs(m: SdpMedia): AudioCodecName[] {
  const out: AudioCodecName[] = [];
  for (const [, map] of rtpMaps(m)) {
    const n = map.encoding.toUpperCase();
    if ((n === 'PCMU' || n === 'PCMA') && map.clockRate === 8000 && !out.includes(n)) out.push(n);
  }
  return out;
}
