import { describe, expect, it } from 'vitest';
import { InviteClientTransaction, buildNonSuccessAck } from '../../../../src/sip/transaction/invite-client.js';
import { NonInviteClientTransaction } from '../../../../src/sip/transaction/non-invite-client.js';
import { IllegalTransitionError } from '../../../../src/sip/transaction/transaction.js';
import { describeSent, environment, recordingUser, req, res } from './fixtures.js';

describe('INVITE client transaction (RFC 3261 §17.1.1, RFC 6026)', () => {
  it('retransmits over UDP at 500, 1500, 3500, 7500, 15500, 31500 ms and times out with Timer B at 32000 ms', () => {
    const { clock, sent, env, terminated } = environment(false);
    const user = recordingUser();
    const tx = new InviteClientTransaction('k', req('INVITE'), env, user.tu);
    tx.start();
    clock.advance(40_000);
    expect(sent.map((s) => s.at)).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(sent.every((s) => describeSent(s.message) === 'INVITE')).toBe(true);
    expect(user.timeouts.map((e) => e.timer)).toEqual(['B']);
    expect(user.timeouts[0]!.message).toBe('INVITE transaction timed out (Timer B fired)');
    expect(clock.now()).toBe(40_000);
    expect(tx.state).toBe('terminated');
    expect(terminated).toEqual(['k']);
  });

  it('Timer B fires at exactly 32000 ms', () => {
    const { clock, env } = environment(false);
    const user = recordingUser();
    new InviteClientTransaction('k', req('INVITE'), env, user.tu).start();
    clock.advance(31_999);
    expect(user.timeouts).toHaveLength(0);
    clock.advance(1);
    expect(user.timeouts).toHaveLength(1);
  });

  it('does not retransmit over TCP, still times out with Timer B', () => {
    const { clock, sent, env } = environment(true);
    const user = recordingUser();
    new InviteClientTransaction('k', req('INVITE'), env, user.tu).start();
    clock.advance(31_999);
    expect(sent).toHaveLength(1);
    clock.advance(1);
    expect(user.timeouts.map((e) => e.timer)).toEqual(['B']);
  });

  it('stops retransmitting on a provisional response and passes it up', () => {
    const { clock, sent, env } = environment(false);
    const user = recordingUser();
    const invite = req('INVITE');
    const tx = new InviteClientTransaction('k', invite, env, user.tu);
    tx.start();
    clock.advance(600);
    tx.handle({ type: 'response', response: res(invite, 180) });
    clock.advance(60_000);
    expect(sent.map((s) => s.at)).toEqual([0, 500]);
    expect(user.responses).toEqual([180]);
    expect(tx.state).toBe('proceeding');
    expect(user.timeouts).toHaveLength(0);
  });

  it('ACKs a non-2xx final in the transaction (same branch), re-ACKs retransmissions, ends after Timer D (32 s)', () => {
    const { clock, sent, env, terminated } = environment(false);
    const user = recordingUser();
    const invite = req('INVITE', 'z9hG4bKinv');
    const tx = new InviteClientTransaction('k', invite, env, user.tu);
    tx.start();
    tx.handle({ type: 'response', response: res(invite, 100) });
    tx.handle({ type: 'response', response: res(invite, 486, 'busy') });
    expect(tx.state).toBe('completed');
    const ack = sent[1]!.message;
    expect(ack.kind === 'request' && ack.method).toBe('ACK');
    expect(ack.kind === 'request' && ack.uri).toBe(invite.uri);
    expect(ack.headers.getLines('Via')).toEqual(['SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKinv;rport']);
    expect(ack.headers.get('To')).toBe('<sip:bob@example.com>;tag=busy');
    expect(ack.headers.get('CSeq')).toBe('1 ACK');
    expect(ack.headers.get('Route')).toBe('<sip:proxy.example.com;lr>');
    expect(ack.headers.get('Call-ID')).toBe('call-1@192.0.2.1');
    clock.advance(1000);
    tx.handle({ type: 'response', response: res(invite, 486, 'busy') });
    expect(sent.map((s) => describeSent(s.message))).toEqual(['INVITE', 'ACK', 'ACK']);
    expect(user.responses).toEqual([100, 486]);
    clock.advance(30_999);
    expect(tx.state).toBe('completed');
    clock.advance(1);
    expect(tx.state).toBe('terminated');
    expect(terminated).toEqual(['k']);
  });

  it('over TCP, Timer D is zero: terminated right after the non-2xx', () => {
    const { env } = environment(true);
    const user = recordingUser();
    const invite = req('INVITE');
    const tx = new InviteClientTransaction('k', invite, env, user.tu);
    tx.start();
    tx.handle({ type: 'response', response: res(invite, 404) });
    expect(tx.state).toBe('terminated');
    expect(user.responses).toEqual([404]);
  });

  it('passes 2xx and its retransmissions up in Accepted, terminates after Timer M (64*T1)', () => {
    const { clock, sent, env } = environment(false);
    const user = recordingUser();
    const invite = req('INVITE');
    const tx = new InviteClientTransaction('k', invite, env, user.tu);
    tx.start();
    tx.handle({ type: 'response', response: res(invite, 200) });
    expect(tx.state).toBe('accepted');
    tx.handle({ type: 'response', response: res(invite, 200) });
    tx.handle({ type: 'response', response: res(invite, 486) });
    expect(user.responses).toEqual([200, 200]);
    expect(sent).toHaveLength(1); // the ACK for a 2xx is the TU's business (§13.2.2.4)
    clock.advance(32_000);
    expect(tx.state).toBe('terminated');
  });

  it('reports a transport error to the TU and terminates (§17.1.4)', async () => {
    const { env } = environment(false, true);
    const user = recordingUser();
    const tx = new InviteClientTransaction('k', req('INVITE'), env, user.tu);
    tx.start();
    await Promise.resolve();
    await Promise.resolve();
    expect(user.transportErrors.map((e) => e.message)).toEqual(['Send failed: connection refused']);
    expect(tx.state).toBe('terminated');
    expect(user.terminated()).toBe(1);
  });

  it('throws on an illegal event', () => {
    const { env } = environment(false);
    const tx = new InviteClientTransaction('k', req('INVITE'), env, recordingUser().tu);
    tx.start();
    expect(() => tx.handle({ type: 'timer', timer: 'K' })).toThrow(IllegalTransitionError);
    expect(() => tx.handle({ type: 'timer', timer: 'K' })).toThrow('INVITE client: no transition from state "calling" on event "Timer K"');
  });

  it('builds the ACK from the top Via only when the INVITE has several in one line', () => {
    const invite = req('INVITE');
    invite.headers.set('Via', 'SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/UDP b.example.com;branch=z9hG4bK2');
    expect(buildNonSuccessAck(invite, res(invite, 500)).headers.getLines('Via')).toEqual(['SIP/2.0/UDP a.example.com;branch=z9hG4bK1']);
  });
});

