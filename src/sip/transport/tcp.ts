/**
 * SIP over TCP (RFC 3261 §18): the stream transport with plain node:net sockets. Connection reuse,
 * framing, idle timeout and the server edge behaviour live in stream-transport.ts.
 */
import net from 'node:net';
import { StreamTransport, type StreamTransportOptions } from './stream-transport.js';

export type TcpTransportOptions = StreamTransportOptions;

export class TcpTransport extends StreamTransport {
  /** Listen on address:port (port 0: any free port) and accept and open TCP connections. */
  static async listen(options: TcpTransportOptions): Promise<TcpTransport> {
    const t = new TcpTransport(
      {
        protocol: 'tcp',
        server: net.createServer(),
        acceptEvent: 'connection',
        connectEvent: 'connect',
        connect: (target, localAddress) => net.connect({ host: target.address, port: target.port, localAddress }),
      },
      options,
    );
    await t.start();
    return t;
  }
}
