import { describe, expect, it } from 'vitest';
import { SipParseError, formatUri, parseUri, uriEquals } from '../../../../src/sip/message/index.js';

describe('parseUri', () => {
  it.each([
    ['sip:alice@atlanta.com', { scheme: 'sip', user: 'alice', host: 'atlanta.com' }],
    ['SIP:alice@atlanta.com:5070', { scheme: 'sip', user: 'alice', host: 'atlanta.com', port: 5070 }],
    ['sips:alice:secret@atlanta.com;transport=tcp', { scheme: 'sips', user: 'alice', password: 'secret', host: 'atlanta.com' }],
    ['sip:+1-212-555-1212:1234@gateway.com;user=phone', { user: '+1-212-555-1212', password: '1234', host: 'gateway.com' }],
    ['sip:192.0.2.4', { host: '192.0.2.4' }],
    ['sip:[2001:db8::10]:5070', { host: '[2001:db8::10]', port: 5070 }],
    ['sip:[2001:db8::10:5070]', { host: '[2001:db8::10:5070]' }],
    ['sip:%61lice@atlanta.com', { user: 'alice' }],
    ['sip:null-%00-null@example.com', { user: 'null-\x00-null' }],
    ['sip:user;par=u%40example.net@example.com', { user: 'user;par=u@example.net', host: 'example.com' }],
    ['tel:+1-201-555-0123;phone-context=example.com', { scheme: 'tel', user: '+1-201-555-0123', host: '' }],
    ['urn:service:sos', { scheme: 'urn', opaque: 'service:sos' }],
  ])('%s', (text, expected) => {
    expect(parseUri(text)).toMatchObject(expected);
  });

  it('keeps params ordered, valueless and case-insensitive by name', () => {
    const u = parseUri('sip:a@b;lr;Transport=TCP;maddr=239.255.255.1;ttl=15');
    expect(u.params.names()).toEqual(['lr', 'Transport', 'maddr', 'ttl']);
    expect(u.params.get('lr')).toBeNull();
    expect(u.params.get('transport')).toBe('TCP');
    expect(u.params.get('nope')).toBeUndefined();
  });

  it('decodes escaped headers', () => {
    const u = parseUri('sip:bob@example.com?Reason=SIP%3Bcause%3D302&Subject=hi%20there');
    expect(u.headers).toEqual([
      { name: 'Reason', value: 'SIP;cause=302' },
      { name: 'Subject', value: 'hi there' },
    ]);
  });

  it.each([
    ['alice@atlanta.com', 'URI has no scheme: \'alice@atlanta.com\''],
    ['sip:2001:db8::10', 'URI port is not a number'],
    ['sip:a@b:99999', 'URI port is larger than 65535'],
    ['sip:a@b;;x', 'URI has an empty parameter'],
    ['sip:%4@b', 'Invalid %-escape in URI user'],
    ['sip:a b@c', "Invalid character '\\x20' in URI user"],
    ['sip:@b', 'URI has an empty user part'],
    ['sip:a@[2001:db8::1', 'Unterminated IPv6 reference in URI'],
    ['sip:a@', 'URI has no host'],
    ['1sip:a@b', "Invalid URI scheme '1sip'"],
  ])('rejects %s', (text, reason) => {
    const e = (() => {
      try {
        parseUri(text);
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(SipParseError);
    expect((e as SipParseError).reason).toBe(reason);
  });
});

describe('formatUri', () => {
  it.each([
    'sip:alice@atlanta.com',
    'sips:alice:secret@atlanta.com:5061;transport=tcp;lr',
    'sip:[2001:db8::10]:5070;maddr=[2001:db8::1]',
    'sip:bob@example.com?Reason=SIP%3Bcause%3D302',
    'tel:+1-201-555-0123;phone-context=example.com',
    'urn:service:sos',
  ])('round-trips %s', (text) => {
    expect(formatUri(parseUri(text))).toBe(text);
  });
  it('escapes what a component may not carry raw', () => {
    expect(formatUri(parseUri('sip:sips%3Auser%40example.com@example.net'))).toBe('sip:sips%3Auser%40example.com@example.net');
    expect(formatUri(parseUri('sip:%00%00@h'))).toBe('sip:%00%00@h');
    expect(formatUri({ ...parseUri('sip:x@h'), user: 'I have spaces' })).toBe('sip:I%20have%20spaces@h');
  });
});

describe('uriEquals (RFC 3261 §19.1.4)', () => {
  it.each([
    ['sip:%61lice@atlanta.com;transport=TCP', 'sip:alice@AtLanTa.CoM;Transport=tcp', true],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com;newparam=5', true],
    ['sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;newparam=5', true],
    ['sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com', 'sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com', true],
    ['SIP:ALICE@AtLanTa.CoM;Transport=udp', 'sip:alice@AtLanTa.CoM;Transport=UDP', false],
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com:5060', false],
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com;transport=udp', false],
    ['sip:bob@biloxi.com', 'sips:bob@biloxi.com', false],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com?Subject=next%20meeting', false],
    ['sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;security=off', false],
    ['tel:+1-201-555-0123', 'tel:+12015550123', true],
  ])('%s vs %s -> %s', (a, b, eq) => {
    expect(uriEquals(parseUri(a), parseUri(b))).toBe(eq);
    expect(uriEquals(parseUri(b), parseUri(a))).toBe(eq);
  });
});
