/**
 * `npm run demo` / `umphone demo`: the phone's whole job in one command, on loopback, with no sound
 * card. It starts the UM server in-process on free ports and calls it with the Phone API:
 *
 *  1. call answering: INVITE to the pilot with `Diversion: <sip:613@...>` → 302 to the worker → the
 *     greeting is recorded to `recordings/greeting-613.wav` until the 1 kHz beep, then the caller
 *     leaves `audio/message.wav` and goes quiet; the server ends the recording after 3 s of silence,
 *     says "Your message has been recorded", "Goodbye" and hangs up;
 *  2. subscriber access: INVITE to the pilot, no Diversion → "Please enter your extension" → 613#
 *     → "Please enter your PIN" → 1234# → "You have one new message" → 1 → the message is heard and
 *     recorded to `recordings/message-heard.wav` → BYE.
 *
 * Every wait is on what is heard (the call's waits, src/phone/waits.ts: speech, silence, tone, prompt
 * fingerprints), never on fixed sleeps, and each is bounded by a timeout.
 *
 * `secured`: the same in Exchange's Secured mode: the server on mutual TLS with SRTP mandatory, the
 * phone presenting a client certificate and offering RTP/SAVP, all with a throwaway CA and certificates
 * made in a temp folder (throwaway-pki.ts).
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { RealClock, type Clock } from '../util/clock.js';
import { Phone } from '../phone/phone.js';
import { openRealTransports } from '../phone/real-transports.js';
import type { Call } from '../phone/call.js';
import type { CallSummary } from '../phone/call-types.js';
import { loadWavForPlaybackSync } from '../media/wav/reader.js';
import { WavWriter } from '../media/wav/writer.js';
import { findTones } from '../media/analysis/tone.js';
import type { TraceEvent } from '../sip/transport/transport.js';
import { UmServer } from './server.js';
import { packageRoot } from './prompt-library.js';
import type { UmLogEntry } from './sip-log.js';
import { makeThrowawayPki } from './throwaway-pki.js';
import type { UmSecurity } from './security.js';

export interface DemoOptions {
  /** Where recordings/ and um-data/ go (default: the current folder). */
  outDir?: string;
  /** One line of the timeline at a time (default: nowhere). */
  print?: (line: string) => void;
  /** Paths are shown relative to this folder (default: the current folder). */
  showRelativeTo?: string;
  /** Also print every SIP message in full. */
  verbose?: boolean;
  /** Exchange's Secured mode: mutual TLS and SRTP, with throwaway certificates. */
  secured?: boolean;
  clock?: Clock;
}

export interface DemoResult {
  greetingPath: string;
  /** The message as the server stored it in the mailbox. */
  messagePath: string;
  /** The message as heard back by subscriber access. */
  heardPath: string;
  /** Scores of the prompts recognized along the way (name → 0..1). */
  prompts: Record<string, number>;
  serverLog: UmLogEntry[];
  calls: CallSummary[];
  elapsedMs: number;
  /** With `secured`: what protected the calls (every SIP message over TLS; the SRTP suite of each call). */
  security?: { sipOverTls: boolean; sipMessages: number; srtpSuites: string[] };
}

export class DemoError extends Error {
  constructor(step: string, cause: Error) {
    super(`demo failed at "${step}": ${cause.message}`);
    this.name = 'DemoError';
  }
}

