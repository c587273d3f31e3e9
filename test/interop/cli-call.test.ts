/**
 * The real `umphone call` (node --import tsx src/cli/main.ts, a child process with pipes: no terminal)
 * against real SIPp peers: a call that SIPp hangs up (summary, -v trace, --record WAV checked by our
 * reader and by soxi, --json), the failures and their exit codes (486 → 4, 488 → 5, 302 loop → 6,
 * connection refused → 8) with one line on stderr, bad arguments (exit 2, one line, empty stdout), and
 * interrupts: SIGINT after the answer sends BYE (exit 0, WAV valid), SIGINT while ringing sends CANCEL
 * (exit 130).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadWavForPlaybackSync, readWavInfo } from '../../src/media/wav/reader.js';
import { killAllChildren, pollUntil, spawnTracked, type ExitInfo } from '../support/child-process.js';
import { ROOT, umphone } from '../support/umphone-cli.js';
import { startSipp, scenarioPath } from '../support/sipp.js';
import { startBaresip } from '../support/baresip.js';
import { freeSipPort, freeTcpPort } from '../support/ports.js';
import { writeG711Pcap } from '../support/pcap.js';

const dir = mkdtempSync(join(tmpdir(), 'umphone-cli-'));
const prompt = loadWavForPlaybackSync(join(ROOT, 'audio/prompts/greeting-613.wav')).samples;
const pcap = join(dir, 'greeting.pcap');
writeG711Pcap(pcap, prompt, { law: 'PCMU' });

afterAll(() => killAllChildren());


async function run(args: string[]): Promise<ExitInfo> {
  const child = umphone(args);
  return child.exited;
}

function stderrLines(r: ExitInfo): string[] {
  return r.stderr.split('\n').filter((l) => l.trim() !== '');
}

/** soxi's view of a WAV: channels, rate, duration in seconds. */
function soxi(path: string): { channels: number; rate: number; seconds: number } {
  const q = (flag: string) => execFileSync('soxi', [flag, path], { encoding: 'utf8' }).trim();
  return { channels: Number(q('-c')), rate: Number(q('-r')), seconds: Number(q('-D')) };
}

