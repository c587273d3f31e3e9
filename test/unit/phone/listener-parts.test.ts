/** The pure parts of gateway mode: CIDR allow lists, RFC 3842 bodies, Refer-To, per-call record paths. */
import { describe, expect, it } from 'vitest';
import { AddressFilter, AddressFilterError } from '../../../src/phone/address-filter.js';
import { MessageSummaryError, describeMessageSummary, parseMessageSummary } from '../../../src/phone/message-summary.js';
import { ReferError, parseReferTo } from '../../../src/phone/refer.js';
import { recordPathFor } from '../../../src/phone/listener.js';
import { createRequest } from '../../../src/sip/message/index.js';

describe('AddressFilter', () => {
  it.each([
    ['10.0.0.5,10.0.0.0/24', '10.0.0.5', true],
    ['10.0.0.5,10.0.0.0/24', '10.0.0.200', true],
    ['10.0.0.5,10.0.0.0/24', '10.0.1.1', false],
    ['10.0.0.5', '10.0.0.6', false],
    ['127.0.0.1', '127.0.0.2', false],
    ['127.0.0.0/8', '127.0.0.2', true],
    ['0.0.0.0/0', '203.0.113.9', true],
    ['10.0.0.0/24', '::ffff:10.0.0.7', true],
    ['10.0.0.0/24', '::ffff:a00:7', true],
    ['fd00::/8', 'fd12:3456::1', true],
    ['fd00::/8', 'fe80::1', false],
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['::1', '::1', true],
    ['::1', '127.0.0.1', false],
    ['2001:db8::1', '2001:0db8:0000:0000:0000:0000:0000:0001', true],
    ['10.0.0.0/24', 'not-an-address', false],
  ])('%s allows %s: %s', (list, address, expected) => {
    expect(AddressFilter.parse(list).allows(address)).toBe(expected);
  });

  it('an empty list allows everything', () => {
    expect(AddressFilter.parse('').allows('198.51.100.1')).toBe(true);
  });

  it.each([
    ['10.0.0.256', '"10.0.0.256" is not an IP address or CIDR block (e.g. 10.0.0.0/24, fd00::/8)'],
    ['10.0.0.0/33', '"10.0.0.0/33": the prefix length must be 0-32'],
    ['fd00::/129', '"fd00::/129": the prefix length must be 0-128'],
    ['1:2:3:4:5:6:7:8:9', '"1:2:3:4:5:6:7:8:9" is not an IP address or CIDR block (e.g. 10.0.0.0/24, fd00::/8)'],
    ['exchange.example.com', '"exchange.example.com" is not an IP address or CIDR block (e.g. 10.0.0.0/24, fd00::/8)'],
  ])('rejects %s', (entry, message) => {
    expect(() => AddressFilter.parse(entry)).toThrow(new AddressFilterError(message));
  });
});

describe('message-summary (RFC 3842)', () => {
  it('reads the RFC 3842 §5.2 example', () => {
    const s = parseMessageSummary('Messages-Waiting: yes\r\nMessage-Account: sip:alice@vmail.example.com\r\nVoice-Message: 2/8 (0/2)\r\n');
    expect(s).toEqual({
      waiting: true, account: 'sip:alice@vmail.example.com',
      classes: { 'voice-message': { newMessages: 2, oldMessages: 8, newUrgent: 0, oldUrgent: 2 } },
      voice: { newMessages: 2, oldMessages: 8, newUrgent: 0, oldUrgent: 2 },
    });
    expect(describeMessageSummary(s)).toBe('voicemail waiting: 2 new, 8 old (urgent: 0 new, 2 old)');
  });

  it('reads upper-case names, no urgent counts, other classes and stops at the message headers', () => {
    const s = parseMessageSummary('MESSAGES-WAITING: yes\nVOICE-MESSAGE: 2/8\nFax-Message: 1/0\n\nTo: <sip:alice@example.com>\nVoice-Message: 9/9\n');
    expect(s.voice).toEqual({ newMessages: 2, oldMessages: 8 });
    expect(s.classes['fax-message']).toEqual({ newMessages: 1, oldMessages: 0 });
    expect(describeMessageSummary(s)).toBe('voicemail waiting: 2 new, 8 old');
  });

  it('says when nothing waits', () => {
    expect(describeMessageSummary(parseMessageSummary('Messages-Waiting: no\r\nVoice-Message: 0/3\r\n'))).toBe('no voicemail waiting (3 old)');
  });

  it('refuses a body without Messages-Waiting', () => {
    expect(() => parseMessageSummary('Voice-Message: 1/0\r\n')).toThrow(new MessageSummaryError('the message-summary body has no Messages-Waiting line (RFC 3842 §5.2)'));
  });
});

describe('Refer-To', () => {
  const refer = (...referTo: string[]) => createRequest({ method: 'REFER', uri: 'sip:x@h', headers: referTo.map((v) => ['Refer-To', v] as [string, string]) });

  it('takes the URI without its headers and keeps Replaces', () => {
    expect(parseReferTo(refer('<sip:op@127.0.0.1:5099;transport=tcp>'))).toEqual({ target: 'sip:op@127.0.0.1:5099;transport=tcp', referTo: '<sip:op@127.0.0.1:5099;transport=tcp>' });
    const r = parseReferTo(refer('"Operator" <sip:op@pbx.example.com?Replaces=abc%40h%3Bto-tag%3D1%3Bfrom-tag%3D2>'));
    expect(r.target).toBe('sip:op@pbx.example.com');
    expect(r.replaces).toBe('abc@h;to-tag=1;from-tag=2');
  });

  it.each([[[]], [['<sip:a@h>', '<sip:b@h>']]])('needs exactly one Refer-To (RFC 3515 §2.4.1): %j', (values) => {
    expect(() => parseReferTo(refer(...values))).toThrow(ReferError);
  });
});

describe('recordPathFor', () => {
  it.each([
    ['in-{n}.wav', 3, 'abc@h', 'in-3.wav'],
    ['{callid}.wav', 1, 'a/b c@10.0.0.1', 'a_b_c_10.0.0.1.wav'],
    ['{n}-{call-id}-{n}.wav', 2, 'x', '2-x-2.wav'],
    ['fixed.wav', 9, 'x', 'fixed.wav'],
  ])('%s for call %i (%s) is %s', (template, n, callId, expected) => {
    expect(recordPathFor(template, n, callId)).toBe(expected);
  });
});
