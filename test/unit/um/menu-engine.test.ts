import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { MenuEngine, type MenuAction, type StoredMessage } from '../../../src/um/menu-engine.js';
import { parseMenuConfig } from '../../../src/um/menu-config.js';

function setup(opts: { messages?: StoredMessage[] } = {}) {
  const clock = new ManualClock();
  const config = parseMenuConfig();
  const actions: MenuAction[] = [];
  const heard: string[] = [];
  const steps: string[] = [];
  let box = [...(opts.messages ?? [])];
  const engine = new MenuEngine({
    config,
    clock,
    messages: {
      newMessages: () => box.filter((m) => !heard.includes(m.id)),
      markHeard: (_mb, id) => { heard.push(id); box = box.filter((m) => m.id !== id); },
    },
    act: (a) => actions.push(a),
    step: (l) => steps.push(l),
  });
  const plays = () => actions.filter((a): a is Extract<MenuAction, { type: 'play' | 'play-message' }> => a.type === 'play' || a.type === 'play-message');
  const lastPlay = () => plays().at(-1)!;
  const prompts = () => plays().map((a) => (a.type === 'play' ? a.prompt : `message:${a.message.id}`));
  /** The current prompt plays to its end. */
  const finish = () => engine.handle({ type: 'prompt-finished', id: lastPlay().id });
  const press = (keys: string) => { for (const d of keys) engine.handle({ type: 'digit', digit: d }); };
  return { clock, engine, actions, heard, steps, prompts, finish, press, lastPlay };
}

describe('MenuEngine routing', () => {
  it.each([
    [{ called: '6000', diverted: '613' }, 'call-answering', 'greeting-613'],
    [{ called: '6000' }, 'subscriber-access', 'enter-extension'],
    [{ called: '6100' }, 'auto-attendant', 'auto-attendant'],
    [{ called: '6000', diverted: '999' }, 'subscriber-access', 'enter-extension'],
  ])('%o → %s', (call, kind, prompt) => {
    const t = setup();
    t.engine.handle({ type: 'start', call });
    expect(t.engine.kind).toBe(kind);
    expect(t.prompts()).toEqual([prompt]);
  });
});

describe('call answering', () => {
  it('greeting, beep, record until 3 s of silence after speech, "recorded", goodbye, BYE', () => {
    const t = setup();
    t.engine.handle({ type: 'start', call: { called: '6000', diverted: '613' } });
    t.finish();
    expect(t.prompts()).toEqual(['greeting-613', 'beep']);
    t.finish();
    expect(t.actions.at(-1)).toEqual({ type: 'start-recording', mailbox: '613' });
    t.engine.handle({ type: 'speech-start' });
    t.clock.advance(4000);
    t.engine.handle({ type: 'speech-end' });
    t.clock.advance(2999);
    expect(t.engine.state).toBe('recording');
    t.engine.handle({ type: 'speech-start' }); // a pause inside the message does not end it
    t.engine.handle({ type: 'speech-end' });
    t.clock.advance(2999);
    expect(t.engine.state).toBe('recording');
    t.clock.advance(1);
    expect(t.actions).toContainEqual({ type: 'stop-recording', keep: true });
    expect(t.engine.state).toBe('recorded');
    t.finish();
    t.finish();
    expect(t.prompts()).toEqual(['greeting-613', 'beep', 'message-recorded', 'goodbye']);
    expect(t.actions.at(-1)).toEqual({ type: 'hangup' });
    expect(t.engine.path).toEqual(['greeting', 'beep', 'recording', 'recorded', 'goodbye', 'ended']);
  });

  it('# ends the recording and keeps it', () => {
    const t = setup();
    t.engine.handle({ type: 'start', call: { called: '6000', diverted: '613' } });
    t.finish();
    t.finish();
    t.engine.handle({ type: 'speech-start' });
    t.press('#');
    expect(t.actions).toContainEqual({ type: 'stop-recording', keep: true });
  });

  it('nothing said: discarded after noSpeechMs, goodbye', () => {
    const t = setup();
    t.engine.handle({ type: 'start', call: { called: '6000', diverted: '613' } });
    t.finish();
    t.finish();
    t.clock.advance(9999);
    expect(t.engine.state).toBe('recording');
    t.clock.advance(1);
    expect(t.actions).toContainEqual({ type: 'stop-recording', keep: false });
    expect(t.engine.state).toBe('goodbye');
  });

  it('hang-up while recording keeps what was said', () => {
    const t = setup();
    t.engine.handle({ type: 'start', call: { called: '6000', diverted: '613' } });
    t.finish();
    t.finish();
    t.engine.handle({ type: 'speech-start' });
    t.engine.handle({ type: 'hangup' });
    expect(t.actions.at(-1)).toEqual({ type: 'stop-recording', keep: true });
    expect(t.engine.state).toBe('ended');
    expect(t.clock.pendingCount).toBe(0);
  });

  it('* during the greeting signs the owner in (PIN prompt)', () => {
    const t = setup();
    t.engine.handle({ type: 'start', call: { called: '6000', diverted: '613' } });
    t.press('*');
    expect(t.actions).toContainEqual({ type: 'stop-playback' });
    expect(t.prompts().at(-1)).toBe('enter-pin');
    t.press('1234#');
    expect(t.prompts().at(-1)).toBe('new-messages-0');
  });
});

