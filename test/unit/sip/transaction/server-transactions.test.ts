import { describe, expect, it } from 'vitest';
import { InviteServerTransaction } from '../../../../src/sip/transaction/invite-server.js';
import { NonInviteServerTransaction } from '../../../../src/sip/transaction/non-invite-server.js';
import type { TransactionTimeoutError } from '../../../../src/sip/transaction/transaction.js';
import { describeSent, environment, req, res } from './fixtures.js';

const trying = (invite: ReturnType<typeof req>) => res(invite, 100);

describe('INVITE server transaction (RFC 3261 §17.2.1, RFC 6026)', () => {
  it('sends 100 Trying after 200 ms when the TU has not answered', () => {
    const { clock, sent, env } = environment(false);
    const invite = req('INVITE');
    const tx = new InviteServerTransaction('k', invite, env, trying);
    tx.start();
    clock.advance(199);
    expect(sent).toHaveLength(0);
    clock.advance(1);
    expect(sent.map((s) => describeSent(s.message))).toEqual(['100']);
    // A retransmitted INVITE gets the latest provisional again.
    tx.handle({ type: 'request', request: invite });
    expect(sent.map((s) => describeSent(s.message))).toEqual(['100', '100']);
  });

  it('sends no 100 Trying when the TU answers within 200 ms', () => {
    const { clock, sent, env } = environment(false);
    const invite = req('INVITE');
    const tx = new InviteServerTransaction('k', invite, env, trying);
    tx.start();
    clock.advance(50);
    tx.respond(res(invite, 180));
    clock.advance(1000);
    expect(sent.map((s) => describeSent(s.message))).toEqual(['180']);
  });

  it('retransmits a 3xx-6xx with Timer G (500, 1500, 3500, 7500, 11500 ...) until the ACK, then absorbs ACKs for T4', () => {
    const { clock, sent, env, terminated } = environment(false);
    const invite = req('INVITE');
    const tx = new InviteServerTransaction('k', invite, env, trying);
    tx.start();
    tx.respond(res(invite, 486));
    clock.advance(12_000);
    expect(sent.map((s) => s.at)).toEqual([0, 500, 1500, 3500, 7500, 11500]);
    // An INVITE retransmission in Completed gets the final response again.
    tx.handle({ type: 'request', request: invite });
    expect(sent).toHaveLength(7);
    tx.handle({ type: 'request', request: req('ACK') });
    expect(tx.state).toBe('confirmed');
    clock.advance(4_999);
    tx.handle({ type: 'request', request: req('ACK') });
    expect(sent).toHaveLength(7);
    expect(tx.state).toBe('confirmed');
    clock.advance(1);
    expect(tx.state).toBe('terminated');
    expect(terminated).toEqual(['k']);
  });

  it('gives up with Timer H at 64*T1 when no ACK comes, and tells the TU', () => {
    const { clock, env } = environment(false);
    const invite = req('INVITE');
    const tx = new InviteServerTransaction('k', invite, env, trying);
    const timeouts: TransactionTimeoutError[] = [];
    tx.user = { onTimeout: (e) => timeouts.push(e) };
    tx.start();
    tx.respond(res(invite, 603));
    clock.advance(31_999);
    expect(tx.state).toBe('completed');
    clock.advance(1);
    expect(tx.state).toBe('terminated');
    expect(timeouts.map((e) => e.timer)).toEqual(['H']);
  });

  it('over TCP: no Timer G retransmission, Timer I is zero', () => {
    const { clock, sent, env } = environment(true);
    const invite = req('INVITE');
    const tx = new InviteServerTransaction('k', invite, env, trying);
    tx.start();
    tx.respond(res(invite, 404));
    clock.advance(10_000);
    expect(sent).toHaveLength(1);
    tx.handle({ type: 'request', request: req('ACK') });
    expect(tx.state).toBe('terminated');
  });

  it('2xx: Accepted absorbs INVITE retransmissions, sends the TU\'s 2xx retransmissions, ends after Timer L', () => {
    const { clock, sent, env } = environment(false);
    const invite = req('INVITE');
    const tx = new InviteServerTransaction('k', invite, env, trying);
    tx.start();
    tx.respond(res(invite, 200));
    expect(tx.state).toBe('accepted');
    tx.handle({ type: 'request', request: invite });
    tx.respond(res(invite, 200));
    expect(sent.map((s) => describeSent(s.message))).toEqual(['200', '200']);
    expect(() => tx.respond(res(invite, 486))).toThrow('INVITE server: no transition from state "accepted" on event "respond 486"');
    clock.advance(32_000);
    expect(tx.state).toBe('terminated');
  });

  it('reports a transport error to the TU (§17.2.4)', async () => {
    const { env } = environment(false, true);
    const invite = req('INVITE');
    const tx = new InviteServerTransaction('k', invite, env, trying);
    const errors: string[] = [];
    tx.user = { onTransportError: (e) => errors.push(e.message) };
    tx.start();
    tx.respond(res(invite, 500));
    await Promise.resolve();
    await Promise.resolve();
    expect(errors).toEqual(['Send failed: connection refused']);
    expect(tx.state).toBe('terminated');
  });
});

describe('non-INVITE server transaction (RFC 3261 §17.2.2)', () => {
  it('absorbs retransmissions in Trying, resends the provisional in Proceeding and the final in Completed', () => {
    const { clock, sent, env } = environment(false);
    const r = req('REGISTER');
    const tx = new NonInviteServerTransaction('k', r, env);
    tx.start();
    tx.handle({ type: 'request', request: r });
    expect(sent).toHaveLength(0);
    tx.respond(res(r, 100));
    tx.handle({ type: 'request', request: r });
    tx.respond(res(r, 200));
    tx.handle({ type: 'request', request: r });
    tx.respond(res(r, 500)); // discarded in Completed
    expect(sent.map((s) => describeSent(s.message))).toEqual(['100', '100', '200', '200']);
    clock.advance(31_999);
    expect(tx.state).toBe('completed');
    clock.advance(1);
    expect(tx.state).toBe('terminated');
  });

  it('over TCP, Timer J is zero', () => {
    const { env } = environment(true);
    const r = req('OPTIONS');
    const tx = new NonInviteServerTransaction('k', r, env);
    tx.respond(res(r, 200));
    expect(tx.state).toBe('terminated');
  });
});
