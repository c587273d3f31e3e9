import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../src/util/clock.js';
import { createRequest, createResponse, getTopVia, randomTag, type SipRequest, type SipResponse } from '../../../../src/sip/message/index.js';
import { SipEndpoint, type IncomingRequest } from '../../../../src/sip/transaction/endpoint.js';
import { buildCancel } from '../../../../src/sip/transaction/invite-client.js';
import type { TraceEvent, TransportProtocol } from '../../../../src/sip/transport/transport.js';
import { MemoryNetwork } from '../../../support/memory-network.js';
import { recordingUser } from './fixtures.js';

function pair(protocol: TransportProtocol = 'udp') {
  const clock = new ManualClock();
  const net = new MemoryNetwork(clock);
  const validation = { supported: [], acceptTypes: ['application/sdp'], methods: ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS'] };
  const alice = new SipEndpoint({ clock, transports: [net.createTransport('192.0.2.1', 5060, protocol)], validation });
  const bob = new SipEndpoint({ clock, transports: [net.createTransport('192.0.2.2', 5060, protocol)], validation });
  const incoming: IncomingRequest[] = [];
  const acks: SipRequest[] = [];
  bob.onAck((a) => acks.push(a));
  const toBob = { protocol, address: '192.0.2.2', port: 5060 };
  return { clock, net, alice, bob, incoming, acks, toBob };
}

function request(method: string, cseq = 1): SipRequest {
  return createRequest({
    method,
    uri: 'sip:bob@192.0.2.2',
    headers: [
      ['Max-Forwards', '70'],
      ['From', `<sip:alice@192.0.2.1>;tag=${randomTag()}`],
      ['To', '<sip:bob@192.0.2.2>'],
      ['Call-ID', `call-${Math.random()}`],
      ['CSeq', `${cseq} ${method}`],
    ],
  });
}

const answer = (r: IncomingRequest, status: number): void =>
  r.transaction.respond(createResponse(r.request, status, undefined, { toTag: 'bobtag' }));

describe('SipEndpoint over the memory network', () => {
  it('a lost INVITE is retransmitted at 500 ms; the 486 is ACKed in the transaction', () => {
    const { clock, net, alice, bob, toBob } = pair();
    const seen: IncomingRequest[] = [];
    bob.onRequest((r) => {
      seen.push(r);
      answer(r, 486);
    });
    const user = recordingUser();
    net.dropNext();
    const tx = alice.request(request('INVITE'), toBob, user.tu);
    clock.advance(499);
    expect(seen).toHaveLength(0);
    clock.advance(1);
    expect(seen).toHaveLength(1);
    expect(user.responses).toEqual([486]);
    expect(net.log.map((p) => [p.at, p.summary, p.dropped])).toEqual([
      [0, 'INVITE', true],
      [500, 'INVITE', false],
      [500, '486', false],
      [500, 'ACK', false],
    ]);
    expect(tx.state).toBe('completed');
    expect(bob.layer.counts.server).toBe(1);
    clock.advance(5000); // Timer I (T4) ends Bob's Confirmed state
    expect(bob.layer.counts.server).toBe(0);
    clock.advance(32_000);
    expect(alice.layer.counts.client).toBe(0);
  });

  it('a duplicated INVITE reaches the TU once; the copy gets the final response again', () => {
    const { clock, net, alice, bob, toBob } = pair();
    let calls = 0;
    bob.onRequest((r) => {
      calls++;
      answer(r, 603);
    });
    const user = recordingUser();
    net.duplicateNext();
    alice.request(request('INVITE'), toBob, user.tu);
    clock.advance(0);
    expect(calls).toBe(1);
    expect(net.summaries()).toEqual(['INVITE', '603', '603', 'ACK', 'ACK']);
    expect(user.responses).toEqual([603]);
  });

  it('the server sends 100 Trying after 200 ms while its TU thinks', () => {
    const { clock, net, alice, bob, toBob } = pair();
    let pending: IncomingRequest | undefined;
    bob.onRequest((r) => (pending = r));
    const user = recordingUser();
    alice.request(request('INVITE'), toBob, user.tu);
    clock.advance(200);
    expect(user.responses).toEqual([100]);
    answer(pending!, 180);
    clock.advance(0);
    expect(user.responses).toEqual([100, 180]);
    clock.advance(10_000);
    expect(net.summaries()).toEqual(['INVITE', '100', '180']); // no retransmission after the 100
  });

  it('a lost 200 to OPTIONS is recovered by the Timer E retransmission answered from the Completed state', () => {
    const { clock, net, alice, bob, toBob } = pair();
    let calls = 0;
    bob.onRequest((r) => {
      calls++;
      answer(r, 200);
    });
    const user = recordingUser();
    net.setLoss((p) => p.summary === '200' && p.at === 0);
    alice.request(request('OPTIONS'), toBob, user.tu);
    clock.advance(500);
    expect(user.responses).toEqual([200]);
    expect(calls).toBe(1);
    expect(net.summaries({ deliveredOnly: true })).toEqual(['OPTIONS', 'OPTIONS', '200']);
  });

  it('total loss: Timer B after 32 s, with every retransmission instant', () => {
    const { clock, net, alice, toBob } = pair();
    net.setLoss(() => true);
    const user = recordingUser();
    alice.request(request('INVITE'), toBob, user.tu);
    clock.advance(40_000);
    expect(net.log.map((p) => p.at)).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(user.timeouts.map((e) => e.timer)).toEqual(['B']);
  });

  it('the ACK for a 2xx is passed to the TU (onAck), not absorbed', () => {
    const { clock, alice, bob, acks, toBob } = pair();
    bob.onRequest((r) => answer(r, 200));
    const invite = request('INVITE');
    const got: SipResponse[] = [];
    alice.request(invite, toBob, { ...recordingUser().tu, onResponse: (r) => got.push(r) });
    clock.advance(0);
    expect(got.map((r) => r.status)).toEqual([200]);
    const ack = createRequest({
      method: 'ACK',
      uri: 'sip:bob@192.0.2.2',
      headers: [
        ['Max-Forwards', '70'],
        ['From', invite.headers.get('From')!],
        ['To', got[0]!.headers.get('To')!],
        ['Call-ID', invite.headers.get('Call-ID')!],
        ['CSeq', '1 ACK'],
      ],
    });
    void alice.sendStateless(ack, toBob);
    clock.advance(0);
    expect(acks.map((a) => a.method)).toEqual(['ACK']);
    expect(getTopVia(acks[0]!)?.params.get('branch')).not.toBe(getTopVia(invite)?.params.get('branch'));
  });

  it('CANCEL matches its INVITE server transaction; the TU answers 200 and 487', () => {
    const { clock, net, alice, bob, toBob } = pair();
    bob.onRequest((r) => {
      if (r.request.method === 'INVITE') return answer(r, 180);
      expect(r.request.method).toBe('CANCEL');
      expect(r.cancels).toBeDefined();
      answer(r, 200);
      r.cancels!.respond(createResponse(r.cancels!.request, 487, undefined, { toTag: 'bobtag' }));
    });
    const invite = request('INVITE');
    const inviteUser = recordingUser();
    alice.request(invite, toBob, inviteUser.tu);
    clock.advance(0);
    const cancel = buildCancel(invite);
    expect(cancel.headers.get('CSeq')).toBe('1 CANCEL');
    expect(cancel.headers.get('Via')).toBe(invite.headers.get('Via'));
    const cancelUser = recordingUser();
    alice.request(cancel, toBob, cancelUser.tu);
    clock.advance(0);
    expect(cancelUser.responses).toEqual([200]);
    expect(inviteUser.responses).toEqual([180, 487]);
    expect(net.summaries()).toEqual(['INVITE', '180', 'CANCEL', '200', '487', 'ACK']);
  });

  it('a CANCEL matching nothing gets 481', () => {
    const { clock, alice, bob, toBob } = pair();
    bob.onRequest(() => {
      throw new Error('must not reach the TU');
    });
    const user = recordingUser();
    alice.request(request('CANCEL'), toBob, user.tu);
    clock.advance(0);
    expect(user.responses).toEqual([481]);
  });

  it('validateRequest failures get their response through a server transaction (501 with Allow)', () => {
    const { clock, net, alice, bob, toBob } = pair();
    bob.onRequest(() => {
      throw new Error('must not reach the TU');
    });
    const got: SipResponse[] = [];
    alice.request(request('FROBNICATE'), toBob, { ...recordingUser().tu, onResponse: (r) => got.push(r) });
    clock.advance(0);
    expect(got.map((r) => [r.status, r.headers.get('Allow')])).toEqual([[501, 'INVITE, ACK, CANCEL, BYE, OPTIONS']]);
    expect(net.summaries()).toEqual(['FROBNICATE', '501']);
  });

  it('over a reliable transport: no retransmission, and a refused connection reaches the TU', async () => {
    const { clock, net, alice } = pair('tcp');
    const user = recordingUser();
    alice.request(request('OPTIONS'), { protocol: 'tcp', address: '192.0.2.99', port: 5060 }, user.tu);
    await Promise.resolve();
    await Promise.resolve();
    expect(user.transportErrors.map((e) => e.message)).toEqual(['Connection refused by 192.0.2.99:5060']);
    clock.advance(40_000);
    expect(net.log).toHaveLength(0);
  });

  it('TCP: the INVITE is sent once, and Timer B still ends it', () => {
    const { clock, net, alice, bob, toBob } = pair('tcp');
    bob.onRequest(() => undefined); // a TU that never answers: the 100 Trying is all
    const user = recordingUser();
    alice.request(request('INVITE'), toBob, user.tu);
    clock.advance(40_000);
    expect(net.summaries()).toEqual(['INVITE', '100']);
    expect(user.responses).toEqual([100]);
    expect(user.timeouts).toHaveLength(0); // Proceeding has no Timer B: the TU's own timer decides
  });

  it('answers unparseable bytes 400 with the parser\'s reason, and keeps serving', () => {
    const { clock, net, alice, bob } = pair();
    bob.onRequest((r) => answer(r, 200));
    const raw = Buffer.from(
      'OPTIONS sip:bob@192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKraw\r\nCall-ID: raw@x\r\nCSeq: 1 OPTIONS\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nBad header line\r\nContent-Length: 0\r\n\r\n',
    );
    const responses: SipResponse[] = [];
    alice.onStrayResponse((r) => responses.push(r));
    void alice.transport('udp')!.send(raw, { address: '192.0.2.2', port: 5060 });
    clock.advance(0);
    expect(responses.map((r) => [r.status, r.reason])).toEqual([[400, "Header line has no ':'"]]);
    expect(responses[0]!.headers.get('Warning')).toBe('399 192.0.2.2 "Header line has no \':\'"');
    const user = recordingUser();
    alice.request(request('OPTIONS'), { protocol: 'udp', address: '192.0.2.2', port: 5060 }, user.tu);
    clock.advance(0);
    expect(user.responses).toEqual([200]);
    expect(net.summaries()).toEqual(['unparseable', '400', 'OPTIONS', '200']);
  });

  it('traces every message in and out', () => {
    const { clock, alice, bob, toBob } = pair();
    bob.onRequest((r) => answer(r, 200));
    const trace: TraceEvent[] = [];
    alice.onTrace((e) => trace.push(e));
    alice.request(request('OPTIONS'), toBob, recordingUser().tu);
    clock.advance(0);
    expect(trace.map((t) => [t.direction, t.remote.address, t.bytes.toString('latin1').split(' ')[0]])).toEqual([
      ['out', '192.0.2.2', 'OPTIONS'],
      ['in', '192.0.2.2', 'SIP/2.0'],
    ]);
    expect(trace[0]!.timestamp).toBe(clock.wallNow());
  });

  it('adds received when the Via host is not the source address (RFC 3261 §18.2.1) and fills rport (RFC 3581)', () => {
    const { clock, alice, bob, toBob } = pair();
    let via: string | undefined;
    bob.onRequest((r) => {
      via = r.request.headers.get('Via');
      answer(r, 200);
    });
    const req = request('OPTIONS');
    req.headers.prepend('Via', 'SIP/2.0/UDP 10.0.0.7:5060;branch=z9hG4bKnat;rport');
    const user = recordingUser();
    // Bob answers to received:rport (192.0.2.1:5060), where Alice listens, not to 10.0.0.7.
    alice.request(req, toBob, user.tu);
    clock.advance(0);
    expect(via).toBe('SIP/2.0/UDP 10.0.0.7:5060;branch=z9hG4bKnat;rport=5060;received=192.0.2.1');
    expect(user.responses).toEqual([200]);
  });

  it('a merged request (same From tag, Call-ID, CSeq; other branch; no To tag) gets 482 (§8.2.2.2)', () => {
    const { clock, alice, bob, toBob } = pair();
    let calls = 0;
    bob.onRequest(() => calls++); // the first INVITE stays in Proceeding
    const first = request('INVITE');
    alice.request(first, toBob, recordingUser().tu);
    const second = createRequest({
      method: 'INVITE',
      uri: first.uri,
      headers: first.headers.fields.filter((f) => f.name !== 'Via' && f.name !== 'Content-Length').map((f) => [f.name, f.value] as [string, string]),
    });
    const user = recordingUser();
    alice.request(second, toBob, user.tu);
    clock.advance(0);
    expect(calls).toBe(1);
    expect(user.responses).toEqual([482]);
  });

  it('a CANCEL after the final response has no effect on the INVITE and is answered 200 (§9.2)', () => {
    const { clock, alice, bob, toBob } = pair();
    const seen: string[] = [];
    bob.onRequest((r) => {
      seen.push(r.request.method);
      answer(r, 486);
    });
    const invite = request('INVITE');
    alice.request(invite, toBob, recordingUser().tu);
    clock.advance(0);
    const cancel = createRequest({
      method: 'CANCEL',
      uri: invite.uri,
      headers: [
        ['Via', invite.headers.get('Via')!],
        ['Max-Forwards', '70'],
        ['From', invite.headers.get('From')!],
        ['To', invite.headers.get('To')!],
        ['Call-ID', invite.headers.get('Call-ID')!],
        ['CSeq', '1 CANCEL'],
      ],
    });
    const user = recordingUser();
    alice.request(cancel, toBob, user.tu);
    clock.advance(0);
    expect(user.responses).toEqual([200]);
    expect(seen).toEqual(['INVITE']);
  });

  it('discards a stray response whose top Via is not ours (§18.1.2)', () => {
    const { clock, net, alice } = pair();
    const strays: string[] = [];
    alice.onStrayResponse((r) => strays.push(r.headers.get('Via')!));
    const mine = request('OPTIONS');
    mine.headers.prepend('Via', 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKmine');
    const foreign = request('OPTIONS');
    foreign.headers.prepend('Via', 'SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKother');
    const injector = net.createTransport('192.0.2.9', 5060);
    void injector.send(createResponse(mine, 200), { address: '192.0.2.1', port: 5060 });
    void injector.send(createResponse(foreign, 200), { address: '192.0.2.1', port: 5060 });
    clock.advance(0);
    expect(strays).toEqual(['SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKmine']);
  });
});
