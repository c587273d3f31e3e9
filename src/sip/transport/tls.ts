/**
 * SIP over TLS (RFC 3261 §26.2, RFC 5630 §3: "sip:" over TLS hop by hop, transport=tls): the stream
 * transport with node:tls sockets. The server presents `cert`/`key`; outgoing connections verify the
 * peer against `ca` (or the system store) and the target's host name (SNI and certificate name check),
 * unless `rejectUnauthorized` is false (self-signed test peers, Exchange labs with private CAs).
 * A handshake that fails is a TransportError to the sender (outgoing) or an onError event (incoming);
 * it never stops the server.
 */
import { isIP } from 'node:net';
import tls from 'node:tls';
import { StreamTransport, type StreamTransportOptions } from './stream-transport.js';

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
  /** Ask incoming clients for a certificate (mutual TLS; default false). */
  requestClientCert?: boolean;
}

export class TlsTransport extends StreamTransport {
  static async listen(options: TlsTransportOptions): Promise<TlsTransport> {
    const rejectUnauthorized = options.rejectUnauthorized ?? true;
    const server = tls.createServer({
      cert: options.cert,
      key: options.key,
      ca: options.ca,
      requestCert: options.requestClientCert ?? false,
      rejectUnauthorized: (options.requestClientCert ?? false) && rejectUnauthorized,
    });
    const t = new TlsTransport(
      {
        protocol: 'tls',
        server,
        acceptEvent: 'secureConnection',
        connectEvent: 'secureConnect',
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
