/**
 * RFC 4475 "SIP Torture Test Messages": every message of §3 (plus the archive's test.dat) with the
 * outcome the RFC documents. Choices where the RFC allows one are in CHOICES.md.
 */
import { describe, expect, it } from 'vitest';
import {
  getAccept, getCSeq, getCallId, getContacts, getContentType, getFrom, getMaxForwards, getRoutes, getTo,
  getVias, getUnsupported, parseUri, serializeMessage, validateResponse, parseMessage, getRequire,
  type Contact,
} from '../../src/sip/message/index.js';
import { UAS, fixture, listFixtures, manifest, parseError, request, response, verdict } from './support.js';

const load = (name: string) => fixture(`rfc4475/${name}.dat`);

const cases: Record<string, () => void> = {
  wsinv() {
    const m = request(load('wsinv'));
    expect(m.method).toBe('INVITE');
    expect(m.uri).toBe('sip:vivekg@chair-dnrc.example.com;unknownparam');
    const to = getTo(m);
    expect(to.uri.user).toBe('vivekg');
    expect(to.params.get('tag')).toBe('1918181833n');
    const from = getFrom(m);
    expect(from.displayName).toBe('J Rosenberg \\"');
    expect(from.params.get('tag')).toBe('98asjd8');
    expect(getMaxForwards(m)).toBe(68);
    expect(getCSeq(m)).toEqual({ seq: 9, method: 'INVITE' });
    const vias = getVias(m);
    expect(vias.map((v) => [v.protocol, v.transport, v.host, v.params.get('branch')])).toEqual([
      ['SIP/2.0', 'UDP', '192.0.2.2', '390skdjuw'],
      ['SIP/2.0', 'TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['SIP/2.0', 'UDP', '192.168.255.111', 'z9hG4bK30239'],
    ]);
    expect(m.headers.get('Subject')).toBe('');
    expect(m.headers.get('NewFangledHeader')).toBe('newfangled value continued newfangled value');
    expect(m.headers.get('UnknownHeaderWithUnusualValue')).toBe(';;,,;;,;');
    expect(getRoutes(m)[0]!.uri.params.get('unknown-no-value')).toBeNull();
    const [c] = getContacts(m) as Contact[];
    expect(c!.displayName).toBe('Quoted string ""');
    expect(c!.params.get('newparam')).toBe('newvalue');
    expect(c!.params.get('secondparam')).toBeNull();
    expect(c!.q).toBe(0.33);
    expect(m.body.length).toBe(150);
    expect(verdict(m)).toBe('accept');
  },
  intmeth() {
    const m = request(load('intmeth'));
    expect(m.method).toBe("!interesting-Method0123456789_*+`.%indeed'~");
    const uri = parseUri(m.uri);
    expect(uri.user).toBe("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    expect(uri.password).toBe("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    expect(getVias(m)[0]!.params.get('branch')).toBe("z9hG4bK-.!%66*_+`'~");
    expect(getTo(m).displayName).toBe('BEL:\x07 NUL:\x00 DEL:\x7f');
    expect(getFrom(m).displayName).toBe("token1~` token2'+_ token3*%!.-");
    const fromParam = getFrom(m).params.get("fromParam''~+*_!.-%")!;
    expect(Buffer.from(fromParam, 'latin1').toString('utf8')).toBe('работающий');
    expect(getFrom(m).params.get('tag')).toBe("_token~1'+`*%!-.");
    expect(getCallId(m)).toBe('intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
    expect(getCSeq(m).method).toBe(m.method);
    const ext = m.headers.get("extensionHeader-!.%*+_`'~")!;
    expect(Buffer.from(ext, 'latin1').subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(verdict(m)).toBe('501 Not Implemented');
    // every octet survives (the writer puts one SP after each ':', the only normalization)
    const out = serializeMessage(m);
    expect(out.toString('latin1')).toBe(load('intmeth').toString('latin1').replace("extensionHeader-!.%*+_`'~:", "extensionHeader-!.%*+_`'~: "));
  },
  esc01() {
    const m = request(load('esc01'));
    expect(parseUri(m.uri).user).toBe('sips:user@example.com');
    expect(getTo(m).uri.user).toBe('user');
    expect(getFrom(m).uri.user).toBe('I have spaces');
    const [c] = getContacts(m) as Contact[];
    expect(c!.uri.user).toBe('caller');
    expect(c!.uri.params.get('lr')).toBeNull();
    expect(c!.uri.params.get('name')).toBe('value%41');
    expect(verdict(m)).toBe('accept');
  },
  escnull() {
    const m = request(load('escnull'));
    expect(getTo(m).uri.user).toBe('null-\x00-null');
    const contacts = getContacts(m) as Contact[];
    expect(contacts.map((c) => c.uri.user)).toEqual(['\x00', '\x00\x00']);
    expect(contacts[0]!.uri.user).not.toBe(contacts[1]!.uri.user);
    expect(verdict(m)).toBe('accept');
  },
  esc02() {
    const m = request(load('esc02'));
    expect(m.method).toBe('RE%47IST%45R');
    expect(getTo(m).displayName).toBe('%Z%45');
    expect(getVias(m)[0]!.params.get('branch')).toBe('z9hG4bK209%fzsnel234');
    expect((getContacts(m) as Contact[]).map((c) => c.uri.host)).toEqual(['host1.example.com', 'host3.example.com']);
    expect(m.headers.get('C%6Fntact')).toBe('<sip:alias2@host2.example.com>');
    expect(verdict(m)).toBe('501 Not Implemented');
  },
  lwsdisp() {
    const m = request(load('lwsdisp'));
    expect(getFrom(m).displayName).toBe('caller');
    expect(getFrom(m).uri.user).toBe('caller');
    expect(verdict(m)).toBe('accept');
  },
  longreq() {
    const m = request(load('longreq'));
    expect(getVias(m)).toHaveLength(34);
    expect(getTo(m).uri.port).toBe(6000);
    expect(getTo(m).displayName).toMatch(/^I have a user name of (extreme){10} proportion$/);
    expect(getFrom(m).params.get('tag')!.length).toBeGreaterThan(100);
    expect(verdict(m)).toBe('accept');
  },
  dblreq() {
    const m = request(load('dblreq'));
    expect(m.method).toBe('REGISTER');
    expect(m.body.length).toBe(0);
    expect(verdict(m)).toBe('accept');
    expect(serializeMessage(m).toString('latin1')).not.toContain('INVITE');
  },
  semiuri() {
    const m = request(load('semiuri'));
    const uri = parseUri(m.uri);
    expect(uri.user).toBe('user;par=u@example.net');
    expect(uri.host).toBe('example.com');
    expect(uri.params.size).toBe(0);
    expect(getAccept(m).map((a) => `${a.type}/${a.subtype}`)).toEqual([
      'application/sdp', 'application/pkcs7-mime', 'multipart/mixed', 'multipart/signed', 'message/sip', 'message/sipfrag',
    ]);
    expect(verdict(m)).toBe('accept');
  },
  transports() {
    const m = request(load('transports'));
    expect(getVias(m).map((v) => v.transport)).toEqual(['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']);
    expect(getCallId(m)).toBe('transports.kijh4akdnaqjkwendsasfdj');
    expect(verdict(m)).toBe('accept');
  },
  mpart01() {
    const raw = load('mpart01');
    const m = request(raw);
    expect(m.body.length).toBe(553);
    expect(raw.subarray(raw.length - 553).equals(m.body)).toBe(true);
    expect(getContentType(m)!.params.get('boundary')).toBe('7a9cbec02ceef655');
    expect(serializeMessage(m).equals(raw)).toBe(true);
    // we take only SDP bodies: 415 with Accept is the RFC 3261 §8.2.3 answer
    expect(verdict(m)).toBe('415 Unsupported Media Type');
    expect(verdict(m, { ...UAS, acceptTypes: ['application/sdp', 'multipart/*'] })).toBe('accept');
  },
  unreason() {
    const m = response(load('unreason'));
    expect(m.status).toBe(200);
    expect(Buffer.from(m.reason, 'latin1').toString('utf8')).toBe('= 2**3 * 5**2 но сто девяносто девять - простое');
    expect(m.reason).toMatch(/^= 2\*\*3 \* 5\*\*2 /);
    expect(validateResponse(m)).toBeUndefined();
  },
  noreason() {
    const m = response(load('noreason'));
    expect(m.status).toBe(100);
    expect(m.reason).toBe('');
    expect(validateResponse(m)).toBeUndefined();
  },
  badinv01() {
    expect(verdict(request(load('badinv01')))).toBe('400 Empty parameter in Via');
  },
  clerr() {
    const e = parseError(load('clerr'));
    expect(e.status).toBe(400);
    expect(e.reason).toBe('Content-Length 9999 is larger than the 154-byte body');
  },
  ncl() {
    const e = parseError(load('ncl'));
    expect([e.status, e.reason, e.line]).toEqual([400, 'Content-Length is not a non-negative integer', 10]);
  },
  scalar02() {
    expect(verdict(request(load('scalar02')))).toBe('400 CSeq number is larger than 4294967295');
  },
  scalarlg() {
    expect(validateResponse(response(load('scalarlg')))).toBe('CSeq number is larger than 4294967295');
  },
  quotbal() {
    expect(verdict(request(load('quotbal')))).toBe('400 Unterminated quoted string in To header display name');
  },
  ltgtruri() {
    expect(verdict(request(load('ltgtruri')))).toBe("400 Invalid Request-URI: Invalid URI scheme '<sip'");
  },
  lwsruri() {
    const e = parseError(load('lwsruri'));
    expect([e.status, e.reason, e.line]).toEqual([400, 'Request-URI contains whitespace', 1]);
  },
  lwsstart() {
    const m = request(load('lwsstart'));
    expect([m.method, m.uri, m.version]).toEqual(['INVITE', 'sip:user@example.com', 'SIP/2.0']);
    expect(serializeMessage(m).toString('latin1')).toMatch(/^INVITE sip:user@example.com SIP\/2.0\r\n/);
    expect(verdict(m)).toBe('accept');
  },
  trws() {
    const m = request(load('trws'));
    expect(m.version).toBe('SIP/2.0');
    expect(serializeMessage(m).toString('latin1')).toMatch(/^OPTIONS sip:remote-target@example.com SIP\/2.0\r\n/);
    expect(verdict(m)).toBe('accept');
  },
  escruri() {
    expect(verdict(request(load('escruri')))).toBe('400 Request-URI must not carry headers');
  },
  baddate() {
    const m = request(load('baddate'));
    expect(m.headers.get('Date')).toBe('Fri, 01 Jan 2010 16:00:00 EST');
    expect(verdict(m)).toBe('accept');
  },
  regbadct() {
    expect(verdict(request(load('regbadct')))).toBe('400 URI with headers must be enclosed in <> in Contact header');
  },
  badaspec() {
    const m = request(load('badaspec'));
    expect(getTo(m).displayName).toBe('Watson, Thomas');
    expect(getTo(m).uri.host).toBe('example.org');
    expect(verdict(m)).toBe('accept');
  },
  baddn() {
    expect(verdict(request(load('baddn')))).toBe('400 Invalid display name or address in From header');
  },
  badvers() {
    const m = request(load('badvers'));
    expect(m.version).toBe('SIP/7.0');
    expect(verdict(m)).toBe('505 Version Not Supported');
  },
  mismatch01() {
    expect(verdict(request(load('mismatch01')))).toBe('400 CSeq method does not match the Request-Line');
  },
  mismatch02() {
    const res = (() => {
      const m = request(load('mismatch02'));
      expect(verdict(m)).toBe('501 Not Implemented');
      return m;
    })();
    // a UAS that does not list its methods still catches the mismatch
    expect(verdict(res, { ...UAS, methods: undefined })).toBe('400 CSeq method does not match the Request-Line');
  },
  bigcode() {
    const e = parseError(load('bigcode'));
    expect([e.reason, e.line]).toEqual(['Status-Code must be 3 digits from 100 to 699', 1]);
  },
  badbranch() {
    const m = request(load('badbranch'));
    expect(getVias(m)[0]!.params.get('branch')).toBe('z9hG4bK');
    expect(verdict(m)).toBe('accept'); // the transaction layer decides (CHOICES.md)
  },
  insuf() {
    const m = request(load('insuf'));
    const res = parseMessage(serializeMessage(m));
    expect(res.kind).toBe('request');
    expect(verdict(m)).toBe('400 Missing From header');
  },
  unkscm() {
    const m = request(load('unkscm'));
    expect(parseUri(m.uri).opaque).toBe('totallyopaquecontent');
    expect(verdict(m)).toBe('416 Unsupported URI Scheme');
  },
  novelsc() {
    const m = request(load('novelsc'));
    expect(parseUri(m.uri).scheme).toBe('soap.beep');
    expect(verdict(m)).toBe('416 Unsupported URI Scheme');
  },
  unksm2() {
    const m = request(load('unksm2'));
    expect(getTo(m).uri.scheme).toBe('isbn');
    expect(getFrom(m).uri.scheme).toBe('http');
    expect((getContacts(m) as Contact[])[0]!.uri.opaque).toBe('John_Smith');
    expect(verdict(m)).toBe('400 To header of a REGISTER must be a SIP or SIPS URI');
  },
  bext01() {
    const m = request(load('bext01'));
    expect(getRequire(m)).toEqual(['nothingSupportsThis', 'nothingSupportsThisEither']);
    const res = (() => {
      const r = verdict(m);
      expect(r).toBe('420 Bad Extension');
      return r;
    })();
    void res;
  },
  invut() {
    expect(verdict(request(load('invut')))).toBe('415 Unsupported Media Type');
  },
  regaut01() {
    const m = request(load('regaut01'));
    expect(m.headers.get('Authorization')).toBe('NoOneKnowsThisScheme opaque-data=here');
    expect(verdict(m)).toBe('accept');
    expect(verdict(m, { ...UAS, methods: ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS'] })).toBe('405 Method Not Allowed');
  },
  multi01() {
    expect(verdict(request(load('multi01')))).toBe('400 Multiple Call-ID headers');
  },
  mcl01() {
    const e = parseError(load('mcl01'));
    expect([e.status, e.reason, e.line]).toEqual([400, 'Conflicting Content-Length headers', 9]);
  },
  bcast() {
    const m = response(load('bcast'));
    expect(getVias(m)[1]!.host).toBe('255.255.255.255');
    expect(validateResponse(m)).toBe('More than one Via header value in a response');
  },
  zeromf() {
    const m = request(load('zeromf'));
    expect(getMaxForwards(m)).toBe(0);
    expect(verdict(m)).toBe('accept'); // an endpoint processes it (RFC 4475 §3.3.11)
    expect(verdict(m, { ...UAS, role: 'proxy' })).toBe('accept'); // OPTIONS: a proxy may answer it itself
    const invite = request(Buffer.from(load('zeromf').toString('latin1').replace(/OPTIONS/g, 'INVITE'), 'latin1'));
    expect(verdict(invite, { ...UAS, role: 'proxy' })).toBe('483 Too Many Hops');
  },
  cparam01() {
    const [c] = getContacts(request(load('cparam01'))) as Contact[];
    expect(c!.params.get('unknownparam')).toBeNull();
    expect(c!.uri.params.has('unknownparam')).toBe(false);
  },
  cparam02() {
    const [c] = getContacts(request(load('cparam02'))) as Contact[];
    expect(c!.uri.params.get('unknownparam')).toBeNull();
    expect(c!.params.has('unknownparam')).toBe(false);
  },
  regescrt() {
    const m = request(load('regescrt'));
    const [c] = getContacts(m) as Contact[];
    expect(c!.uri.headers).toEqual([{ name: 'Route', value: '<sip:sip.example.com>' }]);
    expect(verdict(m)).toBe('accept');
  },
  sdp01() {
    const m = request(load('sdp01'));
    const res = (() => verdict(m))();
    expect(res).toBe('406 Not Acceptable');
  },
  inv2543() {
    const m = request(load('inv2543'));
    expect(getMaxForwards(m)).toBeUndefined();
    expect(getVias(m)[0]!.params.has('branch')).toBe(false);
    expect(getFrom(m).params.has('tag')).toBe(false);
    expect(m.body.toString('latin1')).toMatch(/^v=0\r\n/);
    expect(verdict(m)).toBe('accept');
  },
  test() {
    const e = parseError(load('test'));
    expect([e.status, e.reason, e.line]).toEqual([400, 'Request-Line must be Method SP Request-URI SP SIP-Version', 1]);
  },
};

describe('RFC 4475 torture messages', () => {
  it('has a case for every message in the folder and the manifest', () => {
    expect(Object.keys(cases).sort()).toEqual(listFixtures('rfc4475', '.dat').sort());
    expect(manifest('rfc4475').map((r) => r.name).sort()).toEqual(Object.keys(cases).sort());
  });
  for (const row of manifest('rfc4475')) {
    it(`${row.name} (§${row.rfc_section} ${row.title}): ${row.expectation}`, () => cases[row.name!]!());
  }
  it('rejects 420 with an Unsupported header listing the unknown Require tags (bext01)', async () => {
    const { validateRequest } = await import('../../src/sip/message/index.js');
    const res = validateRequest(request(load('bext01')), UAS)!;
    expect(getUnsupported(res)).toEqual(['nothingSupportsThis', 'nothingSupportsThisEither']);
  });
  it('415 carries Accept, 406 carries Accept, 501 carries Allow', async () => {
    const { validateRequest } = await import('../../src/sip/message/index.js');
    expect(validateRequest(request(load('invut')), UAS)!.headers.get('Accept')).toBe('application/sdp');
    expect(validateRequest(request(load('sdp01')), UAS)!.headers.get('Accept')).toBe('application/sdp');
    expect(validateRequest(request(load('intmeth')), UAS)!.headers.get('Allow')).toBe(UAS.methods!.join(', '));
  });
  it('error responses copy Via/From/To/Call-ID/CSeq and add a To tag (RFC 3261 §8.2.6.2)', async () => {
    const { validateRequest } = await import('../../src/sip/message/index.js');
    const req = request(load('mismatch01'));
    const res = validateRequest(req, UAS)!;
    expect(res.headers.getLines('Via')).toEqual(req.headers.getLines('Via'));
    expect(getCallId(res)).toBe(getCallId(req));
    expect(getCSeq(res)).toEqual(getCSeq(req));
    expect(getTo(res).params.get('tag')).toMatch(/^[0-9a-f]{16}$/);
  });
});
