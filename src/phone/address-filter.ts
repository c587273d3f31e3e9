/**
 * An allow list of source addresses: single addresses and CIDR blocks (RFC 4632 for IPv4, RFC 4291
 * §2.3 prefixes for IPv6), e.g. `10.0.0.5,10.0.0.0/24,fd00::/8`. An IPv4-mapped IPv6 source
 * (`::ffff:10.0.0.5`, what a dual-stack socket reports) is matched as the IPv4 address it carries.
 */
import { UmphoneError } from '../util/errors.js';

/** An allow list that cannot be read. */
export class AddressFilterError extends UmphoneError {
  declare readonly code: 'ADDRESS_FILTER';
  constructor(message: string) {
    super(message, 'ADDRESS_FILTER');
  }
}

interface Block {
  family: 4 | 6;
  /** The address as a 32- or 128-bit number. */
  bits: bigint;
  prefix: number;
  text: string;
}

/** IPv4 dotted quad → 32-bit number, or undefined. */
function parseIpv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = (n << 8n) | BigInt(Number(p));
  }
  return n;
}

/** IPv6 text (with ::, an embedded IPv4 tail, brackets, a %zone) → 128-bit number, or undefined. */
function parseIpv6(input: string): bigint | undefined {
  let s = input.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const groups: number[] = [];
  // An embedded IPv4 tail (::ffff:1.2.3.4, RFC 4291 §2.2 form 3) becomes its two 16-bit groups.
  const tail4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (tail4) {
    const v4 = parseIpv4(tail4[1]!);
    if (v4 === undefined) return undefined;
    s = `${s.slice(0, -tail4[1]!.length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const read = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = read(halves[0]!);
  const rest = halves.length === 2 ? read(halves[1]!) : [];
  if (!head || !rest) return undefined;
  const total = head.length + rest.length;
  if (halves.length === 1 && total !== 8) return undefined;
  if (halves.length === 2 && total > 7) return undefined;
  groups.push(...head, ...new Array<number>(8 - total).fill(0), ...rest);
  let n = 0n;
  for (const g of groups) n = (n << 16n) | BigInt(g);
  return n;
}

function parseAddress(s: string): { family: 4 | 6; bits: bigint } | undefined {
  const v4 = parseIpv4(s);
  if (v4 !== undefined) return { family: 4, bits: v4 };
  const v6 = s.includes(':') ? parseIpv6(s) : undefined;
  if (v6 === undefined) return undefined;
  // ::ffff:a.b.c.d (RFC 4291 §2.5.5.2) is an IPv4 peer on a dual-stack socket.
  if (v6 >> 32n === 0xffffn) return { family: 4, bits: v6 & 0xffffffffn };
  return { family: 6, bits: v6 };
}

export class AddressFilter {
  private readonly blocks: Block[];

  /** From entries like "10.0.0.5", "10.0.0.0/24", "fd00::/8"; throws AddressFilterError on a bad one. */
  constructor(entries: string[]) {
    this.blocks = entries.map((e) => e.trim()).filter((e) => e !== '').map((entry) => {
      const [addr, len, more] = entry.split('/');
      const a = more === undefined ? parseAddress(addr!) : undefined;
      if (!a) throw new AddressFilterError(`"${entry}" is not an IP address or CIDR block (e.g. 10.0.0.0/24, fd00::/8)`);
      const max = a.family === 4 ? 32 : 128;
      const prefix = len === undefined ? max : /^\d{1,3}$/.test(len) ? Number(len) : NaN;
      if (!(prefix >= 0 && prefix <= max)) throw new AddressFilterError(`"${entry}": the prefix length must be 0-${max}`);
      return { family: a.family, bits: a.bits, prefix, text: entry };
    });
  }

  /** Parse a comma-separated list (the --allow option). */
  static parse(list: string): AddressFilter {
    return new AddressFilter(list.split(','));
  }

  get empty(): boolean {
    return this.blocks.length === 0;
  }

  /** True when `address` falls in one of the blocks (an empty filter allows everything). */
  allows(address: string): boolean {
    if (this.blocks.length === 0) return true;
    const a = parseAddress(address);
    if (!a) return false;
    const width = a.family === 4 ? 32n : 128n;
    return this.blocks.some((b) => {
      if (b.family !== a.family) return false;
      const shift = width - BigInt(b.prefix);
      return a.bits >> shift === b.bits >> shift;
    });
  }

  toString(): string {
    return this.blocks.map((b) => b.text).join(',');
  }
}
