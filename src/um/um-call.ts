/**
 * One call in the UM worker: joins an answered IncomingCall to a MenuEngine. Media becomes events
 * (each DTMF digit, RFC 4733, in-band or INFO; speech start/end from the voice activity detector on
 * the caller's audio; the end of each prompt), and the engine's actions become media and SIP (play a
 * prompt or a message, record into the mailbox, REFER, BYE).
 */
import type { Clock } from '../util/clock.js';
import { incomingRequest, type IncomingCall } from '../phone/incoming-call.js';
import { callInternals } from '../phone/call-core.js';
import type { Recording } from '../phone/media-session.js';
import { VoiceActivityDetector } from '../media/analysis/vad.js';
import { loadWavForPlayback } from '../media/wav/reader.js';
import { getDiversions, getHistoryInfo, parseUri, type SipRequest } from '../sip/message/index.js';
import { MenuEngine, type CallInfo, type MenuAction } from './menu-engine.js';
import type { MenuConfig } from './menu-config.js';
import type { MailboxStore } from './mailbox-store.js';
import type { PromptLibrary } from './prompt-library.js';
import { referTransfer } from './refer-transfer.js';
import type { UmLogSink } from './sip-log.js';

export interface UmCallOptions {
  call: IncomingCall;
  config: MenuConfig;
  clock: Clock;
  store: MailboxStore;
  prompts: PromptLibrary;
  /** Our address, for Referred-By. */
  address: string;
  log?: UmLogSink;
}

/** Who was called and who diverted the call, read as Exchange UM reads them. */
export function callInfoOf(req: SipRequest): CallInfo {
  let called = '';
  try {
    called = parseUri(req.uri).user ?? '';
  } catch {
    called = '';
  }
  const info: CallInfo = { called };
  try {
    // RFC 5806: the top Diversion is the most recent diversion: the mailbox whose owner did not answer.
    const d = getDiversions(req)[0];
    if (d?.uri.user) info.diverted = d.uri.user;
  } catch {
    // an unreadable Diversion is no diversion
  }
  if (info.diverted === undefined) {
    try {
      // RFC 4244: the entry before the last is the diverting target (Exchange 2010 SP1+ reads it so).
      const hi = getHistoryInfo(req);
      const before = hi.length >= 2 ? hi[hi.length - 2] : undefined;
      if (before?.uri.user && before.uri.user !== called) info.diverted = before.uri.user;
    } catch {
      // idem
    }
  }
  return info;
}

export class UmCall {
  readonly engine: MenuEngine;
  private recording: { id: string; mailbox: string; rec: Recording } | undefined;
  private readonly vad = new VoiceActivityDetector();
  private readonly tag: string;

  constructor(private readonly o: UmCallOptions) {
    this.tag = `call ${o.call.callId.slice(0, 8)}`;
    this.engine = new MenuEngine({
      config: o.config,
      clock: o.clock,
      messages: o.store,
      act: (a) => this.act(a),
      step: (line) => this.log('menu', line),
    });
  }

  /** Start the menus once the call's media runs; ends with the call. */
  start(): void {
    const call = this.o.call;
    const media = callInternals(call).media;
    if (!media) throw new Error('UmCall.start needs an answered call with media');
    call.onEvent((e) => {
      if (e.type === 'digit') this.engine.handle({ type: 'digit', digit: e.digit.digit });
      if (e.type === 'warning') this.log('call', `warning: ${e.message}`);
    });
    media.onFrame((pcm) => {
      for (const ev of this.vad.push(pcm)) this.engine.handle({ type: ev.type === 'speech-start' ? 'speech-start' : 'speech-end' });
    });
    void call.ended.then((s) => {
      this.log('call', `ended: ${s.endedBy ?? 'unknown'} after ${(s.durationMs / 1000).toFixed(1)} s; menu path ${this.engine.path.join(' > ')}`);
      this.engine.handle({ type: 'hangup' });
    });
    const info = callInfoOf(incomingRequest(call));
    this.log('call', `answered ${call.from} calling ${info.called || call.requestUri}${info.diverted ? `, diverted from ${info.diverted}` : ''}`);
    this.engine.handle({ type: 'start', call: { ...info, caller: call.from } });
  }

  private act(a: MenuAction): void {
    const call = this.o.call;
    const media = callInternals(call).media;
    switch (a.type) {
      case 'play': {
        if (!media) return;
        void media.play(this.o.prompts.get(a.prompt)).then(() => this.engine.handle({ type: 'prompt-finished', id: a.id }));
        return;
      }
      case 'play-message':
        void loadWavForPlayback(a.message.path).then(
          (audio) => media?.play(audio),
          (e: Error) => this.log('call', `cannot play ${a.message.path}: ${e.message}`),
        ).then(() => this.engine.handle({ type: 'prompt-finished', id: a.id }));
        return;
      case 'stop-playback':
        media?.stopPlayback();
        return;
      case 'start-recording': {
        const { id, path } = this.o.store.nextMessagePath(a.mailbox);
        this.recording = { id, mailbox: a.mailbox, rec: call.startRecording(path) };
        this.log('call', `recording to ${path}`);
        return;
      }
      case 'stop-recording': {
        const r = this.recording;
        if (!r) return;
        this.recording = undefined;
        const durationMs = r.rec.durationMs;
        r.rec.stop();
        if (a.keep) {
          this.o.store.addMessage(r.mailbox, { id: r.id, from: call.from, receivedAt: new Date(this.o.clock.wallNow()).toISOString(), durationMs });
          this.log('call', `message ${r.id} saved in mailbox ${r.mailbox} (${(durationMs / 1000).toFixed(1)} s): ${r.rec.path}`);
        } else {
          this.o.store.discard(r.mailbox, r.id);
          this.log('call', `empty recording ${r.id} discarded`);
        }
        return;
      }
      case 'transfer': {
        const session = callInternals(call).session;
        if (!session) return this.engine.handle({ type: 'transfer-result', ok: false, detail: 'no dialog' });
        this.log('call', `REFER to ${a.name} (${a.target})`);
        void referTransfer(session, this.o.clock, a.target, `sip:${this.o.config.autoAttendant?.number ?? 'um'}@${this.o.address}`)
          .then((o) => this.engine.handle({ type: 'transfer-result', ok: o.ok, detail: o.detail }));
        return;
      }
      case 'hangup':
        void call.hangup();
        return;
    }
  }

  private log(kind: 'menu' | 'call', line: string): void {
    this.o.log?.({ kind, role: 'worker', line: `${this.tag}: ${line}` });
  }
}
