/**
 * SDP parser (RFC 8866 §5, §9 grammar), liberal in what it accepts from real servers: bare LF line
 * endings, a missing final line end, trailing white space, blank lines, a missing s= or t=. What it
 * cannot make sense of raises SdpParseError with the 1-based line number.
 */
import { SdpParseError } from './errors.js';
import type {
  SdpAttribute,
  SdpBandwidth,
  SdpConnection,
  SdpMedia,
  SdpOrigin,
  SessionDescription,
} from './types.js';

const LINE = /^([a-zA-Z])\s*=(.*)$/;

export function parseSdp(input: string | Buffer): SessionDescription {
  const text = typeof input === 'string' ? input : input.toString('utf8');
  const lines = text.split(/\r\n|\r|\n/);
  const sd: SessionDescription = {
    version: 0,
    origin: { username: '-', sessionId: '0', sessionVersion: '0', netType: 'IN', addrType: 'IP4', address: '0.0.0.0' },
    sessionName: '-',
    emails: [],
    phones: [],
    bandwidths: [],
    timings: [],
    attributes: [],
    otherLines: [],
    media: [],
  };
  let media: SdpMedia | undefined;
  let sawVersion = false;
  let sawOrigin = false;

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i]!.replace(/[ \t]+$/, '');
    if (raw === '') continue;
    const m = LINE.exec(raw);
    if (!m) throw new SdpParseError(`expected "<type>=<value>", got "${truncate(raw)}"`, lineNo);
    const type = m[1]!.toLowerCase();
    const value = m[2]!;
    if (!sawVersion) {
      // §5.1: the description starts with v=0.
      if (type !== 'v') throw new SdpParseError(`a session description starts with v=, got "${truncate(raw)}"`, lineNo);
      if (value.trim() !== '0') throw new SdpParseError(`unsupported SDP version "${value}", expected 0`, lineNo);
      sawVersion = true;
      continue;
    }
    switch (type) {
      case 'v':
        throw new SdpParseError('a second v= line', lineNo);
      case 'o':
        if (media) throw new SdpParseError('o= after the first m= line', lineNo);
        sd.origin = parseOrigin(value, lineNo);
        sawOrigin = true;
        break;
      case 's':
        if (media) throw new SdpParseError('s= after the first m= line', lineNo);
        sd.sessionName = value;
        break;
      case 'i':
        if (media) media.information = value;
        else sd.information = value;
        break;
      case 'u':
        sd.uri = value;
        break;
      case 'e':
        sd.emails.push(value);
        break;
      case 'p':
        sd.phones.push(value);
        break;
      case 'c': {
        const c = parseConnection(value, lineNo);
        if (media) media.connections.push(c);
        else sd.connection = c;
        break;
      }
      case 'b': {
        const b = parseBandwidth(value, lineNo);
        (media ? media.bandwidths : sd.bandwidths).push(b);
        break;
      }
      case 't': {
        const f = value.trim().split(/\s+/);
        if (f.length !== 2) throw new SdpParseError(`t= needs "<start> <stop>", got "${value}"`, lineNo);
        sd.timings.push({ start: f[0]!, stop: f[1]!, repeats: [] });
        break;
      }
      case 'r': {
        const t = sd.timings[sd.timings.length - 1];
        if (!t || media) throw new SdpParseError('r= must follow a t= line', lineNo);
        t.repeats.push(value);
        break;
      }
      case 'z':
        sd.timeZones = value;
        break;
      case 'k':
        if (media) media.key = value;
        else sd.key = value;
        break;
      case 'a': {
        const a = parseAttribute(value);
        (media ? media.attributes : sd.attributes).push(a);
        break;
      }
      case 'm':
        media = parseMediaLine(value, lineNo);
        sd.media.push(media);
        break;
      default:
        (media ? media.otherLines : sd.otherLines).push({ type, value });
    }
  }
  if (!sawVersion) throw new SdpParseError('empty session description', 1);
  if (!sawOrigin) throw new SdpParseError('no o= line in the session description', 2);
  // RFC 8866 §5.9 requires t=; some gateways omit it: behave as if t=0 0 had been sent.
  if (sd.timings.length === 0) sd.timings.push({ start: '0', stop: '0', repeats: [] });
  return sd;
}

function parseOrigin(value: string, lineNo: number): SdpOrigin {
  const f = value.trim().split(/\s+/);
  if (f.length !== 6) {
    throw new SdpParseError(
      `o= needs "<username> <sess-id> <sess-version> <nettype> <addrtype> <address>", got "${value}"`,
      lineNo,
    );
  }
  return { username: f[0]!, sessionId: f[1]!, sessionVersion: f[2]!, netType: f[3]!, addrType: f[4]!, address: f[5]! };
}

/** §5.7: c=<nettype> <addrtype> <connection-address>, the address possibly with /ttl and /count. */
export function parseConnection(value: string, lineNo: number): SdpConnection {
  const f = value.trim().split(/\s+/);
  if (f.length !== 3) throw new SdpParseError(`c= needs "<nettype> <addrtype> <address>", got "${value}"`, lineNo);
  const addrType = f[1]!.toUpperCase();
  const [address, ...rest] = f[2]!.split('/');
  const c: SdpConnection = { netType: f[0]!, addrType, address: address! };
  const nums = rest.map((r) => {
    if (!/^\d+$/.test(r)) throw new SdpParseError(`bad multicast suffix "/${r}" in c=`, lineNo);
    return Number(r);
  });
  // IP4 multicast: /ttl[/count]; IP6 has no TTL, only /count (§5.7).
  if (addrType === 'IP6') {
    if (nums.length > 1) throw new SdpParseError(`too many "/" parts in c= "${value}"`, lineNo);
    if (nums.length === 1) c.count = nums[0]!;
  } else {
    if (nums.length > 2) throw new SdpParseError(`too many "/" parts in c= "${value}"`, lineNo);
    if (nums.length >= 1) c.ttl = nums[0]!;
    if (nums.length === 2) c.count = nums[1]!;
  }
  return c;
}

function parseBandwidth(value: string, lineNo: number): SdpBandwidth {
  const m = /^\s*([\w.-]+)\s*:\s*(\d+)\s*$/.exec(value);
  if (!m) throw new SdpParseError(`b= needs "<bwtype>:<bandwidth>", got "${value}"`, lineNo);
  return { type: m[1]!, value: Number(m[2]) };
}

/** §5.13: a=<attribute-name> or a=<attribute-name>:<attribute-value>. */
export function parseAttribute(value: string): SdpAttribute {
  const colon = value.indexOf(':');
  if (colon < 0) return { name: value.trim() };
  return { name: value.slice(0, colon).trim(), value: value.slice(colon + 1) };
}

/** §5.14: m=<media> <port>[/<number of ports>] <proto> <fmt> ... */
function parseMediaLine(value: string, lineNo: number): SdpMedia {
  const f = value.trim().split(/\s+/);
  if (f.length < 3) throw new SdpParseError(`m= needs "<media> <port> <proto> <fmt> ...", got "${value}"`, lineNo);
  const pm = /^(\d+)(?:\/(\d+))?$/.exec(f[1]!);
  if (!pm || Number(pm[1]) > 65535) throw new SdpParseError(`bad port "${f[1]}" in m=`, lineNo);
  const media: SdpMedia = {
    type: f[0]!,
    port: Number(pm[1]),
    protocol: f[2]!,
    formats: f.slice(3),
    connections: [],
    bandwidths: [],
    attributes: [],
    otherLines: [],
  };
  if (pm[2] !== undefined) media.portCount = Number(pm[2]);
  return media;
}

function truncate(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
