/**
 * The messages between the main thread (io-engine.ts) and the RTP I/O worker (io-worker.ts). Datagrams
 * travel inside `batch` ArrayBuffers (io-batch.ts), transferred, never one message per packet.
 */

/** Tuning of the worker, fixed when it starts. */
export interface EngineSettings {
  /** Received datagrams wait at most this long before going to the main thread in one batch (ms). */
  flushMs: number;
  /** The worker yields to its event loop after sending for this long without a break (ms). */
  maxPassMs: number;
  /** Hand-over from the coarse timer to Atomics.wait, before a deadline (ms). */
  coarseMs: number;
  /** Busy-spin the last stretch before a deadline (ms). */
  spinMs: number;
  /**
   * Native thread only: while it carries at most this many socket pairs, a second thread races the I/O
   * thread for every packet and the first to reach the deadline sends it (rtp_io.cc, "the hedge"); 0: off.
   */
  hedgePairs: number;
  /** Native thread only: the hedge thread's spin before a deadline (ms). */
  hedgeSpinMs: number;
  /** Longest blocking sleep of the send wake before the worker's event loop gets a turn (ms). */
  maxBlockMs: number;
  /** Packets due within this long go out in the same pass (ms): bounds the wake-ups when deadlines crowd. */
  aheadMs: number;
  /** Waits shorter than this are done in place, without yielding (ms). */
  holdMs: number;
  /** SO_RCVBUF / SO_SNDBUF of each socket (bytes). */
  recvBufferSize: number;
  sendBufferSize: number;
}

export interface OpenRequest {
  t: 'open';
  req: number;
  address: string;
  /** An exact port (0: any, RTCP then on any port too); else one from portRange. */
  port: number | undefined;
  portRange: { min: number; max: number };
  attempts: number;
  rtcpMux: boolean;
  /** Uniform [0, 1): where in the range to start looking (the main thread's `random`). */
  random: number;
}

export type EngineRequest =
  | { t: 'send'; batch: ArrayBuffer }
  | { t: 'sync'; id: number }
  | OpenRequest
  | { t: 'close'; req: number; socket: number }
  | { t: 'stats'; req: number }
  | { t: 'shutdown' };

export interface EngineStats {
  /** Packets sent at (or after) their deadline by the worker. */
  delivered: number;
  /** Packets sent more than 1 ms after their deadline (worker clock). */
  late: number;
  maxLateMs: number;
  /** Packets that reached the worker after their deadline (the main thread produced them late). */
  arrivedLate: number;
  /** Datagrams received by the worker's sockets. */
  received: number;
  /** Packets waiting for their deadline. */
  queued: number;
  sockets: number;
  /** Packets the native hedge thread sent (it reached their deadline first); 0 on the worker. */
  hedged: number;
}

export type WorkerEvent =
  | { t: 'ready' }
  | { t: 'recv'; batch: ArrayBuffer }
  | { t: 'sync'; id: number; workerNow: number }
  | { t: 'opened'; req: number; socket: number; rtpPort: number; rtcpPort: number }
  | { t: 'failed'; req: number; message: string; code: string }
  | { t: 'closed'; req: number }
  | { t: 'error'; socket: number; message: string; code: string }
  | { t: 'stats'; req: number; stats: EngineStats }
  | { t: 'down' };
