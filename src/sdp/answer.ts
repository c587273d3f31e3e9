/**
 * The answerer's side of RFC 3264 (§6): an answer with exactly as many m= lines as the offer, in the
 * same order; the first usable audio stream accepted with the first offered codec that we support
 * and the offer's telephone-event payload type; every other stream rejected with port 0.
 */
import { NoCommonCodecError } from './errors.js';
import { encryptionLevel, type EncryptionLevel } from './crypto-negotiate.js';
import { answerDirection, findCodec, isNullAddress, mediaConnection, mediaDirection, rtpMaps } from './media-format.js';
import { describeCodecs, describeNegotiated, isUsableAudio, toDescription, telephoneEventOf } from './negotiate.js';
import type { NegotiatedAudio, SdpInput } from './negotiate.js';
import { DEFAULT_TELEPHONE_EVENT, audioMedia, localSessionSkeleton } from './offer.js';
import type { LocalMediaOptions } from './offer.js';
import { serializeSdp } from './serialize.js';
import type { AudioCodecName, SdpMedia, SessionDescription } from './types.js';

export interface SdpAnswer {
  /** The answer as the text of an application/sdp body. */
  sdp: string;
  description: SessionDescription;
  audio: NegotiatedAudio;
}

/** §6: a rejected stream keeps its media type, protocol and formats, with port 0. */
function rejected(m: SdpMedia): SdpMedia {
  return {
    type: m.type,
    port: 0,
    protocol: m.protocol,
    formats: m.formats.length > 0 ? [...m.formats] : ['0'],
    connections: [],
    bandwidths: [],
    attributes: [],
    otherLines: [],
  };
}

/**
 * Answers an offer, or throws NoCommonCodecError (the UAS then answers 488 Not Acceptable Here,
 * RFC 3261 §13.3.1.4 / RFC 3264 §6).
 */
export function createAnswer(offerInput: SdpInput, local: LocalMediaOptions): SdpAnswer {
  const offer = toDescription(offerInput);
  const ours = local.codecs ?? ['PCMU', 'PCMA'];
  const wantTe = local.telephoneEvent === undefined ? DEFAULT_TELEPHONE_EVENT : local.telephoneEvent;
  const sd = localSessionSkeleton(local);
  let accepted: NegotiatedAudio | undefined;
  const refusals: string[] = [];

  offer.media.forEach((m, index) => {
    if (accepted || !isUsableAudio(m)) {
      sd.media.push(rejected(m));
      return;
    }
    // §6.1: the answerer uses the offer's payload type numbers; the first offered codec we support wins.
    let codec: { name: AudioCodecName; pt: number } | undefined;
    for (const [pt, map] of rtpMaps(m)) {
      const name = map.encoding.toUpperCase() as AudioCodecName;
      if (map.clockRate === 8000 && ours.includes(name)) {
        codec = { name, pt };
        break;
      }
    }
    if (!codec) {
      refusals.push(describeCodecs(m));
      sd.media.push(rejected(m));
      return;
    }
    const savp = /^RTP\/SAVPF?$/i.test(m.protocol);
    const level = encryptionLevel(m);
    if ((savp || level === 'required') && !local.answerCrypto) {
      // SRTP is off: an RTP/SAVP stream cannot be answered with plain RTP (RFC 3264 §6 forbids changing the
      // protocol), nor can a Microsoft peer's a=encryption:required ("Encryption Levels not compatible").
      refusals.push(`${m.protocol}${!savp ? ' with a=encryption:required' : ''} (SRTP, which is off here)`);
      sd.media.push(rejected(m));
      return;
    }
    // May throw SdpCryptoError: the offer is then refused as a whole (488 with the Warning).
    const crypto = local.answerCrypto?.(m);
    // MS-SDPEXT: a peer that speaks a=encryption takes RTP/SAVP in the answer as the acknowledgement of
    // SRTP on its RTP/AVP offer, and reads our level back; other peers keep RFC 3264's same protocol.
    const protocol = level !== undefined && crypto ? 'RTP/SAVP' : m.protocol;
    const ourLevel: EncryptionLevel | undefined = level === undefined ? undefined : !crypto ? 'rejected' : level === 'required' ? 'required' : 'optional';
    const offeredTe = wantTe ? telephoneEventOf(m) : undefined;
    const te = offeredTe && wantTe ? { pt: offeredTe.payloadType, events: wantTe.events } : false;
    const conn = mediaConnection(offer, m);
    const offeredDirection = mediaDirection(offer, m);
    let direction = answerDirection(offeredDirection, local.direction ?? 'sendrecv');
    // RFC 3264 §8.4: c= 0.0.0.0 asks us not to send; do not promise to.
    if (conn && isNullAddress(conn.address)) {
      direction = direction === 'sendrecv' ? 'recvonly' : direction === 'sendonly' ? 'inactive' : direction;
    }
    const rtcpMux = (local.rtcpMux ?? false) && m.attributes.some((a) => a.name.toLowerCase() === 'rtcp-mux');
    const media = audioMedia(local.port, protocol, [codec], te, local.ptime ?? 20, direction, rtcpMux, crypto ? [crypto] : [], ourLevel);
    sd.media.push(media);
    accepted = describeNegotiated({
      mediaIndex: index,
      remote: offer,
      remoteMedia: m,
      localMedia: media,
      localDirection: direction,
      codec: { name: codec.name, payloadType: codec.pt },
      sendTelephoneEvent: offeredTe,
    });
  });

  if (!accepted) {
    const what = refusals.length > 0 ? `the offer offers only ${refusals.join('; ')}` : 'the offer has no RTP/AVP audio stream';
    throw new NoCommonCodecError(`${what}, we support ${ours.join(', ')}.`);
  }
  // Keep the numbering the offer used for our codec so that receive accepts either.
  accepted.receivePayloadTypes.audio = [...new Set([accepted.codec.payloadType, ...findCodec(offer.media[accepted.mediaIndex]!, accepted.codec.name)])];
  return { sdp: serializeSdp(sd), description: sd, audio: accepted };
}
