/**
 * SRTP cost per packet: umphone's SrtpSender.protectRtp + SrtpReceiver.unprotectRtp on 172-byte RTP
 * packets (12-byte header + 160 bytes of G.711, one 20 ms frame), for each suite, as packets per
 * second on one core and CPU µs per packet (process.cpuUsage: user + system).
 *
 * The choices inside, measured in the same run:
 *   - AES-CM keystream: a createCipheriv('aes-128-ctr') per packet, against the one AES-ECB cipher
 *     per session that encrypts the counter blocks (AesCounterMode, what src/rtp/srtp uses);
 *   - HMAC-SHA1 over 176 bytes (packet || ROC): node's createHmac per packet, against HmacSha1 with
 *     the keyed pad states precomputed (what src/rtp/srtp uses).
 *
 * The native engine's SRTP (src/rtp/native/srtp.cc, OpenSSL EVP on the I/O thread) through the addon's
 * SrtpContext: timed in its own C++ loop (what the thread pays per packet), and through one N-API call
 * and buffer copy per packet each way (what a JavaScript caller of SrtpContext pays).
 *
 * Peer (the floor): OpenSSL on the same machine, `openssl speed -evp aes-128-ctr -bytes 160` and
 * `openssl speed -hmac sha1 -bytes 176`, the two primitives of one AES_CM_128_HMAC_SHA1_80 protect
 * in C with one context reused and no packet handling. Their sum is what one protect cannot go below
 * with these primitives; the ratio says what node's per-call overhead and our packet handling add.
 */
import { spawnSync } from 'node:child_process';
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { writeRtpHeader } from '../src/rtp/packet.js';
import { AesCounterMode } from '../src/rtp/srtp/aes-cm.js';
import { HmacSha1 } from '../src/rtp/srtp/hmac-sha1.js';
import { SRTP_SUITE_NAMES, SRTP_SUITES, SrtpReceiver, SrtpSender, engineSrtpConfig, type SrtpSuiteName } from '../src/rtp/srtp/index.js';
import { nativeRtpIoUnavailable, nativeSrtpContext } from '../src/rtp/io-native.js';
import { RealClock } from '../src/util/clock.js';

const clock = new RealClock();
const PACKETS = 50_000;

interface Cost {
  perSecond: number;
  cpuUs: number;
}

/** Runs f n times after a warm-up; wall-clock rate and CPU µs per call. Best of 3; `setup` runs untimed before each pass. */
function measure(n: number, f: (i: number) => void, setup?: () => void): Cost {
  setup?.();
  for (let i = 0; i < Math.min(n, 20_000); i++) f(i);
  let best: Cost = { perSecond: 0, cpuUs: Infinity };
  for (let rep = 0; rep < 3; rep++) {
    setup?.();
    const cpu0 = process.cpuUsage();
    const t0 = clock.now();
    for (let i = 0; i < n; i++) f(i);
    const ms = clock.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const cost = { perSecond: n / (ms / 1000), cpuUs: (cpu.user + cpu.system) / n };
    if (cost.cpuUs < best.cpuUs) best = cost;
  }
  return best;
}

function suiteCost(suite: SrtpSuiteName): { protect: Cost; unprotect: Cost; both: Cost } {
  const s = SRTP_SUITES[suite];
  const master = { suite, key: randomBytes(s.keyLength), salt: randomBytes(s.saltLength) };
  const rtp = Buffer.alloc(172, 0xd5);
  const tx = new SrtpSender(master);
  let seq = 0;
  const next = (): Buffer => {
    writeRtpHeader(rtp, { payloadType: 8, marker: false, sequence: seq & 0xffff, timestamp: seq * 160, ssrc: 0x1234 });
    seq++;
    return rtp;
  };
  const protect = measure(PACKETS, () => tx.protectRtp(next()));
  // Unprotect needs fresh packets in order (the replay window refuses repeats, and decryption is in
  // place): each pass gets newly protected packets and a new receiver, made before the clock starts.
  let wire: Buffer[] = [];
  let rx = new SrtpReceiver(master);
  const unprotect = measure(
    PACKETS,
    (i) => {
      const r = rx.unprotectRtp(wire[i]!);
      if (!r.ok) throw new Error(`bench packet dropped: ${r.reason}`);
    },
    () => {
      // A new sender too: a receiver that joins late cannot know the sender's ROC (RFC 3711 §3.3.1).
      const fresh = new SrtpSender(master);
      wire = Array.from({ length: PACKETS }, () => fresh.protectRtp(next()));
      rx = new SrtpReceiver(master);
    },
  );
  const tx2 = new SrtpSender(master);
  const rx2 = new SrtpReceiver(master);
  const both = measure(PACKETS, () => {
    const r = rx2.unprotectRtp(tx2.protectRtp(next()));
    if (!r.ok) throw new Error(`bench packet dropped: ${r.reason}`);
  });
  return { protect, unprotect, both };
}

/** protect + unprotect in the native session's own C++ loop: what the I/O thread pays per packet. */
function nativeLoopCost(suite: SrtpSuiteName): Cost {
  const s = SRTP_SUITES[suite];
  const master = { suite, key: randomBytes(s.keyLength), salt: randomBytes(s.saltLength) };
  const rtp = Buffer.alloc(172, 0xd5);
  writeRtpHeader(rtp, { payloadType: 8, marker: false, sequence: 0, timestamp: 0, ssrc: 0x1234 });
  let best: Cost = { perSecond: 0, cpuUs: Infinity };
  for (let rep = 0; rep < 4; rep++) {
    // A fresh context per pass: the loop's sequence numbers start at 0 again.
    const ctx = nativeSrtpContext(engineSrtpConfig(master, master));
    const cpu0 = process.cpuUsage();
    const t0 = clock.now();
    if (ctx.loop(rtp, 60_000) !== 60_000) throw new Error('bench packet dropped (native loop)');
    const ms = clock.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const cost = { perSecond: 60_000 / (ms / 1000), cpuUs: (cpu.user + cpu.system) / 60_000 };
    if (rep > 0 && cost.cpuUs < best.cpuUs) best = cost;
  }
  return best;
}

