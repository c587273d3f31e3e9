/**
 * The voicemail menus as one state machine, pure and clock-driven: events in (digits, prompt
 * finished, speech start/end, hang-up, transfer outcome, its own timers on the injected Clock),
 * actions out (play, stop playback, record, transfer, hang up). The call driver (um-call.ts) turns
 * actions into media and SIP and media into events; unit tests drive it with a ManualClock.
 *
 * Routing at the start of a call, as Exchange UM does it:
 *  - a Diversion/History-Info naming a known mailbox → call answering (greeting, beep, record);
 *  - the auto attendant's number → auto attendant (one-key menu, transfer);
 *  - anything else (the pilot number) → subscriber access (extension #, PIN #, messages).
 * Input, as Exchange: barge-in (a digit stops the prompt), 5 s for the first digit after a prompt
 * and between digits, `#` ends an entry, wrong or missing input "Sorry, I didn't get that" and the
 * menu again, `maxRetries` times in a row, then "Goodbye" and BYE.
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import type { MenuConfig } from './menu-config.js';

export type MenuState =
  | 'idle' | 'greeting' | 'beep' | 'recording' | 'recorded'
  | 'enter-extension' | 'enter-pin' | 'message-count' | 'main-menu' | 'playing-message' | 'no-more-messages'
  | 'aa-menu' | 'transfer-prompt' | 'transferring'
  | 'invalid' | 'goodbye' | 'ended';

export type MenuKind = 'call-answering' | 'subscriber-access' | 'auto-attendant';

export interface CallInfo {
  /** User part of the Request-URI (the number dialled). */
  called: string;
  /** The diverting number (top Diversion, or the History-Info entry before the target). */
  diverted?: string;
  caller?: string;
}

export interface StoredMessage {
  id: string;
  path: string;
}

/** What the engine needs to know of the mailboxes' messages (the file store, or a fake in tests). */
export interface MessageDirectory {
  newMessages(mailbox: string): StoredMessage[];
  markHeard(mailbox: string, id: string): void;
}

export type MenuEvent =
  | { type: 'start'; call: CallInfo }
  | { type: 'digit'; digit: string }
  | { type: 'prompt-finished'; id: number }
  | { type: 'speech-start' }
  | { type: 'speech-end' }
  | { type: 'transfer-result'; ok: boolean; detail?: string }
  | { type: 'hangup' };

export type MenuAction =
  | { type: 'play'; id: number; prompt: string }
  | { type: 'play-message'; id: number; mailbox: string; message: StoredMessage }
  | { type: 'stop-playback' }
  | { type: 'start-recording'; mailbox: string }
  | { type: 'stop-recording'; keep: boolean }
  | { type: 'transfer'; target: string; name: string }
  | { type: 'hangup' };

export interface MenuEngineOptions {
  config: MenuConfig;
  clock: Clock;
  messages: MessageDirectory;
  act(action: MenuAction): void;
  /** One line per menu step (the server log, `-v`). */
  step?(line: string): void;
}

type Collecting = 'enter-extension' | 'enter-pin' | 'main-menu' | 'aa-menu';
const PROMPT_OF: Record<Exclude<Collecting, 'aa-menu'>, string> = {
  'enter-extension': 'enter-extension', 'enter-pin': 'enter-pin', 'main-menu': 'main-menu',
};

export class MenuEngine {
  state: MenuState = 'idle';
  kind: MenuKind | undefined;
  /** Every state entered, in order: the menu path a test or the log can show. */
  readonly path: MenuState[] = [];
  private readonly cfg: MenuConfig;
  private playId = 0;
  private currentPlay: number | undefined;
  private digits = '';
  private failures = 0;
  private returnTo: Collecting = 'enter-extension';
  private mailbox: string | undefined;
  private queue: StoredMessage[] = [];
  private playingMessage: StoredMessage | undefined;
  private heardSpeech = false;
  private talking = false;
  private inputTimer: TimerHandle | undefined;
  private silenceTimer: TimerHandle | undefined;
  private messageTimer: TimerHandle | undefined;
  private busy = false;
  private readonly pending: MenuEvent[] = [];

  constructor(private readonly opts: MenuEngineOptions) {
    this.cfg = opts.config;
  }

