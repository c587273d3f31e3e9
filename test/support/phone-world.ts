/**
 * Two phones on the in-memory network, on one ManualClock: a caller at 192.0.2.1 and a callee at
 * 192.0.2.2 whose Listener hands over (or auto-answers) each call. Everything real but the wires and
 * the time: SIP is serialized and parsed, RTP is paced by each phone's Pacer, so a test runs seconds
 * of call in milliseconds and asserts what happened, not how long it took.
 *
 *   const w = phoneWorld({ autoAnswer: 0 });
 *   const call = w.caller.dial(w.calleeUri);
 *   await w.settle(call.answered);
 *   await w.run(2_000);
 */
import { ManualClock } from '../../src/util/clock.js';
import { Phone, type PhoneOptions } from '../../src/phone/phone.js';
import { Listener, type ListenerOptions } from '../../src/phone/listener.js';
import type { IncomingCall } from '../../src/phone/incoming-call.js';
import { loadWavForPlaybackSync, type PlaybackAudio } from '../../src/media/wav/reader.js';
import { MemoryNetwork } from './memory-network.js';

export const CALLER = '192.0.2.1';
export const CALLEE = '192.0.2.2';

export interface PhoneWorld {
  clock: ManualClock;
  net: MemoryNetwork;
  caller: Phone;
  callee: Phone;
  listener: Listener;
  /** The calls the callee's listener took, in order. */
  incoming: IncomingCall[];
  /** sip:<user>@192.0.2.2:5060;transport=tcp */
  calleeUri: string;
  /** Let `ms` of clock time pass (in 5 ms steps, promise callbacks running between them). */
  run(ms: number): Promise<void>;
  /** Run the clock until `p` settles (at most `maxMs`); resolves or rejects with it. */
  settle<T>(p: Promise<T>, maxMs?: number): Promise<T>;
  close(): Promise<void>;
}

export function phoneWorld(o: { listener?: ListenerOptions; caller?: Omit<PhoneOptions, 'localIp'>; user?: string } = {}): PhoneWorld {
  const clock = new ManualClock();
  const net = new MemoryNetwork(clock);
  const caller = new Phone(net.phoneTransports(CALLER), { ...o.caller, localIp: CALLER });
  const callee = new Phone(net.phoneTransports(CALLEE), { localIp: CALLEE });
  const listener = new Listener(callee, o.listener ?? {});
  const incoming: IncomingCall[] = [];
  listener.onEvent((e) => { if (e.type === 'call') incoming.push(e.call); });
  const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
  const run = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 5) {
      await turn();
      clock.advance(Math.min(5, ms - t));
    }
    await turn();
  };
  const settle = async <T>(p: Promise<T>, maxMs = 60_000): Promise<T> => {
    let done = false;
    const watched = p.finally(() => { done = true; });
    watched.catch(() => undefined);
    for (let t = 0; t < maxMs && !done; t += 5) {
      await turn();
      if (!done) clock.advance(5);
    }
    await turn();
    if (!done) throw new Error(`still pending after ${maxMs} ms of clock time`);
    return watched;
  };
  return {
    clock, net, caller, callee, listener, incoming, run, settle,
    calleeUri: `sip:${o.user ?? '613'}@${CALLEE}:5060;transport=tcp`,
    // Hanging up waits for answers that travel on the clock: keep it running meanwhile.
    close: () => settle((async () => {
      await listener.close();
      await caller.close();
      await callee.close();
    })()),
  };
}

/** A prompt of audio/prompts as playback audio. */
export function promptAudio(name: string): PlaybackAudio {
  return loadWavForPlaybackSync(new URL(`../../audio/prompts/${name}`, import.meta.url).pathname);
}
