/**
 * The session description model (RFC 8866, which obsoletes RFC 4566): one field per line type, in the
 * order §5 requires, with attributes and unknown lines kept in order so that a parse → serialize round
 * trip loses nothing. Numbers that may exceed 2^53 (o= session id and version, t= times) stay strings.
 */

/** o= (§5.2) */
export interface SdpOrigin {
  username: string;
  sessionId: string;
  sessionVersion: string;
  netType: string;
  addrType: string;
  address: string;
}

/** c= (§5.7). `address` is the bare address; multicast TTL and count are split off. */
export interface SdpConnection {
  netType: string;
  addrType: string;
  address: string;
  ttl?: number;
  count?: number;
}

/** b= (§5.8), e.g. AS:64, CT:1000, TIAS:64000. */
export interface SdpBandwidth {
  type: string;
  value: number;
}

/** t= with the r= lines that follow it (§5.9, §5.10), kept as text. */
export interface SdpTiming {
  start: string;
  stop: string;
  repeats: string[];
}

/** a= (§5.13): a property attribute (`a=sendrecv`) has no value; a value attribute may have an empty one. */
export interface SdpAttribute {
  name: string;
  value?: string;
}

/** A line whose type letter this parser does not know (e.g. 3GPP `y=`): kept, re-emitted after the a= lines. */
export interface SdpOtherLine {
  type: string;
  value: string;
}

/** m= (§5.14) with its media-level lines. */
export interface SdpMedia {
  /** audio, video, text, application, message, image */
  type: string;
  /** 0 means a rejected or disabled stream (RFC 3264 §5.1, §6). */
  port: number;
  portCount?: number;
  /** RTP/AVP, RTP/SAVP, udptl, ... */
  protocol: string;
  /** Payload type numbers for RTP/AVP, as the text of the m= line. */
  formats: string[];
  information?: string;
  connections: SdpConnection[];
  bandwidths: SdpBandwidth[];
  key?: string;
  attributes: SdpAttribute[];
  otherLines: SdpOtherLine[];
}

export interface SessionDescription {
  version: number;
  origin: SdpOrigin;
  sessionName: string;
  information?: string;
  uri?: string;
  emails: string[];
  phones: string[];
  connection?: SdpConnection;
  bandwidths: SdpBandwidth[];
  timings: SdpTiming[];
  timeZones?: string;
  key?: string;
  attributes: SdpAttribute[];
  otherLines: SdpOtherLine[];
  media: SdpMedia[];
}

/** RFC 3264 §5.1 / RFC 8866 §6.7 media direction attributes. */
export type SdpDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export const SDP_DIRECTIONS: readonly SdpDirection[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

/** Codecs the phone can encode and decode (G.711 both laws). */
export type AudioCodecName = 'PCMU' | 'PCMA';

/** An a=rtpmap, or the RFC 3551 static assignment when there is none. */
export interface RtpMap {
  payloadType: number;
  encoding: string;
  clockRate: number;
  channels?: number;
}