describe('umphone call against SIPp', () => {
  it('completes a call SIPp hangs up: summary, -v trace, --record WAV and --json', async () => {
    const uas = await startSipp({ scenario: scenarioPath('uas-answer-play-bye.xml'), transport: 't1', files: { 'audio.pcap': pcap }, pauseMs: 1500 });
    const rec = join(dir, 'bye.wav');
    const json = join(dir, 'bye.json');
    try {
      const r = await run(['call', `sip:680@${uas.address}`, '--from', '111', '--diversion', '613', '--record', rec, '--json', json, '-v', '--no-audio']);
      expect(r.code, r.stderr).toBe(0);
      // Progress and summary.
      expect(r.stdout).toMatch(/^Calling sip:680@127\.0\.0\.1:\d+;transport=tcp$/m);
      expect(r.stdout).toMatch(/… 180 Ringing \(ringing\)/);
      expect(r.stdout).toMatch(/✓ answered: 200, codec PCMU/);
      expect(r.stdout).toMatch(/── Call summary/);
      expect(r.stdout).toMatch(/Result {7}answered \(200 OK\), ended by remote \(BYE\)/);
      expect(r.stdout).toMatch(/Recordings {3}.*bye\.wav/);
      // -v: every message with a timestamp, a direction arrow and the transport.
      expect(r.stdout).toMatch(/^\d\d:\d\d:\d\d\.\d{3} ──▶ TCP 127\.0\.0\.1:\d+ → 127\.0\.0\.1:\d+ \(\d+ bytes\)\n {4}INVITE sip:680@/m);
      expect(r.stdout).toMatch(/^\d\d:\d\d:\d\d\.\d{3} ◀── TCP .*\n {4}SIP\/2\.0 200 OK/m);
      expect(r.stdout).toMatch(/──▶ TCP .*\n {4}ACK sip:sipp@/);
      expect(r.stdout).toMatch(/◀── TCP .*\n {4}BYE sip:/);
      expect(r.stdout).toMatch(/^ {4}Diversion: <sip:613@127\.0\.0\.1>;reason=no-answer;counter=1$/m);
      expect(r.stderr).toBe('');
      // The recording: a valid WAV by our reader and by sox, about as long as the call.
      const info = readWavInfo(readFileSync(rec), rec);
      expect(info.channels).toBe(1);
      expect(info.sampleRate).toBe(8000);
      expect(info.streamed).toBe(false);
      const sx = soxi(rec);
      expect(sx.rate).toBe(8000);
      expect(sx.seconds).toBeGreaterThan(1);
      expect(Math.abs(sx.seconds - info.durationMs / 1000)).toBeLessThan(0.01);
      // --json: the CallSummary.
      const summary = JSON.parse(readFileSync(json, 'utf8')) as { status: number; endedBy: string; rtp: { received: { packets: number } }; recordings: string[] };
      expect(summary.status).toBe(200);
      expect(summary.endedBy).toBe('remote (BYE)');
      expect(summary.rtp.received.packets).toBeGreaterThan(50);
      expect(summary.recordings).toEqual([rec]);
      expect((await uas.exited).code, uas.describe()).toBe(0);
    } finally {
      await uas.kill();
    }
  });

  it('follows a 302 to a worker and prints each hop (paced with --realtime)', async () => {
    const workerPort = await freeSipPort();
    const worker = await startSipp({ scenario: scenarioPath('uas-answer-play-bye.xml'), transport: 't1', localPort: workerPort, files: { 'audio.pcap': pcap }, pauseMs: 500 });
    const front = await startSipp({
      scenario: scenarioPath('uas-redirect-302.xml'), transport: 't1',
      vars: { target_user: '680', target_port: String(workerPort), target_transport: 'Tcp' },
    });
    try {
      const r = await run(['call', `sip:680@${front.address}`, '--from', '111', '--no-audio', '--realtime']);
      expect(r.code, r.stderr).toBe(0);
      // As root (CI) the main thread gets SCHED_FIFO without a word; elsewhere one line says why not.
      if (process.getuid?.() === 0) expect(r.stderr).not.toContain('--realtime:');
      else expect(r.stderr).toMatch(/^umphone: --realtime: .*RTP is paced at normal priority$/m);
      expect(r.stdout).toContain(`→ 302 Moved Temporarily, following to sip:680@127.0.0.1:${workerPort};transport=Tcp`);
      expect(r.stdout).toMatch(new RegExp(`^ {2}Redirects {4}1\\. sip:680@${front.address.replace(/\./g, '\\.')};transport=tcp → 302 `, 'm'));
      expect(r.stdout).toMatch(new RegExp(`^ {15}2\\. sip:680@127\\.0\\.0\\.1:${workerPort};transport=Tcp.* → 200 OK$`, 'm'));
    } finally {
      await front.kill();
      await worker.kill();
    }
  });

  it.each([
    ['uas-busy-486.xml', 4, /^umphone: 486 Busy Here/],
    ['uas-488.xml', 5, /^umphone: 488 /],
    ['uas-redirect-loop.xml', 6, /^umphone: redirect loop/],
  ] as const)('%s exits with %i and one line on stderr', async (scenario, code, line) => {
    const uas = await startSipp({ scenario: scenarioPath(scenario), transport: 't1' });
    try {
      const r = await run(['call', `sip:680@${uas.address}`, '--no-audio']);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(code);
      expect(stderrLines(r)).toHaveLength(1);
      expect(stderrLines(r)[0]).toMatch(line);
      expect(r.stdout).toMatch(/── Call summary/);
    } finally {
      await uas.kill();
    }
  });

  it('a connection refused exits with 8', async () => {
    const port = await freeTcpPort(); // nobody listens there
    const r = await run(['call', `sip:680@127.0.0.1:${port}`, '--no-audio', '-q']);
    expect(r.code).toBe(8);
    expect(stderrLines(r)).toHaveLength(1);
    expect(stderrLines(r)[0]).toMatch(/^umphone: 503 Service Unavailable \(transport: .*ECONNREFUSED/);
    expect(r.stdout).toBe('');
  });

  it('SIGINT after the answer sends BYE, finalizes the WAV, prints the summary and exits 0', async () => {
    const uas = await startSipp({ scenario: scenarioPath('uas-answer-play.xml'), transport: 't1', files: { 'audio.pcap': pcap } });
    const rec = join(dir, 'sigint.wav');
    try {
      const child = umphone(['call', `sip:680@${uas.address}`, '--record', rec, '--no-audio']);
      await pollUntil('"answered" on stdout', () => /✓ answered/.test(child.stdout()) || child.hasExited(), 10_000);
      // 500 ms of 8 kHz 16-bit audio past the 44-byte header.
      await pollUntil('some audio recorded', () => existsSync(rec) && statSync(rec).size > 44 + 8000, 10_000);
      child.proc.kill('SIGINT');
      const r = await child.exited;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/SIGINT: hanging up \(BYE\)/);
      expect(r.stdout).toMatch(/Result {7}answered \(200 OK\), ended by local \(BYE\)/);
      // SIPp's own exit code counts our closing the TCP connection after the BYE as an error: judge
      // by its message log (BYE received, 200 sent).
      await uas.exited;
      const flow = uas.messages().map((m) => `${m.direction} ${m.method ?? m.status}`);
      expect(flow, uas.describe()).toEqual(['received INVITE', 'sent 180', 'sent 200', 'received ACK', 'received BYE', 'sent 200']);
      const info = readWavInfo(readFileSync(rec), rec);
      expect(info.streamed).toBe(false);
      expect(soxi(rec).seconds).toBeCloseTo(info.durationMs / 1000, 2);
    } finally {
      await uas.kill();
    }
  });

  it('SIGINT while ringing sends CANCEL and exits 130', async () => {
    const uas = await startSipp({ scenario: scenarioPath('uas-ring-forever.xml'), transport: 't1' });
    try {
      const child = umphone(['call', `sip:680@${uas.address}`, '--no-audio']);
      await pollUntil('"180 Ringing" on stdout', () => /180 Ringing/.test(child.stdout()) || child.hasExited(), 10_000);
      child.proc.kill('SIGINT');
      const r = await child.exited;
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(130);
      expect(r.stdout).toMatch(/SIGINT: cancelling the call \(CANCEL\)/);
      expect(stderrLines(r)).toEqual(['umphone: interrupted: the call was cancelled before it was answered']);
      expect((await uas.exited).code, uas.describe()).toBe(0);
      const received = uas.messages().filter((m) => m.direction === 'received').map((m) => m.method);
      expect(received).toEqual(['INVITE', 'CANCEL', 'ACK']);
    } finally {
      await uas.kill();
    }
  });
});

