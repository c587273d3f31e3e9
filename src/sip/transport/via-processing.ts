/**
 * The transport layer's Via rules:
 * - RFC 3261 §18.2.1 + RFC 3581 §4 (server, on receipt of a request): add `received` when the sent-by
 *   host differs from the packet's source address; when the request carries a valueless `rport`, fill
 *   it with the source port and always add `received`.
 * - RFC 3261 §18.2.2 + RFC 3581 §4 (server, sending a response): where the response goes.
 * - RFC 3261 §18.1.2 (client, on receipt of a response): does the top Via name us?
 */
import { parseVia, formatVia, type Via } from '../message/index.js';
import { splitHeaderValues } from '../message/index.js';
import type { SipRequest } from '../message/index.js';
import type { HostPort, MessageSource, RemoteTarget, TransportProtocol } from './transport.js';

/** An IPv4-mapped IPv6 source ('::ffff:192.0.2.1') is the IPv4 address; brackets are dropped. */
export function normalizeAddress(address: string): string {
  const a = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  return a.toLowerCase().startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

/**
 * Stamp received/rport on the top Via of a received request, in place. A top Via that does not parse
 * is left alone (the server edge answers 400 for it later). Returns the parsed, stamped top Via.
 */
export function stampReceived(req: SipRequest, source: HostPort): Via | undefined {
  const fields = req.headers.fields;
  const i = fields.findIndex((f) => f.name.toLowerCase() === 'via' || f.name.toLowerCase() === 'v');
  if (i < 0) return undefined;
  const values = splitHeaderValues(fields[i]!.value);
  let via: Via;
  try {
    via = parseVia(values[0]!);
  } catch {
    return undefined;
  }
  const src = normalizeAddress(source.address);
  const rportRequested = via.params.has('rport');
  if (rportRequested) {
    // RFC 3581 §4: "the server MUST insert a received parameter containing the source IP address that
    // the request came from, even if it is identical to the value of the "sent-by" component", and
    // "MUST set the value of the rport parameter to the source port of the request."
    via.params.set('received', src);
    via.params.set('rport', String(source.port));
  } else if (normalizeAddress(via.host) !== src) {
    // §18.2.1: "If the host portion of the "sent-by" parameter contains a domain name, or if it
    // contains an IP address that differs from the packet source address, the server MUST add a
    // "received" parameter to that Via header field value."
    via.params.set('received', src);
  } else {
    return via;
  }
  fields[i] = { name: fields[i]!.name, value: [formatVia(via), ...values.slice(1)].join(', ') };
  return via;
}

export interface ResponseRoutingOptions {
  /**
   * Answer UDP requests at their source port even without rport (like Kamailio's force_rport):
   * symmetric signalling through NATs and for clients whose Via port is wrong. Off by default: the
   * RFC sends to the sent-by port.
   */
  forceRport?: boolean;
}

const DEFAULT_PORT: Record<TransportProtocol, number> = { udp: 5060, tcp: 5060, tls: 5061 };

/**
 * §18.2.2 Sending Responses: where a response to a request with this top Via goes.
 * Reliable: back on the connection the request came in on (connectionId); if that connection is gone,
 * to `received` (or the sent-by host) and the sent-by port. Unreliable: maddr if present; else
 * received with the rport value (RFC 3581 §4) or the sent-by port; else the sent-by itself.
 */
export function responseTarget(via: Via, source: MessageSource, options: ResponseRoutingOptions = {}): RemoteTarget {
  const sentByPort = via.port ?? DEFAULT_PORT[source.protocol];
  const received = via.params.get('received') ?? undefined;
  if (source.protocol !== 'udp') {
    const target: RemoteTarget = { address: received ?? normalizeAddress(via.host), port: sentByPort };
    if (source.connectionId !== undefined) {
      target.connectionId = source.connectionId;
      // The open connection is the real destination; the address is the fallback of §18.2.2.
      target.address = source.address;
      target.port = source.port;
      target.fallback = { address: received ?? normalizeAddress(via.host), port: sentByPort };
    }
    return target;
  }
  const maddr = via.params.get('maddr');
  if (maddr) return { address: normalizeAddress(maddr), port: sentByPort };
  const rport = via.params.get('rport');
  if (received !== undefined) {
    const port = rport ? Number(rport) : options.forceRport ? source.port : sentByPort;
    return { address: received, port };
  }
  if (options.forceRport) return { address: normalizeAddress(source.address), port: source.port };
  return { address: normalizeAddress(via.host), port: sentByPort };
}

/**
 * §18.1.2: "If the value of the sent-by parameter in that header field value does not correspond to
 * a value that the client transport is configured to insert into requests, the response MUST be
 * silently discarded." A wildcard-bound transport (0.0.0.0, ::) matches any host on its port.
 */
export function viaNamesUs(via: Via, locals: readonly HostPort[], advertised: readonly string[] = []): boolean {
  const host = normalizeAddress(via.host).toLowerCase();
  const port = via.port;
  return locals.some((l) => {
    const local = normalizeAddress(l.address).toLowerCase();
    const hostOk = local === '0.0.0.0' || local === '::' || local === host || advertised.some((a) => normalizeAddress(a).toLowerCase() === host);
    return hostOk && (port === undefined ? l.port === 5060 || l.port === 5061 : port === l.port);
  });
}
