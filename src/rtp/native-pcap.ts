/**
 * A pcap file written by the native RTP engine's addon (src/rtp/native/pcap-sink.h): for a call whose
 * RTP/RTCP sockets live in the native I/O thread, that thread records every datagram itself, at the
 * instant it sends or reads it, and the call's SIP frames (built here by PacketCapture, as before) go into
 * the same file through `writeFrame` (it fits capture/packet-capture.ts's FrameSink; it lives beside the
 * engine, not in capture/, because it is the addon's). One native disk thread appends to every file of
 * the process. So the main thread does no per-packet work for the capture: at 200 calls the JavaScript
 * capture (pcap-writer.ts) cost it about 0.9 s of CPU per 10 s, and the main thread is what feeds the I/O
 * thread its packets.
 *
 * The same contract as PcapWriter: the same file format, 1 MiB at most not yet on disk (past it records are
 * dropped and counted), `close()` resolves once all is on disk, and a process that exits before (a second
 * Ctrl-C) still finishes the file from an 'exit' hook. A write error stops the capture, not the call.
 */
import { openNativePcap, type AddonPcapFile, type NativePcapStats } from './io-native.js';

/** capture/pcap-format.ts's DEFAULT_SNAPLEN (tcpdump's): rtp imports only util, so it is repeated here. */
const DEFAULT_SNAPLEN = 262_144;

export interface NativePcapFileOptions {
  /** Bytes not yet on disk beyond which records are dropped (default 1 MiB, as PcapWriter). */
  maxQueuedBytes?: number;
  /** Longest time a record waits in memory before the disk thread writes it (default 250 ms). */
  flushIntervalMs?: number;
  snaplen?: number;
}

/** Files open: finished synchronously if the process exits first. */
const openFiles = new Set<NativePcapFile>();
let exitHookInstalled = false;

function trackOpen(f: NativePcapFile): void {
  openFiles.add(f);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const file of [...openFiles]) file.finishSync();
  });
}

export class NativePcapFile {
  readonly snaplen: number;
  private closing: Promise<void> | undefined;
  private finished = false;

  private constructor(
    /** The addon's file: what the I/O thread is given to write a pair's datagrams into. */
    readonly handle: AddonPcapFile,
    snaplen: number,
  ) {
    this.snaplen = snaplen;
    trackOpen(this);
  }

  /** Creates (truncates) `path` now, so a bad path fails at once; throws when the addon is not built. */
  static open(path: string, options: NativePcapFileOptions = {}): NativePcapFile {
    const snaplen = options.snaplen ?? DEFAULT_SNAPLEN;
    const handle = openNativePcap(path, {
      maxQueuedBytes: options.maxQueuedBytes ?? 1024 * 1024,
      flushMs: options.flushIntervalMs ?? 250,
      snaplen,
    });
    return new NativePcapFile(handle, snaplen);
  }

  /** One whole Ethernet frame (a SIP message PacketCapture framed) captured at `wallMs`. */
  writeFrame(wallMs: number, frame: Buffer): void {
    if (!this.closing && !this.finished) this.handle.write(wallMs, frame);
  }

  /** Resolves once every record added so far is on disk. */
  whenWritten(): Promise<void> {
    return this.closing || this.finished ? Promise.resolve() : this.handle.flush();
  }

  /** Writes everything and closes the file; resolves once it is on disk. Later records are ignored. */
  close(): Promise<void> {
    this.closing ??= this.handle.close().then(() => {
      this.finished = true;
      openFiles.delete(this);
    });
    return this.closing;
  }

  /** The process is exiting: everything to disk and the file closed, now. Harmless after close. */
  finishSync(): void {
    openFiles.delete(this);
    if (this.finished) return;
    this.finished = true;
    this.handle.finishSync();
  }

  private get stats(): NativePcapStats {
    return this.handle.stats();
  }

  /** Records accepted so far (on disk or queued). */
  get recordCount(): number {
    return this.stats.records;
  }

  /** Records dropped because the disk was behind by maxQueuedBytes. */
  get dropped(): number {
    return this.stats.dropped;
  }

  /** Bytes on disk, header included. */
  get bytesWritten(): number {
    return this.stats.written;
  }

  /** Bytes accepted and not yet on disk. */
  get bufferedBytes(): number {
    return this.stats.buffered;
  }

  /** The write error that stopped the capture, if any. */
  get error(): Error | undefined {
    const e = this.stats.error;
    return e === '' ? undefined : new Error(e);
  }
}