export async function runDemo(o: DemoOptions = {}): Promise<DemoResult> {
  const clock = o.clock ?? new RealClock();
  const print = o.print ?? (() => undefined);
  const outDir = resolve(o.outDir ?? '.');
  const root = packageRoot();
  const recordings = join(outDir, 'recordings');
  mkdirSync(recordings, { recursive: true });
  const base = resolve(o.showRelativeTo ?? '.');
  const show = (p: string) => relative(base, p) || p;
  const t0 = clock.now();
  const stamp = () => `${((clock.now() - t0) / 1000).toFixed(2).padStart(6)}s`;
  const say = (who: string, line: string) => print(`${stamp()}  ${who.padEnd(6)} ${line}`);
  const serverLog: UmLogEntry[] = [];
  const prompt = (name: string) => loadWavForPlaybackSync(join(root, 'audio', 'prompts', `${name}.wav`)).samples;
  const scores: Record<string, number> = {};

  print('umphone demo: a caller leaves a message in mailbox 613 of a built-in Exchange-UM-like server, then the owner signs in and hears it.');
  const security: UmSecurity = o.secured ? 'secured' : 'unsecured';
  const pki = o.secured ? makeThrowawayPki(clock.wallNow()) : undefined;
  if (pki) {
    print(`Secured mode: mutual TLS and SRTP, with a throwaway CA and certificates in ${pki.dir} (server: 127.0.0.1, caller: ${pki.gatewayName})`);
  }
  const pem = (p: string) => readFileSync(p);
  const server = await UmServer.start({
    port: 0, workerPort: 0, umServicePort: 0, dataDir: join(outDir, 'um-data'), root, clock, security,
    ...(pki ? { tls: { cert: pem(pki.server.cert), key: pem(pki.server.key), ca: pem(pki.ca), peerNames: [pki.gatewayName] } } : {}),
    log: (e) => {
      serverLog.push(e);
      if (e.kind === 'menu' || e.kind === 'call') say('UM', e.line.replace(/^call [0-9a-f]{8}: /, ''));
      if (o.verbose && e.kind === 'sip' && e.message) print(indent(`[${e.role}] ${e.message}`));
    },
  });
  say('UM', server.describe());
  const sip = { tls: 0, other: 0 };
  const phone = new Phone(await openRealTransports({
    localIp: '127.0.0.1', clock,
    ...(pki ? { tls: { ca: pem(pki.ca), cert: pem(pki.client.cert), key: pem(pki.client.key) } } : {}),
  }), {
    localIp: '127.0.0.1',
    onTrace: (e) => {
      sip[e.protocol === 'tls' ? 'tls' : 'other']++;
      say('phone', sipLine(e));
      if (o.verbose) print(indent(e.bytes.toString('utf8')));
    },
  });
  const calls: CallSummary[] = [];
  let step = 'starting';
  try {
    // ---- 1. call answering --------------------------------------------------------------------------
    print('');
    print('1. Call answering: a call to the pilot number, diverted from extension 613 (Diversion header)');
    step = 'calling the pilot with Diversion: 613';
    const expectedNew = server.store.newMessages('613').length + 1;
    const srtp = o.secured ? { srtp: 'mandatory' as const } : {};
    const call1 = await phone.call(server.pilotUri, { from: '5551234', name: 'Demo Caller', diversion: ['613'], dtmf: { mode: 'rfc4733' }, ...srtp });
    announce(call1, say);
    const greetingPath = join(recordings, 'greeting-613.wav');
    say('phone', `recording the greeting to ${show(greetingPath)} until the beep`);
    step = 'recording the greeting until the beep';
    const g = await call1.record(greetingPath, { until: 'tone', frequencies: [1000], maxDuration: 20_000 });
    const greetingMs = cutAtTone(greetingPath, 1000);
    say('phone', `greeting recorded: ${(greetingMs / 1000).toFixed(1)} s up to the beep (${g.detail})`);
    step = 'waiting for the end of the beep';
    await call1.waitForSilence({ duration: 200, timeout: 5000 });
    const message = loadWavForPlaybackSync(join(root, 'audio', 'message.wav'));
    say('phone', `leaving a message: playing audio/message.wav (${(message.durationMs / 1000).toFixed(1)} s)`);
    step = 'playing the message';
    await call1.play(message);
    say('phone', 'message sent; now silent, waiting for the server to end the recording');
    step = 'waiting for "Your message has been recorded"';
    try {
      const rec = await call1.waitForPrompt(prompt('message-recorded'), { name: '"Your message has been recorded"', timeout: 15_000 });
      scores['message-recorded'] = rec.score;
      say('phone', `heard ${rec.detail}`);
    } catch (e) {
      // Only a confirmation: the stored message below is what counts. Say so rather than fail.
      say('phone', `(the confirmation prompt was not recognized: ${(e as Error).message})`);
    }
    step = 'waiting for the server to hang up';
    await call1.waitForEnd({ timeout: 10_000 });
    calls.push(await call1.ended);
    say('phone', `call ended: ${calls[0]!.endedBy}`);
    const stored = server.store.list('613').at(-1);
    if (!stored) throw new Error('the server stored no message in mailbox 613');
    const messagePath = join(server.store.folder('613'), stored.file);

    // ---- 2. subscriber access -----------------------------------------------------------------------
    print('');
    print('2. Subscriber access: the owner calls the pilot number, signs in with extension 613 and PIN 1234');
    step = 'calling the pilot';
    const call2 = await phone.call(server.pilotUri, { from: '613', dtmf: { mode: 'rfc4733' }, ...srtp });
    announce(call2, say);
    const heardPrompt = async (name: string, label: string) => {
      step = `waiting for "${label}"`;
      const r = await call2.waitForPrompt(prompt(name), { name: `"${label}"`, timeout: 15_000 });
      scores[name] = r.score;
      say('phone', r.detail);
    };
    const press = async (keys: string) => {
      step = `sending ${keys}`;
      say('phone', `DTMF ${keys} (RFC 4733)`);
      await call2.sendDtmf(keys);
    };
    await heardPrompt('enter-extension', 'Please enter your extension');
    await press('613#');
    await heardPrompt('enter-pin', 'Please enter your PIN');
    await press('1234#');
    const countPrompt = `new-messages-${Math.min(expectedNew, 3)}`;
    await heardPrompt(countPrompt, expectedNew === 1 ? 'You have one new message' : `You have ${expectedNew} new messages`);
    step = 'waiting for the main menu';
    await call2.waitForSpeech({ timeout: 5000 });
    // Recording starts before the key: the main menu is cut short by it (barge-in) and the message follows.
    const heardPath = join(recordings, 'message-heard.wav');
    say('phone', `recording what follows to ${show(heardPath)}`);
    const recording = call2.record(heardPath, { until: 'silence', silence: 1500, maxDuration: 20_000 });
    await press('1');
    step = 'recording the message played back';
    const h = await recording;
    say('phone', `message heard (${(h.durationMs / 1000).toFixed(1)} s), ${h.detail}`);
    step = 'hanging up';
    say('phone', 'hanging up (BYE)');
    calls.push(await call2.hangup());

    print('');
    print('Files:');
    print(`  greeting recorded by the caller:     ${show(greetingPath)}`);
    print(`  message stored in mailbox 613:       ${show(messagePath)}`);
    print(`  message heard back by the owner:     ${show(heardPath)}`);
    print(`  mailbox index:                       ${show(join(server.store.folder('613'), 'index.json'))}`);
    let secured: DemoResult['security'];
    if (o.secured) {
      const srtpSuites = calls.map((c) => c.srtp?.suite ?? 'none');
      secured = { sipOverTls: sip.other === 0 && sip.tls > 0, sipMessages: sip.tls + sip.other, srtpSuites };
      const packets = calls.reduce((n, c) => n + (c.srtp?.rtp.unprotected ?? 0), 0);
      const dropped = calls.reduce((n, c) => n + (c.srtp?.rtp.dropped ?? 0), 0);
      print('');
      print('Security:');
      print(`  SIP:    TLS (mutual, certificates of the throwaway CA) for ${sip.tls} of ${sip.tls + sip.other} messages`);
      print(`  media:  SRTP ${srtpSuites.join(', ')} on both calls (${packets} packets decrypted, ${dropped} dropped)`);
      if (!secured.sipOverTls || srtpSuites.includes('none')) throw new Error('Secured mode: a call did not use TLS and SRTP');
    }
    const elapsedMs = clock.now() - t0;
    print(`Done in ${(elapsedMs / 1000).toFixed(1)} s.`);
    return { greetingPath, messagePath, heardPath, prompts: scores, serverLog, calls, elapsedMs, ...(secured ? { security: secured } : {}) };
  } catch (e) {
    throw new DemoError(step, e as Error);
  } finally {
    await phone.close();
    await server.close();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  }
}

