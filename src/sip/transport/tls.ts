/**
 * SIP over TLS (RFC 3261 §26.2, RFC 5630 §3: "sip:" over TLS hop by hop, transport=tls): the stream
 * transport with node:tls sockets. The server presents `cert`/`key`; outgoing connections verify the
 * peer against `ca` (or the system store) and the target's host name (SNI and certificate name check),
 * unless `rejectUnauthorized` is false (self-signed test peers, Exchange labs with private CAs).
 * A handshake that fails is a TransportError to the sender (outgoing) or an onError event (incoming);
 * it never stops the server. An incoming connection that has not finished its handshake after
 * `handshakeTimeoutMs` (injected clock) is dropped, so a stalled peer cannot hold sockets for long.
 * TLS 1.2 is the floor on both sides (RFC 8446 and RFC 7525; Exchange 2013+ and Teams need 1.2 too).
 */
import { isIP } from 'node:net';
import tls from 'node:tls';
import { StreamTransport, type StreamTransportOptions } from './stream-transport.js';
import type { TlsPeer } from './transport.js';

/** How long an incoming connection may take to finish its TLS handshake (default). */
export const DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

export interface TlsTransportOptions extends StreamTransportOptions {
  /**
   * PEM certificate chain and private key the server side presents (and the client side, for mutual
   * TLS). Without them the transport is for outgoing connections only: incoming handshakes fail.
   */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** PEM CA certificates trusted for peers (default: Node's bundled roots). */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Verify peers' certificates (default true). */
  rejectUnauthorized?: boolean;
  /**
   * Ask incoming clients for a certificate (mutual TLS; default false). With rejectUnauthorized (the
   * default) a client without a certificate signed by `ca` fails the handshake.
   */
  requestClientCert?: boolean;
  /** Drop an incoming connection still in its handshake after this long (default 10 s). */
  handshakeTimeoutMs?: number;
}

export class TlsTransport extends StreamTransport {
  static async listen(options: TlsTransportOptions): Promise<TlsTransport> {
    const rejectUnauthorized = options.rejectUnauthorized ?? true;
    const server = tls.createServer({
      cert: options.cert,
      key: options.key,
      ca: options.ca,
      minVersion: 'TLSv1.2',
      requestCert: options.requestClientCert ?? false,
      rejectUnauthorized: (options.requestClientCert ?? false) && rejectUnauthorized,
      // Our own deadline (handshakeTimeoutMs, on the injected clock) is the one that counts.
      handshakeTimeout: 0x7fffffff,
    });
    const t = new TlsTransport(
      {
        protocol: 'tls',
        server,
        acceptEvent: 'secureConnection',
        connectEvent: 'secureConnect',
        handshakeTimeoutMs: options.handshakeTimeoutMs ?? DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS,
        peerOf: (socket) => peerOf(socket as tls.TLSSocket),
        describeHandshakeError,
        unacceptedReason: options.requestClientCert && rejectUnauthorized
          ? 'its client certificate does not verify against --tls-ca, or the peer left during the handshake'
          : 'the peer left during the handshake',
        connect: (target, localAddress) => {
          // tls.connect hands socket options such as localAddress on to net.connect (Node docs,
          // tls.connect: "any socket.connect() option"); @types/node does not list them.
          const connectOptions: tls.ConnectionOptions & { localAddress?: string } = {
            host: target.address,
            port: target.port,
            localAddress,
            // SNI takes a host name only (RFC 6066 §3), never an IP literal.
            servername: isIP(target.address) ? undefined : target.address,
            cert: options.cert,
            key: options.key,
            ca: options.ca,
            rejectUnauthorized,
            minVersion: 'TLSv1.2',
          };
          return tls.connect(connectOptions);
        },
      },
      options,
    );
    await t.start();
    return t;
  }
}

/** The names of an accepted peer's certificate (none presented: undefined). */
function peerOf(socket: tls.TLSSocket): TlsPeer | undefined {
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return undefined;
  return { names: certificateNames(cert), verified: socket.authorized };
}

/**
 * A certificate's names for trust by name: the subject CN, then subjectAltName's DNS and IP entries,
 * lower case. Exchange matches a gateway's FQDN against either (subject or SAN).
 */
export function certificateNames(cert: Pick<tls.PeerCertificate, 'subject' | 'subjectaltname'>): string[] {
  const names: string[] = [];
  const cn = cert.subject?.CN as string | string[] | undefined;
  for (const n of Array.isArray(cn) ? cn : cn ? [cn] : []) names.push(n);
  for (const entry of (cert.subjectaltname ?? '').split(/,\s*/)) {
    const m = /^(DNS|IP Address):(.+)$/.exec(entry.trim());
    if (m) names.push(m[2]!);
  }
  return [...new Set(names.map((n) => n.toLowerCase()))];
}

/** What a failed incoming handshake most likely was, in words (OpenSSL's reasons are cryptic). */
function describeHandshakeError(e: Error): string {
  const code = (e as { code?: string }).code ?? '';
  const reason = (e as { reason?: string }).reason ?? e.message;
  if (code === 'ECONNRESET') return 'the peer reset the connection';
  if (/HTTP_REQUEST|WRONG_VERSION_NUMBER|UNKNOWN_PROTOCOL|PACKET_LENGTH_TOO_LONG|RECORD_LAYER_FAILURE/.test(code)) {
    return `not TLS (plain SIP or garbage on the TLS port: ${reason})`;
  }
  if (/PEER_DID_NOT_RETURN_A_CERTIFICATE|CERTIFICATE_REQUIRED/.test(code)) return 'the client sent no certificate (mutual TLS requires one)';
  if (/CERTIFICATE_VERIFY_FAILED/.test(code)) return `the client certificate does not verify against --tls-ca (${reason})`;
  return reason;
}
