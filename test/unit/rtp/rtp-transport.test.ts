/**
 * Choosing the RTP engine (rtp-transport.ts): the name read from UMPHONE_RTP_ENGINE, the default (native
 * where the addon is built, else main and why), and what each engine's transport opens.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_LEAD_MS } from '../../../src/rtp/io-engine.js';
import { ManualClock, RealClock } from '../../../src/util/clock.js';
import {
  createRtpTransport,
  defaultRtpEngine,
  LIVE_INPUT_LEAD_MS,
  parseRtpEngineMode,
  rtpEngineMode,
  RtpEngineModeError,
} from '../../../src/rtp/rtp-transport.js';

describe('rtpEngineMode', () => {
  it('reads UMPHONE_RTP_ENGINE: unset or empty leaves the choice to the default', () => {
    expect(rtpEngineMode({})).toBeUndefined();
    expect(rtpEngineMode({ UMPHONE_RTP_ENGINE: ' ' })).toBeUndefined();
    expect(rtpEngineMode({ UMPHONE_RTP_ENGINE: 'Main' })).toBe('main');
    expect(rtpEngineMode({ UMPHONE_RTP_ENGINE: ' native ' })).toBe('native');
    expect(() => rtpEngineMode({ UMPHONE_RTP_ENGINE: 'fast' })).toThrow(RtpEngineModeError);
  });

  it('knows no worker engine any more', () => {
    expect(() => parseRtpEngineMode('worker')).toThrow('UMPHONE_RTP_ENGINE must be "main" or "native", got "worker".');
  });

  it('defaults to the native engine where the addon loads, else to main with the reason', () => {
    expect(defaultRtpEngine()).toEqual({ mode: 'native' }); // npm install builds it
    expect(defaultRtpEngine('the addon is not built')).toEqual({ mode: 'main', fallback: 'the addon is not built' });
  });
});

describe('createRtpTransport', () => {
  it('runs the native engine when none is asked for (UMPHONE_RTP_ENGINE unset), on a real clock', async () => {
    const asked = rtpEngineMode();
    const t = await createRtpTransport({ clock: new RealClock() });
    try {
      expect(t.mode).toBe(asked ?? 'native');
      expect(t.fallback).toBeUndefined();
      if (t.mode === 'native') expect(t.engine?.leadMs).toBe(DEFAULT_LEAD_MS);
    } finally {
      await t.close();
    }
  });

  it('runs the main engine on a manual clock whatever is asked, with no I/O thread', async () => {
    const t = await createRtpTransport({ clock: new ManualClock(0), mode: 'native' });
    expect(t.mode).toBe('main');
    expect(t.engine).toBeUndefined();
    expect(t.fallback).toBeUndefined();
    await t.close();
  });

  it('gives the pairs of a live-microphone transport the short lead, and the main engine none', async () => {
    const live = await createRtpTransport({ clock: new RealClock(), mode: 'native', leadMs: LIVE_INPUT_LEAD_MS });
    const main = await createRtpTransport({ clock: new RealClock(), mode: 'main' });
    try {
      const a = await live.openSocketPair({ address: '127.0.0.1', port: 0 });
      const b = await main.openSocketPair({ address: '127.0.0.1', port: 0 });
      expect(a.rtpSendSocket.leadMs).toBe(LIVE_INPUT_LEAD_MS);
      expect(b.rtpSendSocket.leadMs ?? 0).toBe(0);
      await Promise.all([a.close(), b.close()]);
    } finally {
      await Promise.all([live.close(), main.close()]);
    }
  });
});
