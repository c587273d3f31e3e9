/**
 * Exchange UM's three VoIP security modes (a UM dial plan's `VoIPSecurity`), as the built-in server
 * applies them:
 *
 *   unsecured    TCP front 5060 ─302→ worker TCP 5065            RTP
 *   sip-secured  mutual TLS front 5061 ─302 (transport=TLS)→ worker TLS 5066    RTP
 *   secured      mutual TLS as sip-secured                      SRTP mandatory (RTP/SAVP + a=crypto)
 *
 * (With two hops, Exchange 2013+: call router 5060/5061 → UM service 5062/5063 → worker.)
 * Exchange trusts a TLS peer by its certificate: the chain must verify against the CAs it trusts (else
 * the handshake fails: its event 1113, "failed to exchange the required certificates with an IP
 * gateway"), and the certificate must name a configured UM IP gateway, whose address is its FQDN,
 * in the subject CN or a SAN. The first is the TLS transport's (requestClientCert); the second is
 * gatewayRefusal here, answered 403 Forbidden. In Secured mode an offer without usable SRTP is answered
 * 488 Not Acceptable Here with a Warning (as Exchange Online UM did).
 */
import { getContentType, type SipRequest } from '../sip/message/index.js';
import type { MessageSource } from '../sip/transport/transport.js';
import { parseSdp } from '../sdp/parse.js';
import { answerCrypto, mediaSecurity } from '../sdp/crypto-negotiate.js';
import { SdpCryptoError } from '../sdp/crypto.js';

export type UmSecurity = 'unsecured' | 'sip-secured' | 'secured';
export const UM_SECURITY_MODES: readonly UmSecurity[] = ['unsecured', 'sip-secured', 'secured'];

/** Exchange's ports: the front (UM service 2007/2010, call router 2013+), the UM service behind a call router, the worker. */
export interface UmPorts {
  front: number;
  umService: number;
  worker: number;
}

/** Exchange's default ports for a mode (TCP for unsecured, TLS for the other two). */
export function defaultPorts(security: UmSecurity): UmPorts {
  return security === 'unsecured' ? { front: 5060, umService: 5062, worker: 5065 } : { front: 5061, umService: 5063, worker: 5066 };
}

/** The server's certificate and whom it trusts (PEM texts). */
export interface UmTlsOptions {
  /** The server certificate (chain) and its key, presented to callers. */
  cert: string | Buffer;
  key: string | Buffer;
  /** CAs that sign the gateways' client certificates (default: Node's bundled roots). */
  ca?: string | Buffer;
  /**
   * The gateways' names (Exchange's UM IP gateway addresses, FQDNs): a caller's certificate must carry
   * one in its subject CN or a SAN. Empty or absent: any client certificate the CAs verify.
   */
  peerNames?: readonly string[];
  /** Drop a connection still in its TLS handshake after this long (default 10 s). */
  handshakeTimeoutMs?: number;
}

/**
 * Why a request from this source is refused by the gateway allow-list, or undefined when it is
 * accepted. Only TLS sources are checked (unsecured mode trusts by nothing, as Exchange's TCP did
 * by address, which `serve` leaves open).
 */
export function gatewayRefusal(source: MessageSource, peerNames: readonly string[] | undefined): string | undefined {
  if (source.protocol !== 'tls') return undefined;
  const peer = source.tlsPeer;
  if (!peer || !peer.verified) return 'no verified client certificate';
  if (!peerNames || peerNames.length === 0) return undefined;
  const wanted = peerNames.map((n) => n.toLowerCase());
  if (peer.names.some((n) => wanted.includes(n))) return undefined;
  return `its certificate names ${peer.names.join(', ') || 'nothing'}, not a configured gateway (${wanted.join(', ')})`;
}

/** A Secured-mode refusal: the 488's Warning text and a line for the log. */
export interface OfferRefusal {
  warning: string;
  why: string;
}

/**
 * Secured mode: the INVITE's offer must have an RTP/SAVP audio stream with an a=crypto line we can
 * use (RFC 4568). Undefined when it has; else what to say in the 488's Warning (`399 agent "text"`).
 * An INVITE without an offer is refused too: Secured takes SRTP offers only.
 */
export function securedOfferRefusal(request: SipRequest, agent: string): OfferRefusal | undefined {
  const refuse = (text: string): OfferRefusal => ({ warning: `399 ${agent} "${text.replace(/["\\]/g, "'")}"`, why: text });
  const body = request.body;
  const type = (() => {
    try {
      const t = getContentType(request);
      return t ? `${t.type}/${t.subtype}` : undefined;
    } catch {
      return undefined;
    }
  })();
  if (!body || body.length === 0 || type !== 'application/sdp') return refuse('Secured mode needs an SDP offer with SRTP (RTP/SAVP and a=crypto)');
  let audio;
  try {
    audio = parseSdp(body).media.find((m) => m.type === 'audio' && m.port !== 0);
  } catch (e) {
    return refuse(`unreadable SDP offer: ${(e as Error).message}`);
  }
  if (!audio) return refuse('no audio stream in the offer');
  const kind = mediaSecurity(audio);
  if (kind === 'none') return refuse(`Secured mode requires SRTP: the offer is ${audio.protocol} (plain RTP); offer RTP/SAVP with a=crypto`);
  if (kind === 'dtls-srtp') return refuse(`Secured mode keys SRTP with SDES (a=crypto): ${audio.protocol} (DTLS-SRTP) is not supported`);
  try {
    answerCrypto(audio);
  } catch (e) {
    if (e instanceof SdpCryptoError) return refuse(`no usable a=crypto line: ${e.warning}`);
    throw e;
  }
  return undefined;
}