  /** Feed one event. Events raised while an action runs are queued, so actions may call back in. */
  handle(event: MenuEvent): void {
    this.pending.push(event);
    if (this.busy) return;
    this.busy = true;
    try {
      for (let e = this.pending.shift(); e; e = this.pending.shift()) this.dispatch(e);
    } finally {
      this.busy = false;
    }
  }

  private dispatch(e: MenuEvent): void {
    if (this.state === 'ended') return;
    if (e.type === 'hangup') return this.onHangup();
    if (e.type === 'start') return this.onStart(e.call);
    if (e.type === 'digit') this.log(`digit ${e.digit} (${this.state})`);
    if (e.type === 'prompt-finished') {
      if (e.id !== this.currentPlay) return; // a prompt we stopped, or an earlier one
      this.currentPlay = undefined;
    }
    switch (this.state) {
      case 'idle':
        return;
      case 'greeting':
        // Exchange: * during the greeting lets the mailbox owner sign in to the mailbox.
        if (e.type === 'digit' && e.digit === '*') {
          this.stopPlayback();
          this.kind = 'subscriber-access';
          this.log(`* during the greeting: sign in to mailbox ${this.mailbox}`);
          return this.enter('enter-pin');
        }
        if (e.type === 'digit' && e.digit === '#') {
          this.stopPlayback();
          return this.enter('beep');
        }
        if (e.type === 'prompt-finished') return this.enter('beep');
        return;
      case 'beep':
        if (e.type === 'prompt-finished') return this.enter('recording');
        return;
      case 'recording':
        return this.whileRecording(e);
      case 'recorded':
      case 'no-more-messages':
      case 'message-count':
      case 'invalid':
      case 'transfer-prompt':
        if (e.type === 'prompt-finished') return this.afterPrompt();
        if (e.type === 'digit' && this.state !== 'transfer-prompt' && this.state !== 'recorded') {
          // Barge-in through an informational prompt straight into the menu that follows it.
          this.stopPlayback();
          this.afterPrompt();
          return this.dispatch(e);
        }
        return;
      case 'enter-extension':
      case 'enter-pin':
      case 'main-menu':
      case 'aa-menu':
        return this.whileCollecting(this.state, e);
      case 'playing-message':
        if (e.type === 'digit' && e.digit === '*') {
          this.stopPlayback();
          return this.enter('main-menu');
        }
        if (e.type === 'digit' && e.digit === '#') {
          this.stopPlayback();
          return this.nextMessage();
        }
        if (e.type === 'prompt-finished') return this.nextMessage();
        return;
      case 'transferring':
        if (e.type !== 'transfer-result') return;
        if (e.ok) {
          this.log(`transfer accepted${e.detail ? ` (${e.detail})` : ''}: hanging up`);
          this.opts.act({ type: 'hangup' });
          return this.end();
        }
        this.log(`transfer failed${e.detail ? ` (${e.detail})` : ''}`);
        return this.fail('aa-menu');
      case 'goodbye':
        if (e.type === 'prompt-finished') {
          this.opts.act({ type: 'hangup' });
          return this.end();
        }
        return;
      default:
        return assertNever(this.state);
    }
  }

  private onStart(call: CallInfo): void {
    if (this.state !== 'idle') throw new Error(`start in state ${this.state}`);
    const aa = this.cfg.autoAttendant;
    if (call.diverted !== undefined && this.cfg.mailboxes.has(call.diverted)) {
      this.kind = 'call-answering';
      this.mailbox = call.diverted;
      this.log(`call answering for mailbox ${call.diverted} (diverted from ${call.diverted}, called ${call.called})`);
      return this.enter('greeting');
    }
    if (aa && call.called === aa.number) {
      this.kind = 'auto-attendant';
      this.log(`auto attendant (called ${call.called})`);
      return this.enter('aa-menu');
    }
    this.kind = 'subscriber-access';
    const why = call.diverted !== undefined ? `diverted from unknown ${call.diverted}` : call.called === this.cfg.pilot ? 'pilot number' : `called ${call.called}, not the pilot`;
    this.log(`subscriber access (${why})`);
    this.enter('enter-extension');
  }

