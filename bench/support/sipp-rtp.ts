/**
 * SIPp as the reference RTP sender of the pacing benchmark, run the way SIPp users load-test media: one
 * UAS instance and one UAC instance, `-l N -r N -m N` calls, each side replaying a G.711 pcap with
 * `play_pcap_audio` (raw socket: needs root) for the whole call, so RTP flows both ways. Both SDPs offer
 * `[auto_media_port]`, a different port per call, so every stream has its own destination port on the
 * wire. The pcap is written here: 160-byte PCMU frames 20 ms apart under one recognisable SSRC.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeUdpPcap, type UdpRecord } from './pcap.js';

/** SSRC of every packet SIPp replays in the benchmark: how the analysis recognises them. */
export const SIPP_SSRC = 0x51bb0001;

export function writeG711Pcap(path: string, seconds: number): void {
  const n = Math.ceil((seconds * 1000) / 20);
  const records: UdpRecord[] = [];
  for (let i = 0; i < n; i++) {
    const rtp = Buffer.alloc(12 + 160, 0xff); // 0xff: PCMU silence
    rtp[0] = 0x80;
    rtp[1] = i === 0 ? 0x80 : 0; // marker on the first packet, PT 0 (PCMU)
    rtp.writeUInt16BE((1000 + i) & 0xffff, 2);
    rtp.writeUInt32BE((16000 + i * 160) >>> 0, 4);
    rtp.writeUInt32BE(SIPP_SSRC, 8);
    records.push({ timeUs: 1_700_000_000e6 + i * 20_000, srcPort: 6000, dstPort: 6002, payload: rtp });
  }
  writeUdpPcap(path, records);
}

const sdp = (port: string): string => `v=0
o=sipp 1 1 IN IP4 [local_ip]
s=-
c=IN IP4 [local_ip]
t=0 0
m=audio ${port} RTP/AVP 0
a=rtpmap:0 PCMU/8000
`;

export function uacScenario(pauseMs: number): string {
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="bench uac with pcap audio">
  <send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:bench@[local_ip]:[local_port]>;tag=[pid]U[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:bench@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

${sdp('[auto_media_port]')}
]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200"/>
  <send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:bench@[local_ip]:[local_port]>;tag=[pid]U[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
  <nop><action><exec play_pcap_audio="audio.pcap"/></action></nop>
  <pause milliseconds="${pauseMs}"/>
  <send retrans="500"><![CDATA[
BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:bench@[local_ip]:[local_port]>;tag=[pid]U[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200" crlf="true"/>
</scenario>
`;
}

export function uasScenario(): string {
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="bench uas with pcap audio">
  <recv request="INVITE" crlf="true"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]S[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port]>
Content-Type: application/sdp
Content-Length: [len]

${sdp('[auto_media_port]')}
]]></send>
  <recv request="ACK"/>
  <nop><action><exec play_pcap_audio="audio.pcap"/></action></nop>
  <recv request="BYE"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
</scenario>
`;
}

export interface SippRun {
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
}

/** Spawns SIPp in `dir` (where audio.pcap and the scenarios live), all sockets on 127.0.0.1. */
export function spawnSipp(dir: string, args: string[], prefix: string[] = []): SippRun {
  const cmd = [...prefix, 'sipp', ...args, '-i', '127.0.0.1', '-mi', '127.0.0.1', '-ci', '127.0.0.1', '-nostdin'];
  const child = spawn(cmd[0]!, cmd.slice(1), {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let out = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(-1));
  });
  return { child, exited, output: () => out };
}

/** CPU seconds (user + system) of a process so far, from /proc (clock ticks of 10 ms). */
export function procCpuSeconds(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / 100;
  } catch {
    return 0;
  }
}

/** Peak resident set of a process (VmHWM), in bytes. */
export function procPeakRss(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export function writeScenarios(dir: string, pauseMs: number): { uac: string; uas: string } {
  const uac = join(dir, 'uac.xml');
  const uas = join(dir, 'uas.xml');
  writeFileSync(uac, uacScenario(pauseMs));
  writeFileSync(uas, uasScenario());
  return { uac, uas };
}
