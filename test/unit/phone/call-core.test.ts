/**
 * The call core's one guarded state change and its one end: every legal move, every illegal one
 * throwing, `finish` keeping the first reason, and `answered` always settled.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { Pacer } from '../../../src/rtp/pacer.js';
import { CallCore } from '../../../src/phone/call-core.js';
import { CallFailedError, CallStateError, type CallState, type CallSummary, type RedirectHop } from '../../../src/phone/call-types.js';
import type { CallEndReason } from '../../../src/phone/end-reason.js';

class Probe extends CallCore {
  constructor(initial: CallState) {
    const clock = new ManualClock();
    super({ clock, pacer: new Pacer({ clock }), mediaAddress: '192.0.2.1', openSocket: () => Promise.reject(new Error('no media here')) }, initial, {});
  }
  get callId(): string {
    return 'probe@192.0.2.1';
  }
  hangup(): Promise<CallSummary> {
    return this.ended;
  }
  protected summaryTarget(): { target: string; redirects: RedirectHop[] } {
    return { target: 'sip:probe@192.0.2.1', redirects: [] };
  }
  go(next: CallState): void {
    this.moveTo(next);
  }
  answer(): void {
    this.markAnswered();
  }
  finishWith(reason: CallEndReason): void {
    this.finish(reason);
  }
}

const ALL: CallState[] = ['calling', 'ringing', 'answered', 'ending', 'ended'];
const LEGAL: Record<CallState, CallState[]> = {
  calling: ['ringing', 'answered', 'ending', 'ended'],
  ringing: ['answered', 'ending', 'ended'],
  answered: ['ending', 'ended'],
  ending: ['ended'],
  ended: [],
};
const moves = ALL.flatMap((from) => ALL.filter((to) => to !== from).map((to) => [from, to, LEGAL[from].includes(to)] as const));

describe('CallCore state', () => {
  it.each(moves)('%s → %s is allowed: %s', (from, to, legal) => {
    const p = new Probe(from);
    if (legal) {
      p.go(to);
      expect(p.state).toBe(to);
    } else {
      expect(() => p.go(to)).toThrow(new CallStateError(`a call cannot go from ${from} to ${to}`));
      expect(p.state).toBe(from);
    }
  });

  it('ends once: the first reason stays, `answered` rejects with it, `ended` resolves with it', async () => {
    const p = new Probe('ringing');
    const ended: CallEndReason[] = [];
    p.onEvent((e) => { if (e.type === 'ended') ended.push(e.end); });
    p.finishWith({ kind: 'cancelled', by: 'remote' });
    p.finishWith({ kind: 'hangup', by: 'local' });
    expect(ended).toEqual([{ kind: 'cancelled', by: 'remote' }]);
    const err = await p.answered.catch((e: unknown) => e as CallFailedError);
    expect(err).toBeInstanceOf(CallFailedError);
    expect((err as CallFailedError).message).toBe('the caller cancelled the call before it was answered');
    const s = await p.ended;
    expect(s.state).toBe('ended');
    expect(s.end).toEqual({ kind: 'cancelled', by: 'remote' });
    expect(s.endedBy).toBe('remote (CANCEL)');
  });

  it('an answered call that ends resolves `answered` and does not reject it later', async () => {
    const p = new Probe('calling');
    p.answer();
    p.finishWith({ kind: 'media-timeout', after: 30_000 });
    await expect(p.answered).resolves.toBeUndefined();
    expect((await p.ended).endedBy).toBe('media timeout (no RTP for 30 s)');
  });
});
