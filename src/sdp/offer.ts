/**
 * Our own session descriptions: the offer a UAC puts in its INVITE (RFC 3264 §5) and the pieces an
 * answer shares with it (origin, connection, the audio m= section with G.711 and RFC 4733 events).
 */
import { randomInt } from 'node:crypto';
import { serializeSdp } from './serialize.js';
import type { AudioCodecName, SdpAttribute, SdpDirection, SdpMedia, SessionDescription } from './types.js';
import type { SdpCrypto } from './crypto.js';
import type { EncryptionLevel } from './crypto-negotiate.js';
import { serializeCrypto } from './crypto.js';

/** RFC 3551 static payload types of the codecs we speak. */
export const CODEC_PAYLOAD_TYPES: Readonly<Record<AudioCodecName, number>> = { PCMU: 0, PCMA: 8 };

export interface TelephoneEventOptions {
  /** Dynamic payload type, 96..127 (101 by custom). */
  pt: number;
  /** RFC 4733 §2.5.1.3 event list for a=fmtp, e.g. "0-16" or "0-15". */
  events: string;
}

export interface LocalMediaOptions {
  /** Our media address for c= and o= (IPv4 or IPv6). */
  address: string;
  /** Our RTP port (even, RFC 3550 §11); 0 offers a disabled stream. */
  port: number;
  /** Codecs in preference order. Default PCMU, PCMA. */
  codecs?: AudioCodecName[];
  /** RFC 4733 telephone-event, or false for none. Default { pt: 101, events: '0-16' }. */
  telephoneEvent?: TelephoneEventOptions | false;
  /** a=ptime in ms. Default 20. */
  ptime?: number;
  /** Default sendrecv; sendonly puts the peer on hold (RFC 3264 §8.4). */
  direction?: SdpDirection;
  /** Offer RTP and RTCP on one port (RFC 5761). Default false. */
  rtcpMux?: boolean;
  sessionId?: string | number | bigint;
  sessionVersion?: string | number | bigint;
  /** An offer's m= protocol: RTP/AVP (default), or RTP/SAVP for SRTP that must be used (RFC 3711 §12). */
  protocol?: string;
  /** SDES a=crypto lines (RFC 4568) for an offer's audio m= section; kept across re-offers so the keys stay. */
  crypto?: readonly SdpCrypto[];
  /** An offer's Microsoft a=encryption level (crypto-negotiate.ts EncryptionLevel); none when absent. */
  encryption?: EncryptionLevel;
  /**
   * Answering: the a=crypto line for the offered audio stream about to be accepted (RFC 4568 §7.1.2), or
   * undefined for plain RTP; throws SdpCryptoError to refuse the offer (488 with its Warning). Without it,
   * RTP/SAVP streams are refused and an a=crypto on RTP/AVP is ignored (plain RTP).
   */
  answerCrypto?: (offered: SdpMedia) => SdpCrypto | undefined;
  /** o= username; default "-" (RFC 8866 §5.2: "-" when there is no user id). */
  username?: string;
  /** s= text; default "umphone". */
  sessionName?: string;
}

export const DEFAULT_TELEPHONE_EVENT: TelephoneEventOptions = { pt: 101, events: '0-16' };

/** RFC 8866 §5.2 suggests an NTP-format timestamp for the session id; any unique number will do. */
export function newSessionId(): string {
  return String(randomInt(1, 2 ** 47));
}

export function addressType(address: string): 'IP4' | 'IP6' {
  return address.includes(':') ? 'IP6' : 'IP4';
}

/** The session-level part of a description we send: v o s c t. */
export function localSessionSkeleton(local: LocalMediaOptions): SessionDescription {
  const sessionId = String(local.sessionId ?? newSessionId());
  const addrType = addressType(local.address);
  return {
    version: 0,
    origin: {
      username: local.username ?? '-',
      sessionId,
      sessionVersion: String(local.sessionVersion ?? sessionId),
      netType: 'IN',
      addrType,
      address: local.address,
    },
    sessionName: local.sessionName ?? 'umphone',
    connection: { netType: 'IN', addrType, address: local.address },
    emails: [],
    phones: [],
    bandwidths: [],
    timings: [{ start: '0', stop: '0', repeats: [] }],
    attributes: [],
    otherLines: [],
    media: [],
  };
}

/** An audio m= section for the given payload types (codec PTs first, then telephone-event). */
export function audioMedia(
  port: number,
  protocol: string,
  codecs: { name: AudioCodecName; pt: number }[],
  te: TelephoneEventOptions | false,
  ptimeMs: number,
  direction: SdpDirection,
  rtcpMux: boolean,
  crypto: readonly SdpCrypto[] = [],
  encryption?: EncryptionLevel,
): SdpMedia {
  const formats = codecs.map((c) => String(c.pt));
  const attributes: SdpAttribute[] = codecs.map((c) => ({ name: 'rtpmap', value: `${c.pt} ${c.name}/8000` }));
  if (te) {
    formats.push(String(te.pt));
    attributes.push({ name: 'rtpmap', value: `${te.pt} telephone-event/8000` });
    attributes.push({ name: 'fmtp', value: `${te.pt} ${te.events}` });
  }
  attributes.push({ name: 'ptime', value: String(ptimeMs) });
  for (const c of crypto) attributes.push({ name: 'crypto', value: serializeCrypto(c) });
  if (encryption) attributes.push({ name: 'encryption', value: encryption });
  if (rtcpMux) attributes.push({ name: 'rtcp-mux' });
  attributes.push({ name: direction });
  return { type: 'audio', port, protocol, formats, connections: [], bandwidths: [], attributes, otherLines: [] };
}

/** The offer as a structure (RFC 3264 §5): one audio stream, G.711 in preference order, events. */
export function buildOffer(local: LocalMediaOptions): SessionDescription {
  const sd = localSessionSkeleton(local);
  const codecs = (local.codecs ?? ['PCMU', 'PCMA']).map((name) => ({ name, pt: CODEC_PAYLOAD_TYPES[name] }));
  const te = local.telephoneEvent === undefined ? DEFAULT_TELEPHONE_EVENT : local.telephoneEvent;
  sd.media.push(
    audioMedia(local.port, local.protocol ?? 'RTP/AVP', codecs, te, local.ptime ?? 20, local.direction ?? 'sendrecv', local.rtcpMux ?? false, local.crypto ?? [], local.encryption),
  );
  return sd;
}

/** The offer as the text of an application/sdp body. */
export function createOffer(local: LocalMediaOptions): string {
  return serializeSdp(buildOffer(local));
}
