import { describe, expect, it } from 'vitest';
import { CallAddressError, diversionHeaders, historyInfoHeaders, parseTarget } from '../../../src/phone/call-headers.js';
import { formatUri, getHistoryInfo, parseMessage, parseUri } from '../../../src/sip/message/index.js';

describe('parseTarget', () => {
  it.each([
    ['sip:680@um.example.com;transport=tcp', 'tcp', 'sip:680@um.example.com;transport=tcp'],
    ['sip:680@um.example.com', 'tcp', 'sip:680@um.example.com;transport=tcp'],
    ['680@10.0.0.5:5060', 'udp', 'sip:680@10.0.0.5:5060;transport=udp'],
    ['um.example.com:5065', 'tcp', 'sip:um.example.com:5065;transport=tcp'],
    ['sips:680@um.example.com', 'tcp', 'sips:680@um.example.com'],
    ['sip:680@[2001:db8::5]:5060', undefined, 'sip:680@[2001:db8::5]:5060'],
  ] as const)('%s (%s) → %s', (input, transport, want) => {
    expect(formatUri(parseTarget(input, transport))).toBe(want);
  });

  it.each([
    ['', 'the call target is empty: give a SIP URI such as sip:680@um.example.com'],
    ['tel:+1234', 'bad call target "tel:+1234": umphone calls sip: or sips: URIs (no gateway for tel:)'],
    ['sip:68 0@host', /^bad call target "sip:68 0@host": /],
  ] as const)('refuses %j', (input, message) => {
    expect(() => parseTarget(input)).toThrow(CallAddressError);
    expect(() => parseTarget(input)).toThrow(message);
  });
});

describe('Diversion and History-Info', () => {
  it('builds RFC 5806 Diversion headers, newest first', () => {
    expect(diversionHeaders(['613', '614'], 'um.example.com')).toEqual([
      ['Diversion', '<sip:613@um.example.com>;reason=no-answer;counter=1'],
      ['Diversion', '<sip:614@um.example.com>;reason=no-answer;counter=1'],
    ]);
    expect(diversionHeaders(['613'], '10.0.0.5', 'user-busy')[0]![1]).toBe('<sip:613@10.0.0.5>;reason=user-busy;counter=1');
  });

  it('builds History-Info the way Exchange 2010 SP1 reads it: the extension with an escaped Reason, then the pilot', () => {
    const lines = historyInfoHeaders(['613'], parseUri('sip:680@um.example.com;transport=tcp'));
    const msg = parseMessage(Buffer.from(`SIP/2.0 200 OK\r\n${lines.map(([n, v]) => `${n}: ${v}\r\n`).join('')}Content-Length: 0\r\n\r\n`));
    const entries = getHistoryInfo(msg);
    expect(entries.map((e) => [e.uri.user, e.index, e.reason])).toEqual([
      ['613', '1', 'SIP;cause=408;text="no-answer"'],
      ['680', '1.1', undefined],
    ]);
    expect(lines[0]![1]).toContain('?Reason=SIP%3Bcause%3D408');
    expect(() => historyInfoHeaders(['680'], parseUri('sip:680@h'))).toThrow('History-Info needs the diverting extension to differ from the called number');
  });
});
