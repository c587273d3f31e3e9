import { describe, expect, it } from 'vitest';
import {
  Headers, Params, SipParseError, formatDiversion, formatHistoryInfo, formatNameAddr, formatVia, getCSeq,
  getContacts, getDiversions, getFrom, getHistoryInfo, getMaxForwards, getSessionExpires, getTo, getTopVia,
  getVias, getWwwAuthenticate, getRecordRoutes as M_getRecordRoutes, parseMessage, parseNameAddr, parseUri, parseVia, splitHeaderValues, formatAuth,
  type Contact,
} from '../../../../src/sip/message/index.js';

const h = (lines: Array<[string, string]>) => new Headers(lines.map(([name, value]) => ({ name, value })));

function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SipParseError);
    return (e as SipParseError).reason;
  }
  return 'no error';
}

describe('splitHeaderValues', () => {
  it.each([
    ['a, b,c', ['a', 'b', 'c']],
    ['"Doe, John" <sip:j@x>, <sip:k@y>', ['"Doe, John" <sip:j@x>', '<sip:k@y>']],
    ['<sip:a@b;x=1,2>;p=1, <sip:c@d>', ['<sip:a@b;x=1,2>;p=1', '<sip:c@d>']],
    ['"a \\" , b" <sip:x@y>, z', ['"a \\" , b" <sip:x@y>', 'z']],
    ['a,,b', ['a', '', 'b']],
    ['', ['']],
  ])('%j', (value, parts) => {
    expect(splitHeaderValues(value)).toEqual(parts);
  });
});

describe('compact forms and folding', () => {
  it('reads compact and long names alike, folding joined with one SP', () => {
    const m = parseMessage(Buffer.from(
      'OPTIONS sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK1\r\ni: x@y\r\nf: <sip:a@b>;tag=1\r\nt:\r\n <sip:c@d>\r\nCSEQ: 1\r\n\tOPTIONS\r\nl: 0\r\n\r\n',
      'latin1',
    ));
    expect(m.headers.get('Call-ID')).toBe('x@y');
    expect(getTo(m).uri.user).toBe('c');
    expect(getCSeq(m)).toEqual({ seq: 1, method: 'OPTIONS' });
    expect(getTopVia(m)!.params.get('branch')).toBe('z9hG4bK1');
    expect(m.headers.fields.map((f) => f.name)).toEqual(['v', 'i', 'f', 't', 'CSEQ', 'l']);
  });
});

describe('Via', () => {
  it('parses transport, host, port and params, with LWS around separators', () => {
    const v = parseVia('SIP / 2.0 / udp  pc33.atlanta.com : 5066 ;branch=z9hG4bK776asdhds ;received=192.0.2.1;rport=5060;maddr=224.2.0.1;ttl=16');
    expect(v).toMatchObject({ protocol: 'SIP/2.0', transport: 'UDP', host: 'pc33.atlanta.com', port: 5066 });
    expect(v.params.get('rport')).toBe('5060');
    expect(v.params.get('ttl')).toBe('16');
    expect(formatVia(v)).toBe('SIP/2.0/UDP pc33.atlanta.com:5066;branch=z9hG4bK776asdhds;received=192.0.2.1;rport=5060;maddr=224.2.0.1;ttl=16');
  });
  it('keeps a valueless rport and IPv6 sent-by', () => {
    const v = parseVia('SIP/2.0/TCP [2001:db8::1]:5060;rport;branch=z9hG4bKx');
    expect(v.params.get('rport')).toBeNull();
    expect([v.host, v.port]).toEqual(['[2001:db8::1]', 5060]);
  });
  it.each([
    ['SIP/2.0 host', "Via sent-protocol must be 'SIP/2.0/transport'"],
    ['SIP/2.0/UDP', 'Via has no sent-by'],
    ['SIP/2.0/UDP h;;', 'Empty parameter in Via'],
    ['SIP/2.0/UDP h;ttl=300', 'Via ttl is larger than 255'],
    ['SIP/2.0/UDP h:70000', 'Via port is larger than 65535'],
    ['SIP/2.0/UDP h;branch', 'Via branch parameter has no value'],
  ])('rejects %s', (value, reason) => {
    expect(reasonOf(() => parseVia(value))).toBe(reason);
  });
  it('splits several Via values and lines in order', () => {
    const hs = h([['Via', 'SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/TCP b;branch=z9hG4bK2'], ['v', 'SIP/2.0/TLS c;branch=z9hG4bK3']]);
    expect(getVias(hs).map((v) => v.host)).toEqual(['a', 'b', 'c']);
    expect(reasonOf(() => getVias(h([['Via', 'SIP/2.0/UDP a;branch=z9hG4bK1,,']])))).toBe('Empty value in Via header');
  });
});

