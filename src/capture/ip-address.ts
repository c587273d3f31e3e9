/**
 * Text IP addresses as the sockets report them, turned into the 4 or 16 bytes an IP header carries.
 * node:net's parsers are off limits here (sockets live in the transports), and the job is small:
 * dotted quads, RFC 4291 §2.2 text forms ("::" compression, an embedded IPv4 tail, a "%zone" suffix we
 * drop). An IPv4-mapped IPv6 address ("::ffff:1.2.3.4", what a dual-stack socket reports for an IPv4
 * peer) is written as plain IPv4, so both ends of a flow are of the same family.
 */

export interface IpAddress {
  family: 4 | 6;
  bytes: Buffer;
  /** The text it came from, for error messages. */
  text: string;
}

export class IpAddressError extends Error {
  constructor(text: string) {
    super(`"${text}" is not an IPv4 or IPv6 address`);
    this.name = 'IpAddressError';
  }
}

function parseIpv4(text: string): Buffer | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = Buffer.alloc(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    out[i] = Number(p);
  }
  return out;
}

function parseGroups(text: string): number[] | undefined {
  if (text === '') return [];
  const groups: number[] = [];
  const parts = text.split(':');
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (i === parts.length - 1 && p.includes('.')) {
      const v4 = parseIpv4(p);
      if (!v4) return undefined;
      groups.push(v4.readUInt16BE(0), v4.readUInt16BE(2));
    } else if (/^[0-9a-f]{1,4}$/i.test(p)) {
      groups.push(parseInt(p, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}

function parseIpv6(text: string): Buffer | undefined {
  const bare = text.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const halves = bare.split('::');
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0]!);
  const tail = halves.length === 2 ? parseGroups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, 2 * i));
  return out;
}

/** Parses an address; throws IpAddressError when it is neither family. */
export function parseIpAddress(text: string): IpAddress {
  const v4 = parseIpv4(text);
  if (v4) return { family: 4, bytes: v4, text };
  const v6 = parseIpv6(text);
  if (!v6) throw new IpAddressError(text);
  const mapped = v6.subarray(0, 10).every((b) => b === 0) && v6.readUInt16BE(10) === 0xffff;
  if (mapped) return { family: 4, bytes: Buffer.from(v6.subarray(12)), text };
  return { family: 6, bytes: v6, text };
}
