/**
 * baresip's own SRTP cost, for the rtp-pacing bench's SRTP rows (BENCH_SRTP=1): two baresip 1.0
 * processes on 127.0.0.1, one placing N calls to the other (auto-answer), G.711 both ways, first with
 * plain RTP then with `mediaenc=srtp-mand` (libre's SRTP, AES_CM_128_HMAC_SHA1_80) for the same
 * seconds. The CPU of both processes (/proc/<pid>/stat utime+stime) over the measured seconds, per call
 * and per process, is what one endpoint spends per call-second; the SRTP row minus the plain row is
 * what SRTP adds per call, as umphone's two rows give it (each endpoint protects 50 and unprotects 50
 * packets a second per call, as ours does).
 *
 * The config follows test/support/baresip.ts (docs/peers.md's traps) with what many calls need: a
 * call_max_calls above N, an RTP port range wide enough, RTCP multiplexed, no recording.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePortRange, freeSipPort, freeTcpPort, isPortBound } from '../../test/support/ports.js';
import { writeSilentWav } from '../../test/support/baresip.js';
import { procCpuSeconds } from './sipp-rtp.js';

export interface BaresipCpu {
  calls: number;
  /** Calls both processes had established when the measurement started. */
  established: number;
  seconds: number;
  /** CPU ms per second per call, one process (the mean of caller and answerer). */
  msPerCallSecond: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function silentWav(path: string, seconds: number): void {
  writeSilentWav(path, 8000 * seconds);
}

interface Instance {
  child: ChildProcess;
  sipPort: number;
  ctrl: net.Socket;
  established(): number;
}

async function start(dir: string, name: string, calls: number, srtp: boolean, answer: boolean, lifetime: number, source: string): Promise<Instance> {
  const sipPort = await freeSipPort();
  const ctrlPort = await freeTcpPort();
  const ports = calls * 2 + 16;
  const rtpBase = await freePortRange(ports, 'udp', 2);
  const conf = join(dir, name);
  const { mkdirSync } = await import('node:fs');
  mkdirSync(conf, { recursive: true });
  writeFileSync(join(conf, 'config'), [
    'poll_method epoll',
    `sip_listen 127.0.0.1:${sipPort}`,
    `call_max_calls ${calls + 4}`,
    `audio_source aufile,${source}`,
    'audio_player none,none',
    'audio_alert none,none',
    'ausrc_srate 8000',
    'auplay_srate 8000',
    'ausrc_channels 1',
    'auplay_channels 1',
    `rtp_ports ${rtpBase}-${rtpBase + ports - 1}`,
    'rtcp_mux yes',
    'jitter_buffer_delay 1-10',
    'net_interface 127.0.0.1',
    'dns_server 127.0.0.1:53',
    `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
    'module_path /usr/lib/baresip/modules',
    'module g711.so',
    'module aufile.so',
    ...(srtp ? ['module srtp.so'] : []),
    'module_tmp account.so',
    'module_app contact.so',
    'module_app menu.so',
    'module_app ctrl_tcp.so',
    '',
  ].join('\n'));
  writeFileSync(join(conf, 'accounts'), `<sip:${name}@127.0.0.1:${sipPort}>;regint=0;answermode=${answer ? 'auto' : 'manual'};audio_codecs=PCMU${srtp ? ';mediaenc=srtp-mand' : ''}\n`);
  writeFileSync(join(conf, 'contacts'), '');
  const child = spawn('baresip', ['-f', conf, '-t', String(lifetime)], { cwd: conf, stdio: ['ignore', 'ignore', 'ignore'] });
  for (let i = 0; i < 80 && !((await isPortBound(sipPort, 'udp')) && (await isPortBound(ctrlPort, 'tcp'))); i++) await sleep(100);
  const ctrl = net.connect({ host: '127.0.0.1', port: ctrlPort });
  await new Promise<void>((resolve, reject) => {
    ctrl.once('connect', () => resolve());
    ctrl.once('error', reject);
  });
  let up = 0;
  let text = '';
  ctrl.on('data', (d: Buffer) => {
    // Events arrive as netstring-framed JSON; counting the type is all this needs.
    text += d.toString('utf8');
    const parts = text.split('"type":"CALL_ESTABLISHED"');
    up += parts.length - 1;
    text = parts[parts.length - 1]!.slice(-64);
  });
  ctrl.on('error', () => undefined);
  return { child, sipPort, ctrl, established: () => up };
}

function command(ctrl: net.Socket, command: string, params: string): void {
  const body = JSON.stringify({ command, params, token: '1' });
  ctrl.write(`${Buffer.byteLength(body)}:${body},`);
}

/** One run: N calls from one baresip to another, plain or SRTP, CPU over `seconds` once they are up. */
export async function baresipCpu(calls: number, seconds: number, srtp: boolean): Promise<BaresipCpu> {
  const dir = mkdtempSync(join(tmpdir(), 'umphone-baresip-cpu-'));
  const source = join(dir, 'silence.wav');
  silentWav(source, seconds + 60);
  const lifetime = seconds + 60;
  const answerer = await start(dir, 'uas', calls, srtp, true, lifetime, source);
  const caller = await start(dir, 'uac', calls, srtp, false, lifetime, source);
  try {
    for (let i = 0; i < calls; i++) {
      command(caller.ctrl, 'dial', `sip:uas@127.0.0.1:${answerer.sipPort}`);
      if (i % 20 === 19) await sleep(50); // a burst of hundreds of INVITEs would be its own test
    }
    for (let i = 0; i < 300 && caller.established() < calls; i++) await sleep(100);
    await sleep(1000); // the last calls' set-up out of the measured seconds
    const pids = [answerer.child.pid!, caller.child.pid!];
    const before = pids.map(procCpuSeconds);
    const established = Math.min(caller.established(), answerer.established());
    await sleep(seconds * 1000);
    const after = pids.map(procCpuSeconds);
    const cpuMs = (after[0]! - before[0]! + after[1]! - before[1]!) * 1000;
    return { calls, established, seconds, msPerCallSecond: cpuMs / 2 / Math.max(1, established) / seconds };
  } finally {
    for (const b of [caller, answerer]) {
      b.ctrl.destroy();
      b.child.kill('SIGTERM');
    }
    await sleep(300);
    for (const b of [caller, answerer]) if (b.child.exitCode === null) b.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}
