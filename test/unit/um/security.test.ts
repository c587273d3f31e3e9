import { describe, expect, it } from 'vitest';
import { createRequest } from '../../../src/sip/message/index.js';
import type { MessageSource } from '../../../src/sip/transport/transport.js';
import { defaultPorts, gatewayRefusal, securedOfferRefusal } from '../../../src/um/security.js';

const tlsSource = (names: string[] | undefined, verified = true): MessageSource => ({
  protocol: 'tls', address: '10.0.0.5', port: 41234, local: { address: '10.0.0.7', port: 5061 },
  ...(names ? { tlsPeer: { names, verified } } : {}),
});

function invite(sdp?: string, type = 'application/sdp') {
  return createRequest({
    method: 'INVITE', uri: 'sip:6000@10.0.0.7',
    headers: [
      ['Via', 'SIP/2.0/TLS 10.0.0.5:5061;branch=z9hG4bK1'], ['From', '<sip:110@10.0.0.5>;tag=a'], ['To', '<sip:6000@10.0.0.7>'],
      ['Call-ID', 'c1'], ['CSeq', '1 INVITE'], ['Max-Forwards', '70'], ...(sdp ? [['Content-Type', type] as [string, string]] : []),
    ],
    ...(sdp ? { body: Buffer.from(sdp.replace(/\n/g, '\r\n')) } : {}),
  });
}

const SDP = (proto: string, extra = '') => `v=0\no=- 1 1 IN IP4 10.0.0.5\ns=-\nc=IN IP4 10.0.0.5\nt=0 0\nm=audio 4000 ${proto} 0\na=rtpmap:0 PCMU/8000\n${extra}`;
const KEY = 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\n';

describe('UM security modes', () => {
  it('uses Exchange\'s ports: TCP 5060/5062/5065, TLS 5061/5063/5066', () => {
    expect(defaultPorts('unsecured')).toEqual({ front: 5060, umService: 5062, worker: 5065 });
    expect(defaultPorts('sip-secured')).toEqual({ front: 5061, umService: 5063, worker: 5066 });
    expect(defaultPorts('secured')).toEqual(defaultPorts('sip-secured'));
  });

  it('trusts a TLS gateway by a configured name in its certificate (CN or SAN, any case)', () => {
    expect(gatewayRefusal(tlsSource(['gw1.contoso.com']), ['GW1.contoso.com'])).toBeUndefined();
    expect(gatewayRefusal(tlsSource(['x', '10.0.0.5']), ['10.0.0.5'])).toBeUndefined();
    expect(gatewayRefusal(tlsSource(['gw2.contoso.com']), undefined)).toBeUndefined();
    expect(gatewayRefusal(tlsSource(['gw2.contoso.com']), ['gw1.contoso.com'])).toBe('its certificate names gw2.contoso.com, not a configured gateway (gw1.contoso.com)');
    expect(gatewayRefusal(tlsSource(undefined), [])).toBe('no verified client certificate');
    expect(gatewayRefusal(tlsSource(['gw1.contoso.com'], false), ['gw1.contoso.com'])).toBe('no verified client certificate');
    expect(gatewayRefusal({ ...tlsSource(undefined), protocol: 'tcp' }, ['gw1.contoso.com'])).toBeUndefined();
  });

  it('Secured takes an RTP/SAVP offer with a usable a=crypto line, and refuses everything else with a Warning', () => {
    expect(securedOfferRefusal(invite(SDP('RTP/SAVP', KEY)), 'um')).toBeUndefined();
    expect(securedOfferRefusal(invite(SDP('RTP/AVP')), 'um')?.warning)
      .toBe('399 um "Secured mode requires SRTP: the offer is RTP/AVP (plain RTP); offer RTP/SAVP with a=crypto"');
    expect(securedOfferRefusal(invite(SDP('RTP/AVP', KEY)), 'um')?.why).toMatch(/the offer is RTP\/AVP/);
    expect(securedOfferRefusal(invite(SDP('UDP/TLS/RTP/SAVP')), 'um')?.why).toMatch(/DTLS-SRTP\) is not supported/);
    expect(securedOfferRefusal(invite(SDP('RTP/SAVP')), 'um')?.why).toMatch(/^no usable a=crypto line: /);
    expect(securedOfferRefusal(invite(SDP('RTP/SAVP', 'a=crypto:1 F8_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\n')), 'um')?.why).toMatch(/^no usable a=crypto line: /);
    expect(securedOfferRefusal(invite(), 'um')?.why).toBe('Secured mode needs an SDP offer with SRTP (RTP/SAVP and a=crypto)');
    expect(securedOfferRefusal(invite('v=0\nnot sdp'), 'um')?.why).toMatch(/^unreadable SDP offer: /);
  });
});
