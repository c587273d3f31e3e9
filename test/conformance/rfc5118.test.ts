/** RFC 5118 "SIP Torture Test Messages for IPv6", wire-format (CRLF) versions of all 12 messages. */
import { describe, expect, it } from 'vitest';
import {
  getContacts, getTo, getVias, parseUri, serializeMessage, parseMessage, type Contact,
} from '../../src/sip/message/index.js';
import { fixture, listFixtures, manifest, request, verdict } from './support.js';

const load = (name: string) => fixture(`rfc5118/wire-crlf/${name}.dat`);

const cases: Record<string, () => void> = {
  'ipv6-good'() {
    const m = request(load('ipv6-good'));
    expect(parseUri(m.uri).host).toBe('[2001:db8::10]');
    expect(getVias(m)[0]!.host).toMatch(/^\[2001:db8::/);
    expect((getContacts(m) as Contact[])[0]!.uri.host).toMatch(/^\[2001:db8::/);
    expect(verdict(m)).toBe('accept');
  },
  'ipv6-bad'() {
    // naive host:port splitting would read host '2001', port 'db8::10'
    expect(verdict(request(load('ipv6-bad')))).toBe('400 Invalid Request-URI: URI port is not a number');
  },
  'port-ambiguous'() {
    const uri = parseUri(request(load('port-ambiguous')).uri);
    expect(uri.host).toBe('[2001:db8::10:5070]');
    expect(uri.port).toBeUndefined();
  },
  'port-unambiguous'() {
    const uri = parseUri(request(load('port-unambiguous')).uri);
    expect([uri.host, uri.port]).toEqual(['[2001:db8::10]', 5070]);
  },
  'via-received-param-with-delim'() {
    const m = request(load('via-received-param-with-delim'));
    expect(getVias(m)[0]!.params.get('received')).toBe('[2001:db8::9:255]');
    expect(verdict(m)).toBe('accept');
  },
  'via-received-param-no-delim'() {
    const m = request(load('via-received-param-no-delim'));
    expect(getVias(m)[0]!.params.get('received')).toBe('2001:db8::9:255');
    expect(verdict(m)).toBe('accept');
  },
  'ipv6-in-sdp'() {
    const m = request(load('ipv6-in-sdp'));
    expect(m.body.toString('latin1')).toContain('IN IP6 2001:db8::');
    expect(m.body.length).toBe(251);
    expect(verdict(m)).toBe('accept');
  },
  'mult-ip-in-header'() {
    const vias = getVias(request(load('mult-ip-in-header')));
    expect(vias.map((v) => [v.transport, v.host, v.port, v.params.get('received')])).toEqual([
      ['UDP', '[2001:db8::9:1]', 6050, undefined],
      ['UDP', '192.0.2.1', undefined, undefined],
      ['TCP', '[2001:db8::9:255]', undefined, '192.0.2.200'],
    ]);
  },
  'mult-ip-in-sdp'() {
    const m = request(load('mult-ip-in-sdp'));
    expect(m.body.length).toBe(189);
    expect(verdict(m)).toBe('accept');
  },
  'ipv4-mapped-ipv6'() {
    const m = request(load('ipv4-mapped-ipv6'));
    expect(getVias(m).map((v) => [v.host, v.port])).toEqual([
      ['[::ffff:192.0.2.10]', 19823],
      ['[::ffff:192.0.2.2]', undefined],
    ]);
    const [c] = getContacts(m) as Contact[];
    expect([c!.displayName, c!.uri.user, c!.uri.host]).toEqual(['T. desk phone', 'ted', '[::ffff:192.0.2.2]']);
    expect(verdict(m)).toBe('accept');
  },
  'ipv6-bug-abnf-3-colons'() {
    // tolerated (RFC 5118 §4.10), see CHOICES.md
    const m = request(load('ipv6-bug-abnf-3-colons'));
    expect(parseUri(m.uri).host).toBe('[2001:db8:::192.0.2.1]');
    expect(getTo(m).uri.host).toBe('[2001:db8:::192.0.2.1]');
    expect(verdict(m)).toBe('accept');
  },
  'ipv6-correct-abnf-2-colons'() {
    const m = request(load('ipv6-correct-abnf-2-colons'));
    expect(parseUri(m.uri).host).toBe('[2001:db8::192.0.2.1]');
    expect(verdict(m)).toBe('accept');
  },
};

describe('RFC 5118 IPv6 torture messages', () => {
  it('has a case for every message', () => {
    expect(Object.keys(cases).sort()).toEqual(listFixtures('rfc5118/wire-crlf', '.dat').sort());
    expect(manifest('rfc5118').map((r) => r.name).sort()).toEqual(Object.keys(cases).sort());
  });
  for (const row of manifest('rfc5118')) {
    it(`${row.name} (§${row.rfc_section} ${row.title}): ${row.expectation}`, () => {
      cases[row.name!]!();
      // every accepted message survives a round trip unchanged
      const m = request(load(row.name!));
      const once = serializeMessage(m);
      expect(serializeMessage(parseMessage(once)).equals(once)).toBe(true);
    });
  }
});