/**
 * The recording ran until the beep had been heard for a moment: cut it where the beep starts, so the
 * file is the greeting alone. Returns its length (ms).
 */
function cutAtTone(path: string, frequency: number): number {
  const pcm = loadWavForPlaybackSync(path).samples;
  const tone = findTones(pcm, { frequencies: [frequency], minDurationMs: 60 })[0];
  if (!tone) return pcm.length / 8;
  const kept = pcm.subarray(0, Math.floor(tone.startMs * 8));
  const w = WavWriter.open(path);
  w.write(kept);
  w.close();
  return kept.length / 8;
}

function announce(call: Call, say: (who: string, line: string) => void): void {
  const s = call.summary();
  say('phone', `answered: ${s.codec ?? '?'}, RTP to ${s.remoteRtp ?? '?'}${s.redirects.length > 1 ? ` after ${s.redirects.length - 1} redirect(s)` : ''}`);
}

/** `-> INVITE sip:6000@...` / `<- 302 Moved Temporarily (CONTACT: <...>)` for the timeline. */
function sipLine(e: TraceEvent): string {
  const text = e.bytes.toString('utf8');
  const first = text.slice(0, Math.max(0, text.indexOf('\r\n')));
  const arrow = e.direction === 'out' ? '->' : '<-';
  let extra = '';
  if (/^SIP\/2\.0 3\d\d/.test(first)) {
    const contact = /^(?:contact|m)[ \t]*:[ \t]*(.+)$/im.exec(text)?.[1];
    if (contact) extra = `  redirect to ${contact.trim()}`;
  }
  if (/^INVITE /.test(first)) {
    const div = /^diversion[ \t]*:[ \t]*(.+)$/im.exec(text)?.[1];
    if (div) extra = `  Diversion: ${div.trim()}`;
  }
  const cseq = /^cseq[ \t]*:[ \t]*(.+)$/im.exec(text)?.[1]?.trim();
  const label = first.startsWith('SIP/2.0 ') ? `${first.slice(8)} (${cseq ?? ''})` : first.replace(/ SIP\/2\.0$/, '');
  return `${arrow} ${label}${extra}`;
}

function indent(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(/\n+$/, '').split('\n').map((l) => `        ${l}`).join('\n');
}