describe('name-addr', () => {
  it.each([
    ['"A. G. Bell" <sip:agb@bell-telephone.com> ;tag=a48s', 'A. G. Bell', 'agb', 'a48s'],
    ['Anonymous <sip:c8oqz84zk7z@privacy.org>;tag=hyh8', 'Anonymous', 'c8oqz84zk7z', 'hyh8'],
    ['sip:+12125551212@server.phone2net.com;tag=887s', undefined, '+12125551212', '887s'],
    ['<sip:a@b>', undefined, 'a', undefined],
    ['"\\"quoted\\" \\\\ name" <sip:a@b>', '"quoted" \\ name', 'a', undefined],
  ])('%s', (value, dn, user, tag) => {
    const n = parseNameAddr(value);
    expect(n.displayName).toBe(dn);
    expect(n.uri.user).toBe(user);
    expect(n.params.get('tag') ?? undefined).toBe(tag);
  });
  it('addr-spec params belong to the header, name-addr params inside <> to the URI', () => {
    expect(parseNameAddr('sip:a@b;foo').params.get('foo')).toBeNull();
    expect(parseNameAddr('<sip:a@b;foo>').uri.params.get('foo')).toBeNull();
  });
  it('formats with quotes and <>', () => {
    const n = parseNameAddr('Bob <sip:bob@biloxi.com;transport=tcp>;tag=x;expires=60');
    expect(formatNameAddr(n)).toBe('"Bob" <sip:bob@biloxi.com;transport=tcp>;tag=x;expires=60');
    expect(formatNameAddr({ displayName: 'Say "hi"', uri: parseUri('sip:a@b'), params: new Params().set('tag', 'q') })).toBe('"Say \\"hi\\"" <sip:a@b>;tag=q');
  });
  it.each([
    ['"unterminated <sip:a@b>', 'Unterminated quoted string in address display name'],
    ['Bell, Alexander <sip:a@b>', 'Invalid display name or address in address'],
    ['<sip:a@b', "Missing '>' in address"],
    ['sip:a@b?x=y', 'URI with headers must be enclosed in <> in address'],
    ['"x" sip:a@b', "Expected '<' after the display name in address"],
  ])('rejects %s', (value, reason) => {
    expect(reasonOf(() => parseNameAddr(value))).toBe(reason);
  });
});

describe('typed getters', () => {
  it('Contact: wildcard, q and expires', () => {
    expect(getContacts(h([['Contact', '*']]))).toBe('*');
    const cs = getContacts(h([['m', '<sip:a@b>;q=0.7;expires=3600, "X" <sip:c@d>;q=1']])) as Contact[];
    expect(cs.map((c) => [c.q, c.expires])).toEqual([[0.7, 3600], [1, undefined]]);
    expect(reasonOf(() => getContacts(h([['Contact', '<sip:a@b>;q=2']])))).toBe('Invalid q value');
  });
  it('Max-Forwards and CSeq bounds', () => {
    expect(getMaxForwards(h([['Max-Forwards', '0070']]))).toBe(70);
    expect(reasonOf(() => getMaxForwards(h([['Max-Forwards', '300']])))).toBe('Max-Forwards is larger than 255');
    expect(reasonOf(() => getCSeq(h([['CSeq', '4294967296 INVITE']])))).toBe('CSeq number is larger than 4294967295');
    expect(reasonOf(() => getCSeq(h([['CSeq', '1']])))).toBe('CSeq must be a number and a method');
    expect(reasonOf(() => getFrom(h([])))).toBe('Missing From header');
  });
  it('Session-Expires', () => {
    expect(getSessionExpires(h([['x', '1800;refresher=uac']]))).toMatchObject({ delta: 1800, refresher: 'uac' });
  });
  it('WWW-Authenticate challenges (folded Digest, several schemes on a line)', () => {
    const [d, b] = getWwwAuthenticate(h([['WWW-Authenticate', 'Digest realm="atlanta.com", domain="sip:ss1.carrier.com", qop="auth,auth-int", nonce="f84f1cec41e6cbe5aea9c8e88d359", opaque="", stale=FALSE, algorithm=MD5, Basic realm="x"']]));
    expect(d).toMatchObject({ scheme: 'Digest', realm: 'atlanta.com', qop: ['auth', 'auth-int'], opaque: '', stale: false, algorithm: 'MD5' });
    expect(b).toMatchObject({ scheme: 'Basic', realm: 'x' });
    expect(formatAuth('Digest', [['username', 'bob'], ['qop', 'auth'], ['nc', '00000001'], ['response', 'abc']])).toBe('Digest username="bob", qop=auth, nc=00000001, response="abc"');
  });
});

