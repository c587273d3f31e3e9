import { describe, expect, it } from 'vitest';
import { Dialog, DialogError } from '../../../../src/sip/dialog/dialog.js';
import { getCSeq, parseMessage, serializeMessage, type SipRequest, type SipResponse } from '../../../../src/sip/message/index.js';

const invite = parseMessage(Buffer.from(
  'INVITE sip:680@um.example.com SIP/2.0\r\n' +
  'Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bKabc\r\n' +
  'Max-Forwards: 70\r\n' +
  'From: "Caller" <sip:111@127.0.0.1>;tag=ltag\r\n' +
  'To: <sip:680@um.example.com>\r\n' +
  'Call-ID: cid@127.0.0.1\r\n' +
  'CSeq: 7 INVITE\r\n' +
  'Contact: <sip:111@127.0.0.1:5070;transport=tcp>\r\n' +
  'Content-Length: 0\r\n\r\n',
)) as SipRequest;

function ok(extra: string): SipResponse {
  return parseMessage(Buffer.from(
    'SIP/2.0 200 OK\r\n' +
    'Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bKabc\r\n' +
    'From: "Caller" <sip:111@127.0.0.1>;tag=ltag\r\n' +
    'To: <sip:680@um.example.com>;tag=rtag\r\n' +
    'Call-ID: cid@127.0.0.1\r\n' +
    'CSeq: 7 INVITE\r\n' + extra +
    'Content-Length: 0\r\n\r\n',
  )) as SipResponse;
}

describe('Dialog (UAC side, RFC 3261 §12.1.2 and §12.2.1.1)', () => {
  it('builds a BYE to the Contact with loose routes reversed from Record-Route', () => {
    const d = Dialog.fromResponse(invite, ok(
      'Record-Route: <sip:p2.example.com;lr>\r\nRecord-Route: <sip:p1.example.com;lr>\r\n' +
      'CONTACT: <sip:680@10.0.0.9:5065;transport=Tcp>\r\n',
    ));
    expect(d.state).toBe('confirmed');
    expect(d.id).toEqual({ callId: 'cid@127.0.0.1', localTag: 'ltag', remoteTag: 'rtag' });
    const bye = d.createRequest('BYE');
    expect(serializeMessage(bye).toString()).toBe(
      'BYE sip:680@10.0.0.9:5065;transport=Tcp SIP/2.0\r\n' +
      'Route: <sip:p1.example.com;lr>\r\n' +
      'Route: <sip:p2.example.com;lr>\r\n' +
      'Max-Forwards: 70\r\n' +
      'From: "Caller" <sip:111@127.0.0.1>;tag=ltag\r\n' +
      'To: <sip:680@um.example.com>;tag=rtag\r\n' +
      'Call-ID: cid@127.0.0.1\r\n' +
      'CSeq: 8 BYE\r\n' +
      'Content-Length: 0\r\n\r\n',
    );
    const ack = d.createRequest('ACK', { cseq: 7 });
    expect(getCSeq(ack)).toEqual({ seq: 7, method: 'ACK' });
    expect(getCSeq(d.createRequest('INFO')).seq).toBe(9);
  });

  it('uses strict routing when the first route has no lr (§12.2.1.1)', () => {
    const d = Dialog.fromResponse(invite, ok('Record-Route: <sip:strict.example.com>\r\nContact: <sip:680@10.0.0.9>\r\n'));
    const bye = d.createRequest('BYE');
    expect(bye.uri).toBe('sip:strict.example.com');
    expect(bye.headers.getLines('Route')).toEqual(['<sip:680@10.0.0.9>']);
  });

  it('refuses to make a dialog without a To tag or Contact', () => {
    const noTag = ok('Contact: <sip:x@y>\r\n');
    noTag.headers.set('To', '<sip:680@um.example.com>');
    expect(() => Dialog.fromResponse(invite, noTag)).toThrow(new DialogError('the 200 response has no To tag: no dialog'));
    expect(() => Dialog.fromResponse(invite, ok(''))).toThrow('the 200 response to INVITE has no Contact');
  });

  it('answers an out-of-order request with 500 and follows target refreshes (§12.2.2)', () => {
    const d = Dialog.fromRequest(invite, 'mytag');
    expect(d.remoteTarget.port).toBe(5070);
    const reinvite = parseMessage(serializeMessage(invite)) as SipRequest;
    reinvite.headers.set('CSeq', '8 INVITE').set('Contact', '<sip:111@127.0.0.1:6000>').set('To', '<sip:680@um.example.com>;tag=mytag');
    expect(d.matchesRequest(reinvite)).toBe(true);
    expect(d.receiveRequest(reinvite)).toBeUndefined();
    expect(d.remoteTarget.port).toBe(6000);
    expect(d.receiveRequest(reinvite)).toBe(500);
    const bye = d.createRequest('BYE');
    expect(bye.headers.get('From')).toBe('<sip:680@um.example.com>;tag=mytag');
    expect(bye.headers.get('To')).toBe('"Caller" <sip:111@127.0.0.1>;tag=ltag');
  });
});