  /** Enter a state and do what it starts with. */
  private enter(s: MenuState): void {
    this.state = s;
    this.path.push(s);
    this.cancelInput();
    switch (s) {
      case 'greeting':
        return this.play(this.cfg.mailboxes.get(this.mailbox!)!.greeting);
      case 'beep':
        return this.play('beep');
      case 'recording':
        this.heardSpeech = false;
        this.talking = false;
        this.opts.act({ type: 'start-recording', mailbox: this.mailbox! });
        this.messageTimer = this.opts.clock.setTimeout(() => this.stopRecording('the maximum message length', true), this.cfg.timeouts.maxMessageMs);
        this.silenceTimer = this.opts.clock.setTimeout(() => this.stopRecording('no speech', false), this.cfg.timeouts.noSpeechMs);
        return this.log(`recording a message for ${this.mailbox}`);
      case 'recorded':
        return this.play('message-recorded');
      case 'enter-extension':
      case 'enter-pin':
      case 'main-menu':
        if (s === 'enter-extension') this.mailbox = undefined;
        this.digits = '';
        return this.play(PROMPT_OF[s]);
      case 'aa-menu':
        this.digits = '';
        return this.play(this.cfg.autoAttendant!.prompt);
      case 'message-count': {
        this.queue = this.opts.messages.newMessages(this.mailbox!);
        const n = this.queue.length;
        this.log(`mailbox ${this.mailbox}: ${n} new message(s)`);
        // The prompt set has counts 0..3; a larger box says "3" (the log has the true count).
        return this.play(`new-messages-${Math.min(n, 3)}`);
      }
      case 'playing-message':
        return this.nextMessage();
      case 'no-more-messages':
        return this.play('no-more-messages');
      case 'transfer-prompt':
        return this.play('transferring');
      case 'invalid':
        return this.play('invalid');
      case 'goodbye':
        return this.play('goodbye');
      case 'transferring':
      case 'idle':
      case 'ended':
        return;
      default:
        return assertNever(s);
    }
  }

  /** What follows an informational prompt. */
  private afterPrompt(): void {
    switch (this.state) {
      case 'recorded':
        return this.enter('goodbye');
      case 'message-count':
      case 'no-more-messages':
        return this.enter('main-menu');
      case 'invalid':
        return this.enter(this.returnTo);
      case 'transfer-prompt':
        this.enter('transferring');
        this.opts.act({ type: 'transfer', target: this.transferTarget!.transfer, name: this.transferTarget!.name });
        return;
      default:
        return;
    }
  }

  private transferTarget: { transfer: string; name: string } | undefined;

  private whileCollecting(s: Collecting, e: MenuEvent): void {
    if (e.type === 'prompt-finished') {
      // The first-digit timer starts when the prompt has been heard (or at once after a barge-in).
      if (this.digits.length === 0) this.armInput(this.cfg.timeouts.firstDigitMs);
      return;
    }
    if (e.type !== 'digit') return;
    this.stopPlayback();
    if (s === 'main-menu') {
      if (e.digit === '1') return this.enter('playing-message');
      if (e.digit === '*') return this.enter('enter-extension');
      return this.fail(s);
    }
    if (s === 'aa-menu') {
      const option = this.cfg.autoAttendant!.options.get(e.digit);
      if (!option) return this.fail(s);
      this.failures = 0;
      this.transferTarget = option;
      this.log(`auto attendant option ${e.digit}: transfer to ${option.name} (${option.transfer})`);
      return this.enter('transfer-prompt');
    }
    if (e.digit === '#') return this.submit(s);
    this.digits += e.digit;
    this.armInput(this.cfg.timeouts.interDigitMs);
  }

  private submit(s: 'enter-extension' | 'enter-pin'): void {
    this.cancelInput();
    const value = this.digits;
    if (s === 'enter-extension') {
      if (!this.cfg.mailboxes.has(value)) {
        this.log(`extension "${value}" is not a mailbox`);
        return this.fail(s);
      }
      this.failures = 0;
      this.mailbox = value;
      this.log(`extension ${value} entered`);
      return this.enter('enter-pin');
    }
    const box = this.cfg.mailboxes.get(this.mailbox!)!;
    if (value !== box.pin) {
      this.log(`wrong PIN for mailbox ${box.extension}`);
      return this.fail(s);
    }
    this.failures = 0;
    this.log(`PIN accepted: signed in to mailbox ${box.extension}`);
    this.enter('message-count');
  }

