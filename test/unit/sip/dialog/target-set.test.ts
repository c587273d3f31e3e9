import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RedirectError, TargetSet, nextHop } from '../../../../src/sip/dialog/target-set.js';
import { formatUri, getContacts, parseMessage, parseUri, type Contact } from '../../../../src/sip/message/index.js';

const samples = new URL('../../../fixtures/conformance/samples/', import.meta.url);
const contacts = (...values: string[]): Contact[] => {
  const m = parseMessage(Buffer.from(`SIP/2.0 302 Moved\r\n${values.map((v) => `Contact: ${v}\r\n`).join('')}Content-Length: 0\r\n\r\n`));
  return getContacts(m) as Contact[];
};

describe('TargetSet', () => {
  it('follows the real Exchange 2010 302: transport=Tcp and maddr honoured', () => {
    const res = parseMessage(readFileSync(new URL('exchange2010-302-to-worker.sip', samples)));
    const set = new TargetSet(parseUri('sip:101@192.168.1.60:5060;transport=tcp'));
    set.next();
    set.record(302, 'Moved Temporarily');
    set.redirect(getContacts(res) as Contact[]);
    const t = set.next()!;
    expect(formatUri(t.uri)).toBe('sip:101@pabx.local:5065;user=phone;transport=Tcp;maddr=pabx.local');
    expect(nextHop(t.uri, 'udp')).toEqual({ protocol: 'tcp', address: 'pabx.local', port: 5065, viaMaddr: true });
  });

  it('tries Contacts in q order, equal q in header order, newest redirect first', () => {
    const set = new TargetSet(parseUri('sip:680@10.0.0.1'));
    set.next();
    set.redirect(contacts('<sip:a@h1>;q=0.5', '<sip:b@h2>;q=0.9', '<sip:c@h3>', '<sip:d@h4>;q=0.9'));
    expect(set.next()!.uri.user).toBe('c'); // no q = 1.0
    set.redirect(contacts('<sip:e@h5>;q=0.1'));
    expect(set.next()!.uri.user).toBe('e'); // depth first: the newer 302 wins
    expect([set.next(), set.next(), set.next()].map((t) => t!.uri.user)).toEqual(['b', 'd', 'a']);
    expect(set.next()).toBeUndefined();
    expect(set.attempts.map((a) => a.depth)).toEqual([0, 1, 2, 1, 1, 1]);
  });

  it('stops a 302 loop with a clear error', () => {
    const set = new TargetSet(parseUri('sip:680@127.0.0.1:5060;transport=tcp'));
    set.next();
    set.record(302, 'Moved Temporarily');
    expect(() => set.redirect(contacts('<sip:680@127.0.0.1:5060;transport=TCP>'))).toThrow(RedirectError);
    try {
      set.redirect(contacts('<sip:680@127.0.0.1:5060;transport=tcp>'));
    } catch (e) {
      expect((e as RedirectError).kind).toBe('loop');
      expect((e as Error).message).toBe(
        'redirect loop: the 3xx points back to a target already tried (sip:680@127.0.0.1:5060;transport=tcp (302))',
      );
    }
  });

  it('stops after --max-redirects hops', () => {
    const set = new TargetSet(parseUri('sip:x@h0'), 2);
    set.next();
    set.redirect(contacts('<sip:x@h1>'));
    set.next();
    set.redirect(contacts('<sip:x@h2>'));
    set.next();
    expect(() => set.redirect(contacts('<sip:x@h3>'))).toThrow(/too many redirects: followed 2/);
  });

  it('skips q=0, non-SIP Contacts and the method parameter', () => {
    const set = new TargetSet(parseUri('sip:x@h0'));
    set.next();
    expect(() => set.redirect(contacts('<mailto:x@y>', '<sip:z@h;method=INVITE>;q=0'))).toThrow('the 3xx response has no usable Contact');
    set.redirect(contacts('<sip:y@h;method=INVITE>'));
    expect(formatUri(set.next()!.uri)).toBe('sip:y@h');
  });
});

describe('nextHop', () => {
  it.each([
    ['sip:1@192.0.2.1', 'udp', { protocol: 'udp', address: '192.0.2.1', port: 5060, viaMaddr: false }],
    ['sip:1@192.0.2.1;transport=TCP', 'udp', { protocol: 'tcp', address: '192.0.2.1', port: 5060, viaMaddr: false }],
    ['sip:1@um.example.com:5065;transport=Tcp', 'udp', { protocol: 'tcp', address: 'um.example.com', port: 5065, viaMaddr: false }],
    ['sip:1@[2001:db8::1]:5067', 'tcp', { protocol: 'tcp', address: '2001:db8::1', port: 5067, viaMaddr: false }],
    ['sip:1@host;maddr=10.1.1.1', 'tcp', { protocol: 'tcp', address: '10.1.1.1', port: 5060, viaMaddr: true }],
    ['sip:1@host;maddr=', 'tcp', { protocol: 'tcp', address: 'host', port: 5060, viaMaddr: false }],
    ['sip:1@host;maddr', 'tcp', { protocol: 'tcp', address: 'host', port: 5060, viaMaddr: false }],
    ['sip:1@host;maddr=%20bad%20host', 'tcp', { protocol: 'tcp', address: 'host', port: 5060, viaMaddr: false }],
    ['sips:1@host', 'tcp', { protocol: 'tls', address: 'host', port: 5061, viaMaddr: false }],
  ] as const)('%s (default %s)', (uri, def, want) => {
    expect(nextHop(parseUri(uri), def)).toEqual(want);
  });

  it('rejects a transport it cannot use', () => {
    expect(() => nextHop(parseUri('sip:1@h;transport=sctp'), 'tcp')).toThrow('unsupported transport "sctp" in sip:1@h;transport=sctp');
  });
});
