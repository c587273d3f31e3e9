import { describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callSettingsFromArgv, parseHeaderOption, type CallArgv } from '../../../src/cli/call-settings.js';
import { wantSoundCard } from '../../../src/cli/sound-card.js';
import { UsageError } from '../../../src/cli/context.js';

const base: CallArgv = { target: 'sip:680@um.example.com' };

describe('callSettingsFromArgv', () => {
  it('has the documented defaults', () => {
    const s = callSettingsFromArgv(base);
    expect(s.transport).toBe('tcp');
    expect(s.targetHost).toBe('um.example.com');
    expect(s.audio).toBe('auto');
    expect(s.call).toEqual({
      diversion: [], diversionReason: 'no-answer', historyInfo: false, codecs: ['PCMU', 'PCMA'],
      dtmf: { mode: 'auto' }, maxRedirects: 5, headers: [], latch: false, loop: false, srtp: 'off',
    });
    expect(s.durationMs).toBeUndefined();
  });

  it('takes --srtp and --srtp-suites (any case), and refuses an unknown mode or suite in one line', () => {
    expect(callSettingsFromArgv({ ...base, srtp: 'mandatory', srtpSuites: 'aes_cm_128_hmac_sha1_32, AEAD_AES_128_GCM' }).call)
      .toMatchObject({ srtp: 'mandatory', srtpSuites: ['AES_CM_128_HMAC_SHA1_32', 'AEAD_AES_128_GCM'] });
    expect(() => callSettingsFromArgv({ ...base, srtp: 'always' })).toThrow('--srtp: unknown SRTP mode "always": off, optional or mandatory');
    expect(() => callSettingsFromArgv({ ...base, srtp: 'optional', srtpSuites: 'AES_256_CM_HMAC_SHA1_80' }))
      .toThrow('--srtp-suites: unknown SRTP suite AES_256_CM_HMAC_SHA1_80 (known: AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, AEAD_AES_128_GCM)');
    expect(() => callSettingsFromArgv({ ...base, srtpSuites: 'AES_CM_128_HMAC_SHA1_80,aes_cm_128_hmac_sha1_80' })).toThrow('is named twice');
  });

  it('converts every option', () => {
    const rec = join(tmpdir(), 'x.wav');
    const s = callSettingsFromArgv({
      ...base, transport: 'udp', from: '111', name: 'Test Phone', to: '680', localIp: '10.0.0.2', localPort: 5070,
      user: 'u', password: 'p', diversion: [613, '614'], diversionReason: 'user-busy', historyInfo: true,
      codec: 'PCMA, pcmu', maxRedirects: 2, record: rec, recordBoth: true, play: 'in.wav', loop: true,
      duration: 2.5, dtmf: 'info', dtmfSequence: 1234, dtmfDuration: 120, dtmfGap: 60, dtmfInitialSilence: 300,
      dtmfLevel: -10, latch: true, rtpTimeout: 0, header: ['X-Foo: bar', 'X-Empty:'], json: join(tmpdir(), 'x.json'),
      audio: false, outputDevice: 3, inputDevice: 'USB', verbose: true,
    });
    expect(s.transport).toBe('udp');
    expect(s.localIp).toBe('10.0.0.2');
    expect(s.localPort).toBe(5070);
    expect(s.credentials).toEqual({ username: 'u', password: 'p' });
    expect(s.call).toMatchObject({
      from: '111', name: 'Test Phone', to: '680', diversion: ['613', '614'], diversionReason: 'user-busy',
      historyInfo: true, codecs: ['PCMA', 'PCMU'], maxRedirects: 2, record: rec, recordBoth: true, loop: true,
      dtmf: { mode: 'info', duration: 120, gap: 60, initialSilence: 300, level: -10 },
      latch: true, rtpTimeout: 0, headers: [['X-Foo', 'bar'], ['X-Empty', '']],
    });
    expect(s.playPath).toBe('in.wav');
    expect(s.durationMs).toBe(2500);
    expect(s.dtmfSequence).toBe('1234');
    expect(s.audio).toBe('off');
    expect(s.outputDevice).toBe(3);
    expect(s.verbose).toBe(true);
  });

  // Spellings only the shared parsers know (sdp/codec-name, media/dtmf/mode, util/duration): the
  // command line reads codecs, DTMF modes and durations through them, like scripts do.
  it('reads codecs, DTMF modes and durations with the parsers scripts use', () => {
    const s = callSettingsFromArgv({
      ...base, codec: 'mulaw, G.711a', dtmf: 'RFC 2833', duration: '1m30s', rtpTimeout: '2m', dtmfDuration: '0.1s', dtmfGap: '60', dtmfInitialSilence: '1.5s',
    });
    expect(s.call).toMatchObject({ codecs: ['PCMU', 'PCMA'], dtmf: { mode: 'rfc4733', duration: 100, gap: 60, initialSilence: 1500 }, rtpTimeout: 120_000 });
    expect(s.durationMs).toBe(90_000);
    expect(callSettingsFromArgv({ ...base, dtmf: 'sip-info' }).call.dtmf?.mode).toBe('info');
  });

  it.each([
    [{ target: 'fax:5551234' }, 'bad call target "fax:5551234": umphone calls sip: or sips: URIs (no gateway for fax:)'],
    [{ duration: '20x' }, '--duration must be a number of seconds > 0 (got 20x)'],
    [{ duration: '0s' }, '--duration must be a number of seconds > 0 (got 0s)'],
    [{ dtmfGap: '11s' }, '--dtmf-gap must be between 0 and 10000 ms (got 11s)'],
    [{ rtpTimeout: '-3' }, '--rtp-timeout must be a number of seconds ≥ 0 (0 = never) (got -3)'],
  ] as Array<[Partial<CallArgv>, string]>)('%j: the shared parser\'s refusal is a usage error', (over, message) => {
    const call = () => callSettingsFromArgv({ ...base, ...over });
    expect(call).toThrow(UsageError);
    expect(call).toThrow(message);
  });

  it('takes --transport tls and the TLS files (verified by default)', () => {
    expect(callSettingsFromArgv(base).tls).toEqual({ insecure: false });
    const s = callSettingsFromArgv({ ...base, transport: 'tls', tlsCa: 'package.json', tlsCert: 'package.json', tlsKey: 'tsconfig.json' });
    expect(s.transport).toBe('tls');
    expect(s.tls).toEqual({ insecure: false, caPath: 'package.json', certPath: 'package.json', keyPath: 'tsconfig.json' });
    expect(callSettingsFromArgv({ ...base, tlsInsecure: true }).tls.insecure).toBe(true);
  });

  it('takes the host to route to from maddr when the target has one', () => {
    expect(callSettingsFromArgv({ target: 'sip:680@um.example.com;maddr=10.0.0.5' }).targetHost).toBe('10.0.0.5');
  });

  it.each([
    [{ target: 'tel:+15551234' }, 'bad call target "tel:+15551234": umphone calls sip: or sips: URIs (no gateway for tel:)'],
    [{ target: 'http://example.com' }, /no gateway for http:/],
    [{ target: '' }, /the call target is empty/],
    [{ transport: 'sctp' }, '--transport must be tcp, udp or tls (got sctp)'],
    [{ codec: 'g729' }, 'unsupported codec "g729": umphone speaks G.711: pcmu (or ulaw, mulaw, g711u) and pcma (or alaw, g711a)'],
    [{ codec: ' , ' }, 'no codec given: umphone speaks G.711: pcmu (or ulaw, mulaw, g711u) and pcma (or alaw, g711a)'],
    [{ duration: -1 }, '--duration must be a number of seconds > 0 (got -1)'],
    [{ duration: Number.NaN }, '--duration must be a number of seconds > 0 (got NaN)'],
    [{ localPort: 70000 }, '--local-port must be a port number 0-65535 (got 70000)'],
    [{ maxRedirects: 1.5 }, '--max-redirects must be a whole number ≥ 0 (got 1.5)'],
    [{ rtpTimeout: -3 }, /--rtp-timeout must be/],
    [{ dtmfDuration: 10 }, '--dtmf-duration must be between 40 and 10000 ms (got 10)'],
    [{ dtmfLevel: 3 }, '--dtmf-level must be between -40 and 0 dBm0 (got 3)'],
    [{ dtmf: 'sms' }, 'unknown DTMF mode "sms": write auto, rfc4733 (or rfc2833), inband, or info (or sipinfo)'],
    [{ diversionReason: 'lunch' }, /--diversion-reason must be one of/],
    [{ dtmfSequence: '12x' }, 'bad --dtmf-sequence: DTMF sequence "12x" has an invalid character "x" at index 2.'],
    [{ user: 'u' }, '--user and --password go together'],
    [{ recordBoth: true }, '--record-both needs --record FILE'],
    [{ loop: true }, '--loop needs --play FILE'],
    [{ quiet: true, verbose: true }, '--quiet and --verbose exclude each other'],
    [{ header: ['NoColon'] }, 'bad --header "NoColon": write it as "Name: value"'],
    [{ header: ['Bad Name: x'] }, /bad --header/],
    [{ record: '/nonexistent-dir/x.wav' }, '--record /nonexistent-dir/x.wav: the folder /nonexistent-dir does not exist'],
    [{ json: '/nonexistent-dir/x.json' }, /--json .*does not exist/],
    [{ diversion: [''] }, '--diversion needs a number or SIP URI'],
    [{ tlsCert: 'package.json' }, '--tls-cert and --tls-key go together'],
    [{ tlsCa: '/nonexistent-dir/ca.pem' }, '--tls-ca /nonexistent-dir/ca.pem: no such file'],
    [{ tlsInsecure: true, tlsCa: 'package.json' }, '--tls-insecure and --tls-ca exclude each other'],
    [{ expect: ['mos'] }, 'bad --expect: "mos" is not a threshold: write metric, comparison, value, e.g. "mos>=4.0", "pdd<2s", "loss<1%"'],
    [{ expect: ['mos>=4.0', 'pdd<2'] }, /^bad --expect: post_dial_delay: .*2/],
    [{ expect: ['loss<1'] }, 'bad --expect: loss: "1" is not a percentage (write 1%)'],
    [{ expect: ['volume>3'] }, /^bad --expect: unknown quality metric "volume"/],
    [{ expect: ['one_way_audio<1'] }, 'bad --expect: one_way_audio: write one_way_audio=true or one_way_audio=false'],
  ] as Array<[Partial<CallArgv>, string | RegExp]>)('%j is a usage error', (over, message) => {
    const call = () => callSettingsFromArgv({ ...base, ...over });
    expect(call).toThrow(UsageError);
    expect(call).toThrow(message);
  });
});