describe('Diversion (RFC 5806) and History-Info (RFC 4244)', () => {
  it('reads Diversion entries top first with their params', () => {
    const ds = getDiversions(h([['Diversion', '<sip:2000@pbx.example.com>;reason=no-answer;counter=1;privacy=off;screen=no, "Bob" <tel:+15551234>;reason="user-busy";counter=2']]));
    expect(ds.map((d) => [d.uri.user, d.reason, d.counter, d.privacy, d.screen])).toEqual([
      ['2000', 'no-answer', 1, 'off', 'no'],
      ['+15551234', 'user-busy', 2, undefined, undefined],
    ]);
    expect(formatDiversion({ uri: parseUri('sip:2000@pbx'), params: new Params(), reason: 'unconditional', counter: 1 })).toBe('<sip:2000@pbx>;reason=unconditional;counter=1');
  });
  it('reads History-Info entries with index and escaped Reason', () => {
    const hi = getHistoryInfo(h([['History-Info', '<sip:bob@example.com?Reason=SIP%3Bcause%3D302%3Btext%3D%22Moved%22>;index=1, <sip:101@pbx.local;user=phone>;index=1.1;rc=1']]));
    expect(hi.map((e) => [e.uri.user, e.index, e.reason, e.rc])).toEqual([
      ['bob', '1', 'SIP;cause=302;text="Moved"', undefined],
      ['101', '1.1', undefined, '1'],
    ]);
    const text = formatHistoryInfo(hi);
    expect(text).toBe('<sip:bob@example.com?Reason=SIP%3Bcause%3D302%3Btext%3D%22Moved%22>;index=1, <sip:101@pbx.local;user=phone>;index=1.1;rc=1');
    expect(getHistoryInfo(h([['History-Info', text]]))).toEqual(hi);
    expect(reasonOf(() => getHistoryInfo(h([['History-Info', '<sip:a@b>']])))).toBe('History-Info entry needs an index like 1.1');
  });
});

describe('typed views are parsed once per header text', () => {
  const raw = Buffer.from(
    'INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c@h\r\nCSeq: 1 INVITE\r\nRecord-Route: <sip:p1;lr>, <sip:p2;lr>\r\nl: 0\r\n\r\n',
    'latin1',
  );
  it('hands out copies: a caller changing its view does not change the next one', () => {
    const m = parseMessage(raw);
    const to = getTo(m);
    to.params.set('tag', 'mine');
    to.uri.params.set('x', '1');
    expect(getTo(m).params.has('tag')).toBe(false);
    expect(getTo(m).uri.params.has('x')).toBe(false);
    const rr = M_getRecordRoutes(m).reverse();
    expect(rr[0]!.uri.host).toBe('p2');
    expect(M_getRecordRoutes(m)[0]!.uri.host).toBe('p1');
    expect(getTo(m)).toEqual(parseNameAddr('<sip:b@h>'));
  });
  it('follows every way of changing the lines: methods, fields edited in place or replaced', () => {
    const m = parseMessage(raw);
    expect(getTopVia(m)!.host).toBe('a');
    m.headers.prepend('Via', 'SIP/2.0/UDP p;branch=z9hG4bK2');
    expect(getTopVia(m)!.host).toBe('p');
    expect(getVias(m).map((v) => v.host)).toEqual(['p', 'a']);
    m.headers.fields[0] = { name: 'Via', value: 'SIP/2.0/UDP q;branch=z9hG4bK3' };
    expect(getTopVia(m)!.host).toBe('q');
    m.headers.fields[0]!.value = 'SIP/2.0/TCP r;branch=z9hG4bK4';
    expect(getTopVia(m)).toMatchObject({ host: 'r', transport: 'TCP' });
    expect(getCSeq(m)).toEqual({ seq: 1, method: 'INVITE' });
    m.headers.set('CSeq', '2 ACK');
    expect(getCSeq(m)).toEqual({ seq: 2, method: 'ACK' });
    m.headers.set('From', 'bad <');
    expect(reasonOf(() => getFrom(m))).toMatch(/From/);
    m.headers.remove('From');
    expect(reasonOf(() => getFrom(m))).toBe('Missing From header');
  });
});
