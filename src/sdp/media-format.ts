/**
 * Reading what an m= section means for RTP: payload type → codec (a=rtpmap or the RFC 3551 static
 * table), a=fmtp, a=ptime / a=maxptime (RFC 8866 §6.4, §6.5), the direction (session level unless the
 * media level says otherwise, RFC 8866 §6.7), a=rtcp (RFC 3605) and a=rtcp-mux (RFC 5761).
 */
import type { RtpMap, SdpAttribute, SdpConnection, SdpDirection, SdpMedia, SessionDescription } from './types.js';
import { SDP_DIRECTIONS } from './types.js';

/** RFC 3551 §6 Table 4 (audio) and 5 (video): static payload types usable without a=rtpmap. */
export const STATIC_PAYLOAD_TYPES: ReadonlyMap<number, RtpMap> = new Map(
  (
    [
      [0, 'PCMU', 8000],
      [3, 'GSM', 8000],
      [4, 'G723', 8000],
      [5, 'DVI4', 8000],
      [6, 'DVI4', 16000],
      [7, 'LPC', 8000],
      [8, 'PCMA', 8000],
      [9, 'G722', 8000],
      [10, 'L16', 44100, 2],
      [11, 'L16', 44100],
      [12, 'QCELP', 8000],
      [13, 'CN', 8000],
      [14, 'MPA', 90000],
      [15, 'G728', 8000],
      [16, 'DVI4', 11025],
      [17, 'DVI4', 22050],
      [18, 'G729', 8000],
      [25, 'CelB', 90000],
      [26, 'JPEG', 90000],
      [28, 'nv', 90000],
      [31, 'H261', 90000],
      [32, 'MPV', 90000],
      [33, 'MP2T', 90000],
      [34, 'H263', 90000],
    ] as [number, string, number, number?][]
  ).map(([pt, encoding, clockRate, channels]) => [
    pt,
    channels === undefined ? { payloadType: pt, encoding, clockRate } : { payloadType: pt, encoding, clockRate, channels },
  ]),
);

export function findAttribute(attrs: SdpAttribute[], name: string): SdpAttribute | undefined {
  const lower = name.toLowerCase();
  return attrs.find((a) => a.name.toLowerCase() === lower);
}

export function findAttributes(attrs: SdpAttribute[], name: string): SdpAttribute[] {
  const lower = name.toLowerCase();
  return attrs.filter((a) => a.name.toLowerCase() === lower);
}

/** The payload types of an m= line, in order, without the duplicates some ATAs send. */
export function payloadTypes(media: SdpMedia): number[] {
  const seen = new Set<number>();
  for (const f of media.formats) {
    if (/^\d+$/.test(f)) {
      const pt = Number(f);
      if (pt <= 127) seen.add(pt);
    }
  }
  return [...seen];
}

/**
 * Every payload type of the m= line mapped to its codec. a=rtpmap wins over the static table; when a
 * payload type has two conflicting rtpmaps (seen from a Netgear ATA) the first one is kept.
 */
export function rtpMaps(media: SdpMedia): Map<number, RtpMap> {
  const declared = new Map<number, RtpMap>();
  for (const a of findAttributes(media.attributes, 'rtpmap')) {
    const m = /^\s*(\d+)\s+([^/\s]+)\/(\d+)(?:\/(\d+))?\s*$/.exec(a.value ?? '');
    if (!m) continue;
    const pt = Number(m[1]);
    if (declared.has(pt)) continue;
    const map: RtpMap = { payloadType: pt, encoding: m[2]!, clockRate: Number(m[3]) };
    if (m[4] !== undefined) map.channels = Number(m[4]);
    declared.set(pt, map);
  }
  const out = new Map<number, RtpMap>();
  for (const pt of payloadTypes(media)) {
    const map = declared.get(pt) ?? STATIC_PAYLOAD_TYPES.get(pt);
    if (map) out.set(pt, map);
  }
  return out;
}