describe('--expect', () => {
  it('takes metric names and aliases, with or without spaces, repeatable', () => {
    const s = callSettingsFromArgv({ ...base, expect: ['mos>=4.0', 'pdd < 2s', 'loss<1%', 'jitter<30ms', 'one_way_audio=false', 'r > 80'] });
    expect(s.expect.map((t) => `${t.metric} ${t.source}`)).toEqual([
      'mos >= 4.0', 'post_dial_delay < 2s', 'loss < 1%', 'jitter < 30ms', 'one_way_audio false', 'r_factor > 80',
    ]);
    expect(callSettingsFromArgv(base).expect).toEqual([]);
  });
});

describe('parsers', () => {
  it('keeps the codec order and drops repeats', () => {
    expect(callSettingsFromArgv({ ...base, codec: 'pcma,PCMU,pcma' }).call.codecs).toEqual(['PCMA', 'PCMU']);
    expect(callSettingsFromArgv({ ...base, codec: 'ulaw,alaw' }).call.codecs).toEqual(['PCMU', 'PCMA']);
  });

  it('splits a header at the first colon', () => {
    expect(parseHeaderOption('X-Url: http://a:b')).toEqual(['X-Url', 'http://a:b']);
  });
});

describe('wantSoundCard', () => {
  it.each([
    ['auto', true, {}, true],
    ['auto', true, { CI: 'true' }, false],
    ['auto', false, {}, false],
    ['on', false, { CI: '1' }, true],
    ['off', true, {}, false],
  ] as const)('%s, tty=%s, env %j → %s', (audio, tty, env, want) => {
    expect(wantSoundCard({ audio }, { stdoutIsTTY: tty, env })).toBe(want);
  });
});

describe('soundSystemPresent', () => {
  it.skipIf(process.platform !== 'linux')('looks for ALSA devices or a PulseAudio/PipeWire server on Linux', async () => {
    const { soundSystemPresent } = await import('../../../src/cli/sound-card.js');
    const none = () => false;
    expect(soundSystemPresent({}, none)).toBe(false);
    expect(soundSystemPresent({ PULSE_SERVER: 'unix:/tmp/p' }, none)).toBe(true);
    expect(soundSystemPresent({ XDG_RUNTIME_DIR: '/run/user/1' }, (p) => p === '/run/user/1/pulse/native')).toBe(true);
    expect(soundSystemPresent({ XDG_RUNTIME_DIR: '/run/user/1' }, (p) => p === '/run/user/1/pipewire-0')).toBe(true);
    expect(soundSystemPresent({}, (p) => p === '/dev/snd')).toBe(true);
  });
});