describe('umphone call against baresip (UDP)', () => {
  it('sends --dtmf-sequence once answered, prints a received digit, hangs up after --duration', async () => {
    const b = await startBaresip({ transport: 'udp' });
    const json = join(dir, 'dtmf.json');
    try {
      const child = umphone(['call', b.uri, '--transport', 'udp', '--dtmf-sequence', '12,3', '--duration', '3', '--no-audio', '--json', json]);
      await pollUntil('"answered" on stdout', () => /✓ answered/.test(child.stdout()) || child.hasExited(), 10_000);
      await b.sendDtmf('7'); // printed as it arrives
      const r = await child.exited;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^◀ DTMF 7 received \(rfc4733, \d+ ms\)$/m);
      expect(r.stdout).toMatch(/^ {2}DTMF recv {4}7 \(rfc4733\)$/m);
      expect(r.stdout).toMatch(/^Calling sip:uas@127\.0\.0\.1:\d+;transport=udp$/m);
      expect(r.stdout).toMatch(/^▶ DTMF sent: 12,3$/m);
      expect(r.stdout).toMatch(/^duration of 3 s reached: hanging up$/m);
      expect(r.stdout).toMatch(/^ {2}DTMF sent {4}123 \(rfc4733\)$/m);
      expect(b.receivedDigits()).toBe('123');
      const summary = JSON.parse(readFileSync(json, 'utf8')) as { durationMs: number; endedBy: string };
      expect(summary.endedBy).toBe('local (BYE)');
      expect(summary.durationMs).toBeGreaterThanOrEqual(3000);
      await b.waitForEvent('CALL_CLOSED', 5000);
    } finally {
      await b.stop();
    }
  });
});

describe('umphone bad usage', () => {
  it.each([
    [['call', 'sip:680@127.0.0.1', '--transport', 'sctp'], /transport/],
    [['call', 'sip:680@127.0.0.1', '--codec', 'g729'], /unsupported codec "g729"/],
    [['call', 'tel:+15551234'], /umphone calls sip: or sips: URIs/],
    [['call', 'sip:680@127.0.0.1', '--duration', '-1'], /--duration must be a number of seconds > 0 \(got -1\)/],
    [['call', 'sip:680@127.0.0.1', '--play', '/nonexistent/prompt.wav'], /--play \/nonexistent\/prompt\.wav: cannot read the file \(no such file\)/],
    [['call', 'sip:680@127.0.0.1', '--dtmf-sequence', '12x'], /invalid character "x"/],
    [['call'], /Not enough non-option arguments/],
    [['call', 'sip:680@127.0.0.1', '--bogus'], /Unknown argument: bogus/],
    [[], /give a command/],
  ])('%j exits 2 with one line', async (args, message) => {
    const r = await run([...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(stderrLines(r)).toHaveLength(1);
    expect(r.stderr).toMatch(/^umphone: /);
    expect(r.stderr).toMatch(message);
  });

  it('--help lists the examples and the exit codes; --version prints the version', async () => {
    const help = await run(['call', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/umphone call sip:680@um\.example\.com --from 111 --diversion 613/);
    expect(help.stdout).toMatch(/130 {2}interrupted before the answer/);
    const version = await run(['--version']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('bin/umphone.js runs the source through tsx when dist/ is absent', async () => {
    const r = await new Promise<ExitInfo>((res) => {
      const c = spawnTracked(process.execPath, [join(ROOT, 'bin/umphone.js'), 'call', 'sip:1@127.0.0.1', '--codec', 'g729'], { cwd: tmpdir() });
      void c.exited.then(res);
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^umphone: unsupported codec/);
  });
});
