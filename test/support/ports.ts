/**
 * Free ports on 127.0.0.1 for tests that start real peers (SIPp, baresip) next to each other.
 *
 * Why not simply bind port 0 and hand the number over: the kernel picks port-0 ports from the ephemeral
 * range (32768-60999 here), the same range it uses for the source port of every outgoing TCP connection
 * and UDP socket, so a number handed out that way is likely to be taken again a moment later by someone
 * else. We instead draw random ports from 20000-32000 (below the ephemeral range), prove each one free
 * by binding it (UDP and/or TCP), release it, and remember in this process which numbers were handed out
 * so two helpers of one test file never get the same one. Vitest workers are separate processes: random
 * draws over 12000 ports make a collision between two workers unlikely, and the bind probe rules out
 * ports already in use.
 */
import * as dgram from 'node:dgram';
import * as net from 'node:net';

const LOW = 20000;
const HIGH = 32000; // exclusive; below /proc/sys/net/ipv4/ip_local_port_range
const HOST = '127.0.0.1';
const handedOut = new Set<number>();

export class NoFreePortError extends Error {
  readonly code = 'NO_FREE_PORT';
  constructor(what: string) {
    super(`No free ${what} found on 127.0.0.1 after 500 attempts.`);
    this.name = 'NoFreePortError';
  }
}

function probeUdp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind({ address: HOST, port, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

function probeTcp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host: HOST, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

type Kind = 'udp' | 'tcp' | 'both';

async function probe(port: number, kind: Kind): Promise<boolean> {
  if (port >= HIGH || handedOut.has(port)) return false;
  if (kind !== 'tcp' && !(await probeUdp(port))) return false;
  if (kind !== 'udp' && !(await probeTcp(port))) return false;
  return true;
}

function randomPort(step: number): number {
  const span = Math.floor((HIGH - LOW) / step);
  return LOW + step * Math.floor(Math.random() * span);
}

/** True when something on this host holds `port` on 127.0.0.1 (a bind probe: no packet is sent). */
export async function isPortBound(port: number, kind: 'udp' | 'tcp'): Promise<boolean> {
  return !(await (kind === 'udp' ? probeUdp(port) : probeTcp(port)));
}

/**
 * `count` consecutive ports starting at a multiple of `align`, each free for `kind`.
 * The numbers are reserved in this process (never handed out twice).
 */
export async function freePortRange(count: number, kind: Kind = 'udp', align = 1): Promise<number> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const base = randomPort(align);
    let ok = true;
    for (let i = 0; i < count && ok; i++) ok = await probe(base + i, kind);
    if (!ok) continue;
    for (let i = 0; i < count; i++) handedOut.add(base + i);
    return base;
  }
  throw new NoFreePortError(`${kind} port range of ${count}`);
}

/** A UDP port free on 127.0.0.1. */
export function freeUdpPort(): Promise<number> {
  return freePortRange(1, 'udp');
}

/** A TCP port free on 127.0.0.1. */
export function freeTcpPort(): Promise<number> {
  return freePortRange(1, 'tcp');
}

/** A port free for both UDP and TCP on 127.0.0.1: what a SIP listener on either transport needs. */
export function freeSipPort(): Promise<number> {
  return freePortRange(1, 'both');
}

/**
 * An even UDP port with port+1 free too: RTP on the even port, RTCP on the next odd one
 * (RFC 3550 §11, RFC 3551 convention).
 */
export function freePortPair(): Promise<number> {
  return freePortRange(2, 'udp', 2);
}
