import { describe, expect, it } from 'vitest';
import { formatUri, parseSipAddress, SipParseError, SIP_SCHEMES, UriSchemeError, writtenScheme } from '../../../../src/sip/message/index.js';

describe('writtenScheme', () => {
  it.each([
    ['sip:680@um.example.com', 'sip'], ['SIPS:680@h', 'sips'], ['tel:+15551234', 'tel'], ['tel:5060', 'tel'],
    ['http://example.com', 'http'], ['fax:123', 'fax'], ['urn:service:sos', 'urn'], ['foo:bar', 'foo'], ['xmpp:a@b', 'xmpp'],
    ['680@um.example.com', undefined], ['um.example.com', undefined], ['10.0.0.5:5060', undefined],
    ['pbx.example.com:5080', undefined], ['680@10.0.0.5:5060', undefined], ['[::1]:5060', undefined],
  ])('%j → %s', (text, scheme) => {
    expect(writtenScheme(text)).toBe(scheme);
  });
});

describe('parseSipAddress', () => {
  it.each([
    ['sip:680@um.example.com', 'sip:680@um.example.com'],
    ['sips:680@um.example.com:5061', 'sips:680@um.example.com:5061'],
    ['SIP:680@h;transport=tcp', 'sip:680@h;transport=tcp'],
    ['680@10.0.0.5:5060', 'sip:680@10.0.0.5:5060'],
    ['um.example.com', 'sip:um.example.com'],
    ['10.0.0.5:5060', 'sip:10.0.0.5:5060'],
    ['  680@h  ', 'sip:680@h'],
  ])('%j → %s', (text, uri) => {
    expect(formatUri(parseSipAddress(text))).toBe(uri);
  });

  it.each(['tel:+15551234', 'http://example.com', 'fax:123', 'mailto:a@b', 'foo:bar'])('%j is a UriSchemeError carrying sip and sips', (text) => {
    const scheme = text.slice(0, text.indexOf(':'));
    expect(() => parseSipAddress(text)).toThrow(new UriSchemeError(scheme));
    expect(() => parseSipAddress(text)).toThrow(`umphone calls sip: or sips: URIs (no gateway for ${scheme}:)`);
    try {
      parseSipAddress(text);
    } catch (e) {
      expect((e as UriSchemeError).accepted).toEqual(SIP_SCHEMES);
      expect((e as UriSchemeError).scheme).toBe(scheme);
    }
  });

  it('a malformed SIP URI is a SipParseError, not a scheme error', () => {
    expect(() => parseSipAddress('sip:680@')).toThrow(SipParseError);
  });
});