describe('non-INVITE client transaction (RFC 3261 §17.1.2)', () => {
  it('retransmits at 500, 1500, 3500, 7500, 11500, 15500 ... (E doubling up to T2) and times out with F at 32000 ms', () => {
    const { clock, sent, env } = environment(false);
    const user = recordingUser();
    const tx = new NonInviteClientTransaction('k', req('OPTIONS'), env, user.tu);
    tx.start();
    clock.advance(40_000);
    expect(sent.map((s) => s.at)).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(user.timeouts.map((e) => [e.timer, e.message])).toEqual([['F', 'OPTIONS transaction timed out (Timer F fired)']]);
    expect(tx.state).toBe('terminated');
  });

  it('in Proceeding retransmits every T2', () => {
    const { clock, sent, env } = environment(false);
    const user = recordingUser();
    const r = req('REGISTER');
    const tx = new NonInviteClientTransaction('k', r, env, user.tu);
    tx.start();
    clock.advance(100);
    tx.handle({ type: 'response', response: res(r, 100) });
    clock.advance(13_000);
    expect(sent.map((s) => s.at)).toEqual([0, 500, 4500, 8500, 12500]);
    expect(tx.state).toBe('proceeding');
  });

  it('absorbs final response retransmissions in Completed, terminates after K = T4 on UDP', () => {
    const { clock, sent, env } = environment(false);
    const user = recordingUser();
    const r = req('OPTIONS');
    const tx = new NonInviteClientTransaction('k', r, env, user.tu);
    tx.start();
    tx.handle({ type: 'response', response: res(r, 200) });
    tx.handle({ type: 'response', response: res(r, 200) });
    expect(user.responses).toEqual([200]);
    clock.advance(4_999);
    expect(tx.state).toBe('completed');
    clock.advance(1);
    expect(tx.state).toBe('terminated');
    expect(sent).toHaveLength(1);
  });

  it('over TCP: no retransmission, F at 32 s, K = 0', () => {
    const { clock, sent, env } = environment(true);
    const user = recordingUser();
    const r = req('OPTIONS');
    const tx = new NonInviteClientTransaction('k', r, env, user.tu);
    tx.start();
    clock.advance(31_999);
    expect(sent).toHaveLength(1);
    tx.handle({ type: 'response', response: res(r, 404) });
    expect(tx.state).toBe('terminated');
    expect(user.responses).toEqual([404]);
  });
});