describe('subscriber access', () => {
  const two = [{ id: 'msg-0001', path: '/x/msg-0001.wav' }, { id: 'msg-0002', path: '/x/msg-0002.wav' }];

  it('extension #, PIN #, "2 new messages", main menu, 1 plays them, no more messages, * goes back', () => {
    const t = setup({ messages: two });
    t.engine.handle({ type: 'start', call: { called: '6000' } });
    t.finish();
    t.press('613#');
    expect(t.prompts().at(-1)).toBe('enter-pin');
    t.finish();
    t.press('1234#');
    expect(t.prompts().at(-1)).toBe('new-messages-2');
    t.finish();
    expect(t.prompts().at(-1)).toBe('main-menu');
    t.finish();
    t.press('1');
    expect(t.prompts().at(-1)).toBe('message:msg-0001');
    t.finish();
    expect(t.heard).toEqual(['msg-0001']);
    t.finish();
    expect(t.heard).toEqual(['msg-0001', 'msg-0002']);
    expect(t.prompts().slice(-2)).toEqual(['message:msg-0002', 'no-more-messages']);
    t.finish();
    expect(t.prompts().at(-1)).toBe('main-menu');
    t.press('*');
    expect(t.prompts().at(-1)).toBe('enter-extension');
    expect(t.steps).toContain('PIN accepted: signed in to mailbox 613');
  });

  it('barge-in: digits during the prompt stop it', () => {
    const t = setup();
    t.engine.handle({ type: 'start', call: { called: '6000' } });
    t.press('6');
    expect(t.actions.at(-1)).toEqual({ type: 'stop-playback' });
    t.press('13#');
    expect(t.prompts().at(-1)).toBe('enter-pin');
  });

  it('the 5 s inter-digit timeout submits what was typed', () => {
    const t = setup();
    t.engine.handle({ type: 'start', call: { called: '6000' } });
    t.finish();
    t.press('613');
    t.clock.advance(4999);
    expect(t.engine.state).toBe('enter-extension');
    t.clock.advance(1);
    expect(t.engine.state).toBe('enter-pin');
  });

  it('wrong input three times: "Sorry, I didn\'t get that" twice, then goodbye and BYE', () => {
    const t = setup();
    t.engine.handle({ type: 'start', call: { called: '6000' } });
    t.finish();
    t.press('999#');
    expect(t.prompts().at(-1)).toBe('invalid');
    t.finish();
    expect(t.prompts().at(-1)).toBe('enter-extension');
    t.finish();
    t.clock.advance(5000); // no input at all counts too
    expect(t.prompts().at(-1)).toBe('invalid');
    t.finish();
    t.finish();
    t.press('613#');
    t.finish();
    t.press('0000#'); // a success in between resets the count: this is failure 1 of the PIN
    expect(t.prompts().at(-1)).toBe('invalid');
    t.finish();
    t.press('1111#');
    t.finish();
    t.press('2222#');
    expect(t.prompts().at(-1)).toBe('goodbye');
    t.finish();
    expect(t.actions.at(-1)).toEqual({ type: 'hangup' });
    expect(t.engine.state).toBe('ended');
  });

  it('a stale prompt-finished (a prompt already stopped) is ignored', () => {
    const t = setup();
    t.engine.handle({ type: 'start', call: { called: '6000' } });
    const first = t.lastPlay().id;
    t.press('6');
    t.engine.handle({ type: 'prompt-finished', id: first });
    expect(t.clock.pendingCount).toBe(1); // only the inter-digit timer
    t.press('13#');
    expect(t.engine.state).toBe('enter-pin');
  });
});

describe('auto attendant', () => {
  it('1 → "transferring" → transfer to sales; accepted → hang up', () => {
    const t = setup();
    t.engine.handle({ type: 'start', call: { called: '6100' } });
    t.finish();
    t.press('1');
    expect(t.prompts().at(-1)).toBe('transferring');
    t.finish();
    expect(t.actions.at(-1)).toEqual({ type: 'transfer', target: '2001', name: 'sales' });
    t.engine.handle({ type: 'transfer-result', ok: true });
    expect(t.actions.at(-1)).toEqual({ type: 'hangup' });
  });

  it('a refused transfer goes back to the menu; an unknown key is invalid', () => {
    const t = setup();
    t.engine.handle({ type: 'start', call: { called: '6100' } });
    t.finish();
    t.press('9');
    expect(t.prompts().at(-1)).toBe('invalid');
    t.finish();
    t.press('2');
    t.finish();
    t.engine.handle({ type: 'transfer-result', ok: false, detail: '603' });
    expect(t.prompts().slice(-2)).toEqual(['transferring', 'invalid']);
    expect(t.engine.state).toBe('invalid');
    t.finish();
    expect(t.prompts().at(-1)).toBe('auto-attendant');
  });
});