  /** Wrong or missing input: "Sorry, I didn't get that" and the menu again, or goodbye after maxRetries. */
  private fail(s: Collecting): void {
    this.failures++;
    this.log(`invalid input in ${s} (${this.failures} of ${this.cfg.maxRetries})`);
    if (this.failures >= this.cfg.maxRetries) return this.enter('goodbye');
    this.returnTo = s;
    this.enter('invalid');
  }

  private armInput(ms: number): void {
    this.cancelInput();
    const s = this.state;
    this.inputTimer = this.opts.clock.setTimeout(() => {
      this.inputTimer = undefined;
      this.handleTimeout(s);
    }, ms);
  }

  private handleTimeout(s: MenuState): void {
    if (this.state !== s || this.state === 'ended') return;
    this.log(`no input for ${this.digits.length ? this.cfg.timeouts.interDigitMs : this.cfg.timeouts.firstDigitMs} ms in ${s}`);
    if ((s === 'enter-extension' || s === 'enter-pin') && this.digits.length > 0) return this.submit(s);
    if (s === 'enter-extension' || s === 'enter-pin' || s === 'main-menu' || s === 'aa-menu') this.fail(s);
  }

  private whileRecording(e: MenuEvent): void {
    if (e.type === 'digit' && e.digit === '#') return this.stopRecording('#', true);
    if (e.type === 'speech-start') {
      this.heardSpeech = true;
      this.talking = true;
      this.silenceTimer?.cancel();
      this.silenceTimer = undefined;
    } else if (e.type === 'speech-end' && this.talking) {
      this.talking = false;
      this.silenceTimer?.cancel();
      this.silenceTimer = this.opts.clock.setTimeout(() => this.stopRecording(`${this.cfg.timeouts.silenceMs} ms of silence`, true), this.cfg.timeouts.silenceMs);
    }
  }

  private stopRecording(why: string, keep: boolean): void {
    if (this.state !== 'recording') return;
    this.clearRecordingTimers();
    const kept = keep && this.heardSpeech;
    this.opts.act({ type: 'stop-recording', keep: kept });
    this.log(`recording stopped by ${why}: ${kept ? 'message kept' : 'nothing said, discarded'}`);
    this.enter(kept ? 'recorded' : 'goodbye');
  }

  private nextMessage(): void {
    if (this.playingMessage) this.opts.messages.markHeard(this.mailbox!, this.playingMessage.id);
    this.playingMessage = this.queue.shift();
    if (!this.playingMessage) return this.enter('no-more-messages');
    this.playId++;
    this.currentPlay = this.playId;
    this.log(`playing message ${this.playingMessage.id} of mailbox ${this.mailbox}`);
    this.opts.act({ type: 'play-message', id: this.playId, mailbox: this.mailbox!, message: this.playingMessage });
  }

  private play(prompt: string): void {
    this.playId++;
    this.currentPlay = this.playId;
    this.log(`prompt ${prompt}`);
    this.opts.act({ type: 'play', id: this.playId, prompt });
  }

  private stopPlayback(): void {
    if (this.currentPlay === undefined) return;
    this.currentPlay = undefined;
    this.opts.act({ type: 'stop-playback' });
  }

  private onHangup(): void {
    this.log(`caller hung up in ${this.state}`);
    if (this.state === 'recording') {
      this.clearRecordingTimers();
      this.opts.act({ type: 'stop-recording', keep: this.heardSpeech });
      this.log(this.heardSpeech ? 'message kept' : 'nothing said, discarded');
    }
    this.end();
  }

  private end(): void {
    this.state = 'ended';
    this.path.push('ended');
    this.cancelInput();
    this.clearRecordingTimers();
  }

  private cancelInput(): void {
    this.inputTimer?.cancel();
    this.inputTimer = undefined;
  }

  private clearRecordingTimers(): void {
    this.silenceTimer?.cancel();
    this.messageTimer?.cancel();
    this.silenceTimer = this.messageTimer = undefined;
  }

  private log(line: string): void {
    this.opts.step?.(line);
  }
}

function assertNever(x: never): never {
  throw new Error(`unhandled menu state ${String(x)}`);
}