/** protect + unprotect through the native session (one SrtpContext sends, another receives). */
function nativeCost(suite: SrtpSuiteName): Cost {
  const s = SRTP_SUITES[suite];
  const master = { suite, key: randomBytes(s.keyLength), salt: randomBytes(s.saltLength) };
  const tx = nativeSrtpContext(engineSrtpConfig(master, master));
  const rx = nativeSrtpContext(engineSrtpConfig(master, master));
  const rtp = Buffer.alloc(172, 0xd5);
  let seq = 0;
  return measure(PACKETS, () => {
    writeRtpHeader(rtp, { payloadType: 8, marker: false, sequence: seq & 0xffff, timestamp: seq * 160, ssrc: 0x1234 });
    seq++;
    if (!rx.unprotectRtp(tx.protectRtp(rtp)!)) throw new Error('bench packet dropped (native)');
  });
}

function primitives(): Record<string, Cost> {
  const key = randomBytes(16);
  const iv = randomBytes(16);
  const authKey = randomBytes(20);
  const pkt = randomBytes(176);
  const payload = pkt.subarray(12, 172);
  const cm = new AesCounterMode(key);
  const hmac = new HmacSha1(authKey);
  return {
    'AES-CM 160 B, createCipheriv per packet': measure(PACKETS, () => createCipheriv('aes-128-ctr', key, iv).update(payload)),
    'AES-CM 160 B, reused ECB counter blocks': measure(PACKETS, () => cm.apply(pkt, 12, 172, iv)),
    'HMAC-SHA1 176 B, node createHmac': measure(PACKETS, () => createHmac('sha1', authKey).update(pkt).digest()),
    'HMAC-SHA1 176 B, precomputed pads (ours)': measure(PACKETS, () => hmac.mac(pkt, 0, 172, 7)),
  };
}

/** µs per operation of `openssl speed` for one algorithm at one size, or undefined without openssl. */
function opensslUs(args: string[], bytes: number): number | undefined {
  const r = spawnSync('openssl', ['speed', '-seconds', '2', '-bytes', String(bytes), ...args], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  // Last line: "<name>  <k bytes per second>k"
  const m = /([\d.]+)k\s*$/.exec(r.stdout.trim());
  if (!m) return undefined;
  const bytesPerSecond = Number(m[1]) * 1000;
  return (bytes / bytesPerSecond) * 1e6;
}

/** CPU µs per packet, the rate one core sustains at that cost, and the wall-clock rate (lower when the machine is shared). */
const fmt = (c: Cost): string =>
  `${c.cpuUs.toFixed(2)} µs CPU/packet = ${(1000 / c.cpuUs).toFixed(0)}k packets/s per core (wall ${(c.perSecond / 1000).toFixed(0)}k/s)`;

export async function run(): Promise<void> {
  console.log(`SRTP on 172-byte RTP packets (160-byte G.711 payload), ${PACKETS} packets per pass, best of 3, one core:`);
  const results = new Map<SrtpSuiteName, ReturnType<typeof suiteCost>>();
  for (const suite of SRTP_SUITE_NAMES) {
    const r = suiteCost(suite);
    results.set(suite, r);
    console.log(`  ${suite}\n    protect            ${fmt(r.protect)}\n    unprotect          ${fmt(r.unprotect)}\n    protect+unprotect  ${fmt(r.both)}`);
  }
  const why = nativeRtpIoUnavailable();
  if (why) console.log(`Native engine's SRTP: not measured (${why})`);
  else {
    console.log('Native engine\'s SRTP (OpenSSL EVP, the code the I/O thread runs):');
    for (const suite of SRTP_SUITE_NAMES) {
      console.log(`  ${suite.padEnd(24)} protect+unprotect, C++ loop (the thread's cost)  ${fmt(nativeLoopCost(suite))}`);
      console.log(`  ${''.padEnd(24)} protect+unprotect, one N-API call each           ${fmt(nativeCost(suite))}`);
    }
  }
  console.log('Primitives (what src/rtp/srtp chose, and the alternative):');
  for (const [name, c] of Object.entries(primitives())) console.log(`  ${name.padEnd(44)} ${c.cpuUs.toFixed(2)} µs CPU`);
  const aes = opensslUs(['-evp', 'aes-128-ctr'], 160);
  const mac = opensslUs(['-hmac', 'sha1'], 176);
  if (aes === undefined || mac === undefined) {
    console.log('openssl speed not available: no peer figure');
    return;
  }
  const floor = aes + mac;
  const ours = results.get('AES_CM_128_HMAC_SHA1_80')!.protect.cpuUs;
  console.log(
    `OpenSSL floor for one AES_CM_128_HMAC_SHA1_80 protect: aes-128-ctr 160 B ${aes.toFixed(3)} µs + hmac(sha1) 176 B ${mac.toFixed(3)} µs = ${floor.toFixed(3)} µs`,
  );
  console.log(`ratio umphone protect / OpenSSL primitives: ${(ours / floor).toFixed(1)}× (a call sends 50 packets/s: ${((ours * 50) / 1e4).toFixed(3)} % of a core)`);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