/** The a=fmtp parameters of one payload type (first one wins), or undefined. */
export function fmtp(media: SdpMedia, payloadType: number): string | undefined {
  for (const a of findAttributes(media.attributes, 'fmtp')) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(a.value ?? '');
    if (m && Number(m[1]) === payloadType) return m[2]!.trim();
  }
  return undefined;
}

/** Payload types named `encoding` (case-insensitive, RFC 4855 §3) at `clockRate`, in m= line order. */
export function findCodec(media: SdpMedia, encoding: string, clockRate = 8000): number[] {
  const want = encoding.toLowerCase();
  const out: number[] = [];
  for (const [pt, map] of rtpMaps(media)) {
    if (map.encoding.toLowerCase() === want && map.clockRate === clockRate) out.push(pt);
  }
  return out;
}

/** a=ptime / a=maxptime in milliseconds (may be fractional), or undefined. */
export function ptime(media: SdpMedia): number | undefined {
  return numberAttr(media, 'ptime');
}
export function maxptime(media: SdpMedia): number | undefined {
  return numberAttr(media, 'maxptime');
}

function numberAttr(media: SdpMedia, name: string): number | undefined {
  const v = findAttribute(media.attributes, name)?.value;
  if (v === undefined) return undefined;
  const n = Number(v.trim());
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

function directionIn(attrs: SdpAttribute[]): SdpDirection | undefined {
  for (const a of attrs) {
    const n = a.name.toLowerCase() as SdpDirection;
    if (a.value === undefined && SDP_DIRECTIONS.includes(n)) return n;
  }
  return undefined;
}

/** RFC 8866 §6.7: media level wins over session level; sendrecv when neither says. */
export function mediaDirection(sd: SessionDescription, media: SdpMedia): SdpDirection {
  return directionIn(media.attributes) ?? directionIn(sd.attributes) ?? 'sendrecv';
}

/** The connection data in force for an m= section: its own c= over the session's (RFC 8866 §5.7). */
export function mediaConnection(sd: SessionDescription, media: SdpMedia): SdpConnection | undefined {
  return media.connections[0] ?? sd.connection;
}

/** True for the RFC 2543 way of putting a call on hold: c= 0.0.0.0 (RFC 3264 §8.4 still accepts it). */
export function isNullAddress(address: string): boolean {
  return address === '0.0.0.0' || address === '::' || /^0*:(0*:)*0*$/.test(address);
}

/** RFC 3605: a=rtcp:<port> [<nettype> <addrtype> <address>]. */
export function rtcpAttribute(media: SdpMedia): { port: number; address?: string } | undefined {
  const v = findAttribute(media.attributes, 'rtcp')?.value;
  if (v === undefined) return undefined;
  const f = v.trim().split(/\s+/);
  const port = Number(f[0]);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) return undefined;
  return f.length >= 4 ? { port, address: f[3]! } : { port };
}

/** RFC 5761 §5.1.1: a=rtcp-mux. */
export function hasRtcpMux(media: SdpMedia): boolean {
  return findAttribute(media.attributes, 'rtcp-mux') !== undefined;
}

/** The answerer's direction for an offered one (RFC 3264 §6.1), limited by what we want to do. */
export function answerDirection(offered: SdpDirection, wanted: SdpDirection = 'sendrecv'): SdpDirection {
  const mirrored = reverseDirection(offered);
  return intersectDirections(mirrored, wanted);
}

/** sendonly ↔ recvonly; sendrecv and inactive stay. */
export function reverseDirection(d: SdpDirection): SdpDirection {
  return d === 'sendonly' ? 'recvonly' : d === 'recvonly' ? 'sendonly' : d;
}

export function intersectDirections(a: SdpDirection, b: SdpDirection): SdpDirection {
  const send = canSend(a) && canSend(b);
  const recv = canReceive(a) && canReceive(b);
  return send && recv ? 'sendrecv' : send ? 'sendonly' : recv ? 'recvonly' : 'inactive';
}

export function canSend(d: SdpDirection): boolean {
  return d === 'sendrecv' || d === 'sendonly';
}
export function canReceive(d: SdpDirection): boolean {
  return d === 'sendrecv' || d === 'recvonly';
}
