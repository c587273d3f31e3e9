/**
 * One-way audio: for N seconds (default 5) one direction of the call carried nothing a person could
 * hear while the other carried on: no RTP at all from one side while the other side's RTP flows, or only
 * comfort noise (RFC 3389) and silence from one side while the other side is heard. The classic causes are
 * a NAT or firewall dropping one direction, media sent to the wrong address, and a gateway sending packets
 * of silence because its own media leg is dead.
 *
 * Fed per packet with its side, time and energy (the caller measures the energy of the decoded payload;
 * this file knows no codec), decided per whole second: a side's second is "heard" when at least one of its
 * packets was neither comfort noise nor at or below the silence threshold, "silent" when it had packets but
 * none heard, "none" without packets. Both sides silent together is a pause in the talk, not one-way audio.
 *
 * A phone that sends silence on purpose (listening to a prompt) makes its own side look dead: the caller
 * then checks only the received side (`sides: ['received']`), and the sent side through the peer's RTCP.
 */

export type AudioSide = 'sent' | 'received';

export interface OneWayAudioOptions {
  /** Dead time that counts as one-way audio (default 5000 ms; whole seconds). */
  windowMs?: number;
  /** Energy at or below which a packet is silence (default -55 dBov). */
  silenceDbov?: number;
  /** Sides whose death counts (default both). */
  sides?: readonly AudioSide[];
  /** Start of the first second (default: the first packet's time). */
  originMs?: number;
}

export interface AudioPacket {
  atMs: number;
  /** Payload energy in dBov (0 = full scale), when measured; unmeasured packets count as heard. */
  energyDbov?: number;
  /** RFC 3389 comfort noise (payload type 13 or the negotiated CN type). */
  comfortNoise?: boolean;
}

export interface OneWayAudioResult {
  oneWay: boolean;
  /** The side that went dead, when and for how long (the longest such stretch). */
  deadSide: AudioSide | undefined;
  deadFromMs: number | undefined;
  deadForMs: number;
  /** Per side and second: 'heard', 'silent' (packets, none audible) or 'none' (no packet). */
  seconds: Record<AudioSide, ('heard' | 'silent' | 'none')[]>;
}

interface SideSeconds {
  packets: number[];
  heard: number[];
}

export class OneWayAudioDetector {
  private readonly windowSeconds: number;
  private readonly silenceDbov: number;
  private readonly sides: readonly AudioSide[];
  private origin: number | undefined;
  private endSecond = 0;
  private readonly perSide: Record<AudioSide, SideSeconds> = {
    sent: { packets: [], heard: [] },
    received: { packets: [], heard: [] },
  };

  constructor(opts: OneWayAudioOptions = {}) {
    this.windowSeconds = Math.max(1, Math.ceil((opts.windowMs ?? 5000) / 1000));
    this.silenceDbov = opts.silenceDbov ?? -55;
    this.sides = opts.sides ?? ['sent', 'received'];
    this.origin = opts.originMs;
  }

  packet(side: AudioSide, p: AudioPacket): void {
    const s = this.secondOf(p.atMs);
    if (s < 0) return;
    const bins = this.perSide[side];
    bins.packets[s] = (bins.packets[s] ?? 0) + 1;
    const audible = !p.comfortNoise && (p.energyDbov === undefined || p.energyDbov > this.silenceDbov);
    if (audible) bins.heard[s] = (bins.heard[s] ?? 0) + 1;
  }

  /**
   * True when `side` already has an audible packet in the second of `atMs`: the caller can then skip
   * measuring the energy of the rest of that second's packets (they cannot change the verdict).
   */
  heardIn(side: AudioSide, atMs: number): boolean {
    if (this.origin === undefined) return false;
    const s = Math.floor((atMs - this.origin) / 1000);
    return s >= 0 && (this.perSide[side].heard[s] ?? 0) > 0;
  }

  /** The call (or its media) ended at `atMs`: seconds up to there count, even with no packet at all. */
  end(atMs: number): void {
    this.endSecond = Math.max(this.endSecond, Math.ceil((atMs - (this.origin ?? atMs)) / 1000));
  }

  result(): OneWayAudioResult {
    const n = Math.max(this.endSecond, this.perSide.sent.packets.length, this.perSide.received.packets.length);
    const state = (side: AudioSide, s: number): 'heard' | 'silent' | 'none' =>
      (this.perSide[side].heard[s] ?? 0) > 0 ? 'heard' : (this.perSide[side].packets[s] ?? 0) > 0 ? 'silent' : 'none';
    const seconds = {
      sent: Array.from({ length: n }, (_, s) => state('sent', s)),
      received: Array.from({ length: n }, (_, s) => state('received', s)),
    };
    let best: { side: AudioSide; from: number; length: number } | undefined;
    for (const side of this.sides) {
      const other: AudioSide = side === 'sent' ? 'received' : 'sent';
      let run = 0;
      for (let s = 0; s <= n; s++) {
        const mine = seconds[side][s];
        const theirs = seconds[other][s];
        const dead = s < n && (mine === 'none' ? theirs !== 'none' : mine === 'silent' && theirs === 'heard');
        if (dead) {
          run++;
          continue;
        }
        if (run >= this.windowSeconds && (!best || run > best.length)) best = { side, from: s - run, length: run };
        run = 0;
      }
    }
    const origin = this.origin ?? 0;
    return {
      oneWay: best !== undefined,
      deadSide: best?.side,
      deadFromMs: best ? origin + best.from * 1000 : undefined,
      deadForMs: best ? best.length * 1000 : 0,
      seconds,
    };
  }

  private secondOf(atMs: number): number {
    this.origin ??= atMs;
    return Math.floor((atMs - this.origin) / 1000);
  }
}
