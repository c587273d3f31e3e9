/**
 * The media session's vocabulary, for its users (the call core, the listener, the tests): the socket
 * pair it sends from, how DTMF is sent, a recording's handle, and its error.
 */
import { UmphoneError } from '../util/errors.js';
import type { RemoteAddress } from '../rtp/receiver.js';
import type { RtpSendSocket } from '../rtp/sender.js';
import type { AddonPcapFile } from '../rtp/io-native.js';
import type { DtmfModeRequest } from '../media/dtmf/index.js';

/** The RTP/RTCP socket pair as the media session uses it (rtp/socket.ts's RtpSocketPair fits). */
export interface MediaSocket {
  readonly address: string;
  readonly rtpPort: number;
  readonly rtpSendSocket: RtpSendSocket;
  /** `atMs`: the arrival on the phone's clock when the transport measured it (rtp/socket.ts DatagramHandler). */
  onRtp(handler: (datagram: Buffer, from: RemoteAddress, atMs?: number) => void): void;
  onRtcp(handler: (datagram: Buffer, from: RemoteAddress, atMs?: number) => void): void;
  /** RTCP out (absent: no reports are sent). */
  sendRtcp?(datagram: Buffer, address: string, port: number): void;
  close(): Promise<void>;
  /**
   * A pair in the native I/O thread (io-socket.ts): from now on the thread writes every datagram it sends
   * or receives into `file` itself, with `address` as the local end (null: stops). Absent on other sockets,
   * and on wrappers that change the datagrams (JavaScript SRTP): those are captured in JavaScript.
   */
  captureNative?(file: AddonPcapFile | null, address: string): void;
}

/** How a call sends DTMF. Durations in milliseconds. */
export interface DtmfSettings {
  /** 'auto' (RFC 4733 when the answer has telephone-event, else in-band), 'rfc4733', 'inband' or 'info'. */
  mode: DtmfModeRequest;
  /** Tone length per key. Default 100. */
  duration?: number;
  /** Silence between keys. Default 70. */
  gap?: number;
  /** What "," in a sequence waits. Default 500. */
  pause?: number;
  /** Silence before the first key. Default 0. */
  initialSilence?: number;
  /** In-band level per tone (dBm0). */
  level?: number;
  /** RFC 4733 volume field (0-63, as -dBm0). */
  volume?: number;
}

/** The media cannot do what was asked (RFC 4733 DTMF when the answer has no telephone-event). */
export class MediaError extends UmphoneError {
  declare readonly code: 'MEDIA';
  constructor(message: string) {
    super(message, 'MEDIA');
  }
}

export interface Recording {
  readonly path: string;
  readonly channels: 1 | 2;
  /** Media time (ms) the recording started at. */
  readonly startedAtMs: number;
  /** Audio written so far (ms). */
  readonly durationMs: number;
  /** Stop and finalize the file (idempotent). */
  stop(): void;
}

export type FrameListener = (pcm: Int16Array, atMs: number) => void;
