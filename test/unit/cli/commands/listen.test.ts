/**
 * `umphone listen` option handling: --auto-answer alone means "at once" (yargs turns a number option
 * given without a value into undefined, indistinguishable from absent: the option is a string and
 * autoAnswerDelay reads it), and with a terminal a call given `--auto-answer` is answered without a key,
 * while one without it rings. Bad values exit 2 with one line. --local-ip 0.0.0.0 binds every interface
 * and a caller on 127.0.0.1 sees 127.0.0.1 in Contact and SDP; --advertise replaces it. Real sockets on
 * 127.0.0.1 (or 0.0.0.0), port 0.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../../src/cli/cli.js';
import { autoAnswerDelay } from '../../../../src/cli/commands/listen.js';
import type { CliIo, CliSignal } from '../../../../src/cli/context.js';
import { UsageError } from '../../../../src/cli/context.js';
import { Phone } from '../../../../src/phone/phone.js';
import { RealClock } from '../../../../src/util/clock.js';
import { parseMessage, type SipResponse } from '../../../../src/sip/message/index.js';

const clock = new RealClock();

function fakeIo(opts: { terminal: boolean }) {
  const signals = new Map<CliSignal, () => void>();
  let keys: ((chunk: string) => void) | undefined;
  const io = {
    stdout: '',
    stderr: '',
    out(text: string) { io.stdout += text; },
    err(text: string) { io.stderr += text; },
    stdoutIsTTY: opts.terminal,
    columns: () => 100,
    rawInput: opts.terminal ? { start: (fn: (chunk: string) => void) => { keys = fn; return () => { keys = undefined; }; } } : undefined,
    env: {},
    onSignal: (sig: CliSignal, fn: () => void) => { signals.set(sig, fn); return () => signals.delete(sig); },
    exitNow: (code: number): never => { throw new Error(`exit ${code}`); },
    signal: (sig: CliSignal) => signals.get(sig)?.(),
    type: (chunk: string) => keys?.(chunk),
  };
  return io satisfies CliIo & Record<string, unknown>;
}

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = clock.now() + ms;
  while (!cond()) {
    if (clock.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((r) => clock.setTimeout(r, 20));
  }
}

describe('autoAnswerDelay', () => {
  it.each([
    [undefined, false, 0],
    [undefined, true, undefined],
    ['', true, 0],
    ['', false, 0],
    ['0', true, 0],
    ['2.5', true, 2.5],
    [3, true, 3],
  ] as const)('%j (terminal %s) → %s', (raw, terminal, want) => {
    expect(autoAnswerDelay(raw, terminal)).toBe(want);
  });

  it.each(['abc', '-1', 'NaN', 'Infinity'])('"%s" is a usage error', (raw) => {
    expect(() => autoAnswerDelay(raw, true)).toThrow(UsageError);
    expect(() => autoAnswerDelay(raw, true)).toThrow(`--auto-answer takes a number of seconds ≥ 0, or nothing for at once (got "${raw}")`);
  });
});

describe('umphone listen (in process)', () => {
  let phone: Phone | undefined;
  afterEach(async () => {
    await phone?.close();
    phone = undefined;
  });

  it.each([
    [['--port', '0', '--auto-answer', 'soon'], /^umphone: --auto-answer takes a number of seconds ≥ 0/],
    [['--port', '70000'], /^umphone: --port must be a port number 0-65535/],
    [['--port', '0', '--max-calls', '0'], /^umphone: --max-calls must be a whole number ≥ 1/],
    [['--port', '0', '--allow', '10.0.0.300/33'], /^umphone: .*10\.0\.0\.300/],
    [['--port', '0', '--advertise', '0.0.0.0'], /^umphone: --advertise 0\.0\.0\.0 cannot be advertised in Contact and SDP/],
    [['--port', '0', '--advertise', 'gw.example.com'], /^umphone: --advertise takes an IP address \(got "gw\.example\.com"\)$/m],
    [['--port', '0', '--local-ip', '::'], /^umphone: --local-ip :: is not supported yet: use 0\.0\.0\.0/],
  ])('%j exits 2 with one line', async (args, line) => {
    const io = fakeIo({ terminal: false });
    const ip = args.includes('--local-ip') ? [] : ['--local-ip', '127.0.0.1'];
    expect(await runCli(['listen', ...ip, ...args], io)).toBe(2);
    expect(io.stdout).toBe('');
    expect(io.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(io.stderr).toMatch(line);
  });

  it.each([
    [['--auto-answer'], 'answered'],
    [['--auto-answer', '--record-both'], 'usage'],
    [[], 'ringing'],
  ] as const)('with a terminal, %j → %s', async (extra, expected) => {
    const io = fakeIo({ terminal: true });
    const exit = runCli(['listen', '--local-ip', '127.0.0.1', '--port', '0', ...extra], io);
    if (expected === 'usage') {
      // --auto-answer did not swallow the next option: --record-both is read, and wants --record.
      expect(await exit).toBe(2);
      expect(io.stderr).toBe('umphone: --record-both needs --record FILE\n');
      return;
    }
    await until('"listening on"', () => /listening on/.test(io.stdout));
    const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(io.stdout)![1]);
    phone = await Phone.create({ localIp: '127.0.0.1' });
    const call = phone.dial(`sip:gw@127.0.0.1:${port};transport=tcp`, { rtpTimeout: 0 });
    call.answered.catch(() => undefined);
    if (expected === 'answered') {
      await call.answered;
      expect(io.stdout).not.toMatch(/ringing: a or Enter answers/);
    } else {
      await until('the ringing prompt', () => /call 1 ringing: a or Enter answers, r rejects \(486\)/.test(io.stdout));
      // The prompt is printed as the 180 leaves; the caller sees it a moment later.
      await until('the 180 at the caller', () => call.state === 'ringing');
      io.type('a');
      await call.answered;
    }
    expect(io.stdout).toMatch(/call 1 answered: PCMU, RTP to 127\.0\.0\.1:\d+/);
    io.signal('SIGINT');
    expect(await exit).toBe(0);
    const summary = await call.ended;
    expect(summary.endedBy).toBe('remote (BYE)');
    expect(io.stdout).toMatch(/stopping: hanging up active calls/);
    expect(io.stdout).toMatch(/Call 1 summary \(from sip:/);
  });
});

describe('umphone listen --local-ip 0.0.0.0 (in process)', () => {
  let phone: Phone | undefined;
  afterEach(async () => {
    await phone?.close();
    phone = undefined;
  });

  it.each([
    [[], '127.0.0.1', /^listening on 0\.0\.0\.0:(\d+) \(TCP and UDP\), advertising to each caller the address it reached; Ctrl-C stops$/m],
    [['--advertise', '192.0.2.10'], '192.0.2.10', /^listening on 0\.0\.0\.0:(\d+) \(TCP and UDP\), advertising 192\.0\.2\.10; Ctrl-C stops$/m],
  ] as const)('%j: the 180 and 200 carry %s in Contact, SDP c= and o=', async (extra, expected, listening) => {
    const io = fakeIo({ terminal: false });
    const exit = runCli(['listen', '--local-ip', '0.0.0.0', '--port', '0', '--no-audio', '--rtp-timeout', '0', ...extra], io);
    await until('"listening on"', () => /listening on/.test(io.stdout) || io.stderr !== '');
    const port = Number(listening.exec(io.stdout)?.[1]);
    expect(port, io.stdout + io.stderr).toBeGreaterThan(0);
    const received: SipResponse[] = [];
    phone = await Phone.create({
      localIp: '127.0.0.1',
      onTrace: (e) => {
        if (e.direction !== 'in') return;
        const m = parseMessage(e.bytes);
        if (m.kind === 'response') received.push(m);
      },
    });
    const call = await phone.call(`sip:gw@127.0.0.1:${port};transport=tcp`, { rtpTimeout: 0 });
    const contacts = received.filter((r) => r.status === 180 || r.status === 200).map((r) => r.headers.get('Contact'));
    expect(contacts).toEqual([`<sip:${expected}:${port};transport=tcp>`, `<sip:${expected}:${port};transport=tcp>`]);
    const sdp = received.find((r) => r.status === 200)!.body.toString();
    expect(sdp).toMatch(new RegExp(`^c=IN IP4 ${expected.replace(/\./g, '\\.')}\r$`, 'm'));
    expect(sdp).toMatch(new RegExp(`^o=\\S+ \\d+ \\d+ IN IP4 ${expected.replace(/\./g, '\\.')}\r$`, 'm'));
    expect(received.map((r) => `${r.headers.get('Contact') ?? ''}${r.body.toString()}`).join('')).not.toContain('0.0.0.0');
    await call.hangup();
    io.signal('SIGINT');
    expect(await exit).toBe(0);
  });
});
