/**
 * Which of our addresses a peer must see. Via, Contact and the SDP c=/o= lines must carry an address
 * the peer can reach us on, never the wildcard (0.0.0.0, ::) our sockets may be bound to.
 *
 * LocalAddresses is the one place that decides it, for the transports (the local address a message
 * arrived at), the endpoint (Via), the UA (Contact) and the phone (SDP):
 * 1. an advertised address (--advertise: a NAT's public address, a container's host) always wins;
 * 2. sockets bound to one address: that address;
 * 3. bound to a wildcard: the local address the peer's message arrived at (a TCP connection's
 *    localAddress), else the one learned for that peer, else `fallback` (the default route's address).
 *
 * A UDP socket bound to a wildcard does not tell a datagram's destination address (that would take
 * IP_PKTINFO, which node:dgram does not expose). We take instead the address the kernel would send
 * from to reach the sender: the local address of a UDP socket connected to it (no packet is sent). It
 * is the destination address whenever routing is symmetric, which is the case for a host with one
 * address per network; on a host with several addresses in one network it is the one replies leave
 * from, which is what the peer sees anyway.
 */
import * as dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Clock } from '../../util/clock.js';

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

/** True for the addresses that mean "every interface": 0.0.0.0, ::, [::]. */
export function isWildcard(address: string): boolean {
  const a = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (a === '0.0.0.0') return true;
  return isIP(a) === 6 && /^[0:]+$/.test(a);
}

export interface LocalAddressesOptions {
  /** The address the SIP and RTP sockets bind: one of ours, or a wildcard. */
  bind: string;
  /** Written instead of any local address (NAT, containers). */
  advertise?: string;
  /** For a peer we have not heard from, with a wildcard bind: the address routing to the default gateway. */
  fallback?: string;
  clock: Clock;
  /** Which local address routes to a peer (default localAddressFor, the connected UDP probe). */
  route?: (peer: string) => Promise<string>;
  /** How long a learned address is trusted before it is asked again (default 5 minutes). */
  ttlMs?: number;
}

interface Learned {
  address: string | undefined;
  /** While the route is being asked. */
  pending: Promise<string> | undefined;
  at: number;
}

/** Learned peers kept at most; the oldest go first (a gateway has a handful of peers). */
const MAX_PEERS = 1024;

export class LocalAddresses {
  readonly bind: string;
  readonly advertise: string | undefined;
  private readonly fallback: string;
  private readonly learned = new Map<string, Learned>();
  private readonly route: (peer: string) => Promise<string>;
  private readonly ttlMs: number;

  constructor(private readonly options: LocalAddressesOptions) {
    this.bind = options.bind;
    this.advertise = options.advertise;
    this.fallback = options.fallback ?? (isIP(options.bind) === 6 ? '::1' : '127.0.0.1');
    this.route = options.route ?? localAddressFor;
    this.ttlMs = options.ttlMs ?? 300_000;
  }

  /** True when different peers may see different addresses of ours (a wildcard bind, nothing advertised). */
  get perPeer(): boolean {
    return this.advertise === undefined && isWildcard(this.bind);
  }

  /**
   * The address to write for `peer` (an IP; undefined when not known yet), given the local address
   * its message arrived at when there is one (the rules in the file comment).
   */
  forPeer(peer?: string, arrivedAt?: string): string {
    if (this.advertise !== undefined) return this.advertise;
    if (!isWildcard(this.bind)) return this.bind;
    if (arrivedAt !== undefined && !isWildcard(arrivedAt)) return arrivedAt;
    const known = peer !== undefined ? this.fresh(peer) : undefined;
    return known?.address ?? this.fallback;
  }

  /** Remember the local address a message from `peer` arrived at (a TCP connection's localAddress). */
  note(peer: string, local: string): void {
    if (isWildcard(local) || !isWildcard(this.bind)) return;
    this.store(peer, { address: local, pending: undefined, at: this.options.clock.now() });
  }

  /**
   * The local address a datagram from `peer` arrived at, on a socket bound to a wildcard: at once when
   * known, else a promise of the route (messages from one peer wait on the same promise, so they keep
   * their order). Never rejects: without a route it is the fallback.
   */
  arrivedFrom(peer: string): string | Promise<string> {
    if (!isWildcard(this.bind)) return this.bind;
    const known = this.fresh(peer);
    if (known?.address !== undefined) return known.address;
    if (known?.pending) return known.pending;
    const entry: Learned = { address: undefined, pending: undefined, at: this.options.clock.now() };
    entry.pending = this.route(peer).then(
      (address) => {
        entry.address = address;
        entry.pending = undefined;
        return address;
      },
      () => {
        this.learned.delete(peer);
        return this.fallback;
      },
    );
    this.store(peer, entry);
    return entry.pending;
  }

  private fresh(peer: string): Learned | undefined {
    const e = this.learned.get(peer);
    if (e && e.pending === undefined && this.options.clock.now() - e.at > this.ttlMs) {
      this.learned.delete(peer);
      return undefined;
    }
    return e;
  }

  private store(peer: string, entry: Learned): void {
    this.learned.delete(peer);
    this.learned.set(peer, entry);
    if (this.learned.size > MAX_PEERS) this.learned.delete(this.learned.keys().next().value!);
  }
}
