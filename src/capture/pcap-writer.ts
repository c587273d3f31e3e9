/**
 * A pcap file written while the call runs: records are buffered in memory up to a bound and appended to
 * the file in whole records, when the buffer is full or a flush interval (on the injected clock) after the
 * first unflushed record, and at close. So memory stays bounded whatever the call's length, a long call
 * costs one write per interval rather than one per packet, and a process killed mid-call leaves a file
 * that ends after the last record of the last flush: readable by tcpdump, tshark and Wireshark as is.
 *
 * A write error (disk full, file removed) stops the capture, not the call: the error is kept in `error`
 * and later records are dropped.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Clock, TimerHandle } from '../util/clock.js';
import { DEFAULT_SNAPLEN, encodePcapGlobalHeader, encodePcapRecord } from './pcap-format.js';

/** Where the bytes go: a file (fileSink) or, in tests, memory. */
export interface ByteSink {
  write(chunk: Buffer): void;
  close(): void;
}

/** Appends to a new file (truncating an old one) through a file descriptor, each chunk written whole. */
export function fileSink(path: string): ByteSink {
  const fd = openSync(path, 'w');
  return {
    write(chunk) {
      let off = 0;
      while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
    },
    close() {
      closeSync(fd);
    },
  };
}

export interface PcapWriterOptions {
  clock: Clock;
  /** Longest time a record waits in memory (default 250 ms). */
  flushIntervalMs?: number;
  /** Buffered bytes that trigger a write at once (default 64 KiB). */
  maxBufferedBytes?: number;
  snaplen?: number;
}

export class PcapWriter {
  private readonly clock: Clock;
  private readonly flushIntervalMs: number;
  private readonly maxBufferedBytes: number;
  private readonly snaplen: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private timer: TimerHandle | undefined;
  private closed = false;
  private records = 0;
  private written = 0;
  private failure: Error | undefined;

  constructor(private readonly sink: ByteSink, opts: PcapWriterOptions) {
    this.clock = opts.clock;
    this.flushIntervalMs = opts.flushIntervalMs ?? 250;
    this.maxBufferedBytes = opts.maxBufferedBytes ?? 64 * 1024;
    this.snaplen = opts.snaplen ?? DEFAULT_SNAPLEN;
    // The header goes out at once: a file with no packet yet is still a valid, empty capture.
    this.emit(encodePcapGlobalHeader(this.snaplen));
  }

  /** One frame captured at `wallMs` (milliseconds since the epoch, fractional for microseconds). */
  writeFrame(wallMs: number, frame: Buffer): void {
    if (this.closed || this.failure) return;
    const record = encodePcapRecord(wallMs, frame, this.snaplen);
    this.pending.push(record);
    this.pendingBytes += record.length;
    this.records++;
    if (this.pendingBytes >= this.maxBufferedBytes) this.flush();
    else this.timer ??= this.clock.setTimeout(() => this.flush(), this.flushIntervalMs);
  }

  /** Writes what is buffered now. */
  flush(): void {
    this.timer?.cancel();
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const chunk = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.emit(chunk);
  }

  /** Flushes and closes the file; later frames are ignored. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    try {
      this.sink.close();
    } catch (e) {
      this.failure ??= e as Error;
    }
  }

  /** Records accepted so far (written or buffered). */
  get recordCount(): number {
    return this.records;
  }

  /** Bytes handed to the sink, header included. */
  get bytesWritten(): number {
    return this.written;
  }

  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /** The write error that stopped the capture, if any. */
  get error(): Error | undefined {
    return this.failure;
  }

  private emit(chunk: Buffer): void {
    if (this.failure) return;
    try {
      this.sink.write(chunk);
      this.written += chunk.length;
    } catch (e) {
      this.failure = e as Error;
      this.pending = [];
      this.pendingBytes = 0;
    }
  }
}
