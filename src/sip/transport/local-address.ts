/**
 * Which local address the system would use to reach a host: Via, Contact and the SDP c= line must
 * carry an address the peer can reach us on, not the 0.0.0.0 we bind to. A connected UDP socket asks
 * the kernel's routing table without sending anything.
 */
import * as dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** Resolve a host name to an address (IP literals are returned as they are). */
export async function resolveHost(host: string): Promise<string> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIP(bare)) return bare;
  const r = await lookup(bare);
  return r.address;
}

/** The local address the kernel routes to `remote` from (127.0.0.1 for loopback targets). */
export async function localAddressFor(remote: string): Promise<string> {
  const address = await resolveHost(remote);
  const family = isIP(address) === 6 ? 'udp6' : 'udp4';
  const socket = dgram.createSocket(family);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(9, address, () => resolve());
    });
    return socket.address().address;
  } finally {
    socket.close();
  }
}
