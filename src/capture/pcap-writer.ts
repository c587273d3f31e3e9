/**
 * A pcap file written while the call runs, without the main thread ever waiting for the disk: the phone's
 * native RTP engine paces from its own thread, but JS hands it each packet ahead of its deadline, and a
 * synchronous write of 200 calls' captures (measured: docs/measurements/quality.md) made packets miss it.
 *
 * Records are laid out straight into a chunk (record header, then the frame built in place by the caller:
 * no buffer per packet), and a chunk is queued for the file when it is full or a flush interval (on the
 * injected clock, aligned across files) after its first record, and at close. The queue is written in
 * order by asynchronous, positional writes, one at a time, each taking every chunk queued so far; a
 * written chunk is reused. The file (fileSink) is written by one disk thread for the whole process. So
 * the file only ever grows by whole records: whatever has been written is a valid capture.
 *
 * Memory is bounded: when the disk falls behind by `maxQueuedBytes`, new records are dropped and counted
 * (`dropped`), not queued — blocking would stall the call's packets, and an unbounded queue would grow by
 * the call's whole bitrate for as long as the disk stalls. A dropped record is missing from the file, as
 * a capture's kernel drops are, and the owner says how many (call-capture.ts).
 *
 * `close()` resolves once everything queued is on disk and the file is closed. A process that exits
 * before (process.exit after a second Ctrl-C) still finishes every open file: an 'exit' hook writes what is
 * queued, synchronously, at its positions (rewriting a write in flight is harmless). A write error (disk
 * full, file removed) stops the capture, not the call: it is kept in `error`, reported once through
 * `onError`, and later records are dropped.
 */
import { close as closeFd, closeSync, openSync, writevSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { Clock, TimerHandle } from '../util/clock.js';
import { DEFAULT_SNAPLEN, PCAP_RECORD_HEADER_LENGTH, encodePcapGlobalHeader, splitTimestamp } from './pcap-format.js';

/** Where the bytes go: a file (fileSink) or, in tests, memory. Each call completes through its callback. */
export interface ByteSink {
  /** Writes `chunks` one after the other at byte `position`; `done` gets the bytes written (all, or an error). */
  write(chunks: readonly Buffer[], position: number, done: (err: Error | null, written: number) => void): void;
  /** The same, before returning: the last resort when the process is exiting. */
  writeSync(chunks: readonly Buffer[], position: number): void;
  close(done: (err: Error | null) => void): void;
  closeSync(): void;
}

/**
 * The capture's disk thread, shared by every file of the process. Measured (200 calls, 2 loaded vCPUs):
 * an asynchronous `fs.writev` costs the main thread about as much as a synchronous write of the same
 * bytes to the page cache (~30 µs: it wakes a libuv pool thread, which preempts the main thread), so one
 * write per file per flush, 800 a second, was no better off the main thread than on it. Instead, the
 * writes a loop turn produces (every file's flush falls on the same instant: see PcapWriter) go to this
 * thread in one message, which writes them, in order, and answers with one message.
 */
const DISK_THREAD_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { writeSync } = require('node:fs');
parentPort.on('message', (batch) => {
  const results = [];
  for (const w of batch) {
    try {
      let at = w.position;
      for (const b of w.chunks) {
        let off = 0;
        while (off < b.length) {
          const n = writeSync(w.fd, b, off, b.length - off, at);
          if (n === 0) throw new Error('the disk accepted no more bytes');
          off += n;
          at += n;
        }
      }
      results.push({ id: w.id, written: at - w.position });
    } catch (e) {
      results.push({ id: w.id, error: e.message });
    }
  }
  parentPort.postMessage(results);
});
`;

interface DiskWrite {
  id: number;
  fd: number;
  position: number;
  chunks: readonly Buffer[];
}

let diskThread: Worker | undefined;
let nextWriteId = 1;
let batch: DiskWrite[] = [];
let outstanding = 0;
const callbacks = new Map<number, (err: Error | null, written: number) => void>();

function postBatch(): void {
  const writes = batch;
  batch = [];
  if (writes.length === 0) return;
  if (!diskThread) {
    // Plain CommonJS, none of the parent's flags (a loader, --input-type=module): it needs none.
    diskThread = new Worker(DISK_THREAD_SOURCE, { eval: true, execArgv: [] });
    diskThread.on('message', (results: Array<{ id: number; written?: number; error?: string }>) => {
      for (const r of results) {
        const cb = callbacks.get(r.id);
        callbacks.delete(r.id);
        outstanding--;
        cb?.(r.error !== undefined ? new Error(r.error) : null, r.written ?? 0);
      }
      // Idle: the thread must not keep the process alive (the 'exit' hook finishes any file left open).
      if (outstanding === 0) diskThread?.unref();
    });
    diskThread.on('error', (e) => {
      for (const [id, cb] of callbacks) {
        callbacks.delete(id);
        cb(e, 0);
      }
      outstanding = 0;
      diskThread = undefined;
    });
  }
  outstanding += writes.length;
  diskThread.ref();
  // Chunks in shared memory travel as references, others are copied; a writer refills a chunk only once
  // its write is answered.
  diskThread.postMessage(writes.map((w) => ({ id: w.id, fd: w.fd, position: w.position, chunks: w.chunks })));
}

/** A new file (truncating an old one), opened now so that a bad path fails at once; written by the disk thread. */
export function fileSink(path: string): ByteSink {
  const fd = openSync(path, 'w');
  return {
    write(chunks, position, done) {
      const id = nextWriteId++;
      callbacks.set(id, done);
      if (batch.length === 0) setImmediate(postBatch);
      batch.push({ id, fd, position, chunks });
    },
    writeSync(chunks, position) {
      let at = position;
      let rest = chunks as Buffer[];
      // A short write (only near a full disk) is continued; the next one then reports the error.
      while (rest.length > 0) {
        const n = writevSync(fd, rest, at);
        if (n === 0) throw new Error('the disk accepted no more bytes');
        at += n;
        rest = skipBytes(rest, n);
      }
    },
    close(done) {
      closeFd(fd, (err) => done(err));
    },
    closeSync() {
      closeSync(fd);
    },
  };
}

/** The chunks after their first `n` bytes. */
function skipBytes(chunks: readonly Buffer[], n: number): Buffer[] {
  const out: Buffer[] = [];
  let skip = n;
  for (const c of chunks) {
    if (skip >= c.length) skip -= c.length;
    else {
      out.push(skip > 0 ? c.subarray(skip) : c);
      skip = 0;
    }
  }
  return out;
}

export interface PcapWriterOptions {
  clock: Clock;
  /** Longest time a record waits in memory before it is queued for the file (default 250 ms). */
  flushIntervalMs?: number;
  /** Size of a chunk: a full one is queued at once (default 16 KiB: about 0.7 s of one call's RTP both ways). */
  chunkBytes?: number;
  /** Bytes queued for the disk, chunk being filled included, beyond which records are dropped (default 1 MiB). */
  maxQueuedBytes?: number;
  snaplen?: number;
  /** The first write error, once (the capture stops there). */
  onError?: (err: Error) => void;
}

/** Writers with a file open: finished synchronously if the process exits first. */
const openWriters = new Set<PcapWriter>();
let exitHookInstalled = false;

function trackOpen(w: PcapWriter): void {
  openWriters.add(w);
  if (exitHookInstalled || typeof process === 'undefined') return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const writer of [...openWriters]) writer.finishSync();
  });
}

export class PcapWriter {
  private readonly clock: Clock;
  private readonly flushIntervalMs: number;
  private readonly chunkBytes: number;
  private readonly maxQueuedBytes: number;
  readonly snaplen: number;
  private readonly onError: ((err: Error) => void) | undefined;
  /** The chunk being filled, and how much of it is. */
  private chunk: Buffer | undefined;
  private used = 0;
  /** Chunks waiting for the file, in order (each cut to its used length). */
  private queue: Buffer[] = [];
  private queueBytes = 0;
  /** The write in flight: its chunks (kept for the exit hook) and its bytes. */
  private inFlight: Buffer[] | undefined;
  private inFlightBytes = 0;
  /** Written chunks, to fill again. */
  private readonly spare: Buffer[] = [];
  /** Bytes on disk: where the next write goes. */
  private position = 0;
  private timer: TimerHandle | undefined;
  private closing: Promise<void> | undefined;
  private drained: (() => void) | undefined;
  private idleWaiters: Array<() => void> = [];
  private fileClosed = false;
  private records = 0;
  private droppedRecords = 0;
  private failure: Error | undefined;

  constructor(private readonly sink: ByteSink, opts: PcapWriterOptions) {
    this.clock = opts.clock;
    this.flushIntervalMs = opts.flushIntervalMs ?? 250;
    this.chunkBytes = opts.chunkBytes ?? 16 * 1024;
    this.maxQueuedBytes = opts.maxQueuedBytes ?? 1024 * 1024;
    this.snaplen = opts.snaplen ?? DEFAULT_SNAPLEN;
    this.onError = opts.onError;
    trackOpen(this);
    // The header goes out at once: a file with no packet yet is still a valid, empty capture.
    this.enqueue(encodePcapGlobalHeader(this.snaplen));
  }

  /** One frame captured at `wallMs` (milliseconds since the epoch, fractional for microseconds). */
  writeFrame(wallMs: number, frame: Buffer): void {
    const included = Math.min(frame.length, this.snaplen);
    const at = this.reserveRecord(wallMs, included, frame.length);
    if (at >= 0) frame.copy(this.chunk!, at, 0, included);
  }

  /**
   * Room for one record of a `frameLength`-byte frame (not longer than the snaplen), its header written:
   * returns the offset in `buffer` where the caller writes the frame now, or −1 if the record is dropped
   * (capture closed, failed, or the disk behind). The frame is then built in place, with no copy.
   */
  reserve(wallMs: number, frameLength: number): number {
    if (frameLength > this.snaplen) throw new RangeError(`a ${frameLength}-byte frame is longer than the snaplen`);
    return this.reserveRecord(wallMs, frameLength, frameLength);
  }

  /** The chunk `reserve` returned an offset in (valid until the next call to the writer). */
  get buffer(): Buffer {
    return this.chunk!;
  }

  /** Queues what is buffered now for the file. */
  flush(): void {
    this.timer?.cancel();
    this.timer = undefined;
    if (this.chunk === undefined || this.used === 0) return;
    const full = this.chunk;
    const filled = this.used;
    this.chunk = undefined;
    this.used = 0;
    this.enqueue(full.subarray(0, filled));
  }

  /**
   * Resolves once every record queued so far (flushed: by the timer, a full chunk or `flush()`) is on
   * disk, or the capture failed. Records still being gathered in the chunk are not waited for.
   */
  whenWritten(): Promise<void> {
    if (!this.inFlight && this.queue.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Flushes, waits until every record is on disk, and closes the file; later frames are ignored. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.flush();
    this.closing = new Promise<void>((resolve) => {
      this.drained = resolve;
    });
    this.pump();
    return this.closing;
  }

  /**
   * The process is exiting: write what is queued or in flight (again, at its position) and close the
   * file, now. Used by the 'exit' hook; harmless after close.
   */
  finishSync(): void {
    openWriters.delete(this);
    if (this.fileClosed) return;
    this.fileClosed = true;
    this.timer?.cancel();
    this.timer = undefined;
    if (!this.closing) this.flush();
    try {
      if (!this.failure) {
        const chunks = [...(this.inFlight ?? []), ...this.queue];
        if (chunks.length > 0) this.sink.writeSync(chunks, this.position);
      }
    } catch {
      // Exiting: nothing is left to tell.
    }
    this.queue = [];
    this.queueBytes = 0;
    try {
      this.sink.closeSync();
    } catch {
      // As above.
    }
  }

  /** Records accepted so far (written, queued or being filled). */
  get recordCount(): number {
    return this.records;
  }

  /** Records dropped because the disk was behind by `maxQueuedBytes` (not those after an error). */
  get dropped(): number {
    return this.droppedRecords;
  }

  /** Bytes on disk, header included. */
  get bytesWritten(): number {
    return this.position;
  }

  /** Bytes in memory not yet on disk: the chunk being filled, the queue and the write in flight. */
  get bufferedBytes(): number {
    return this.used + this.queueBytes + this.inFlightBytes;
  }

  /** The write error that stopped the capture, if any. */
  get error(): Error | undefined {
    return this.failure;
  }

  private reserveRecord(wallMs: number, included: number, original: number): number {
    if (this.closing || this.failure || this.fileClosed) return -1;
    const need = PCAP_RECORD_HEADER_LENGTH + included;
    if (this.chunk !== undefined && this.used + need > this.chunk.length) this.flush();
    if (this.queueBytes + this.inFlightBytes + this.used + need > this.maxQueuedBytes) {
      this.droppedRecords++;
      return -1;
    }
    if (this.chunk === undefined) {
      // Shared memory: the disk thread reads a chunk where it is (a message would copy it). Every byte of a
      // record is written before it is queued: a reused chunk needs no zeroing.
      this.chunk = need <= this.chunkBytes ? (this.spare.pop() ?? Buffer.from(new SharedArrayBuffer(this.chunkBytes))) : Buffer.allocUnsafe(need);
      this.used = 0;
    }
    const b = this.chunk;
    const at = this.used;
    const { seconds, microseconds } = splitTimestamp(wallMs);
    b.writeUInt32LE(seconds >>> 0, at);
    b.writeUInt32LE(microseconds, at + 4);
    b.writeUInt32LE(included, at + 8);
    b.writeUInt32LE(original, at + 12);
    this.used = at + need;
    this.records++;
    // A full chunk is queued by the next record or the timer: the caller writes its frame into it first.
    // The timer falls on a multiple of the interval: every capture of the process flushes at the same
    // instant, and the disk thread gets their writes in one message (fileSink).
    this.timer ??= this.clock.setTimeout(() => this.flush(), this.flushIntervalMs - (this.clock.now() % this.flushIntervalMs));
    return at + PCAP_RECORD_HEADER_LENGTH;
  }

  private enqueue(chunk: Buffer): void {
    if (this.failure) return;
    this.queue.push(chunk);
    this.queueBytes += chunk.length;
    this.pump();
  }

  /** Starts the next write if none is in flight; once closing and empty, closes the file. */
  private pump(): void {
    if (this.inFlight || this.fileClosed) return;
    if (this.queue.length === 0 || this.failure) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
      if (this.closing) this.closeFile();
      return;
    }
    const chunks = this.queue;
    const bytes = this.queueBytes;
    this.queue = [];
    this.queueBytes = 0;
    this.inFlight = chunks;
    this.inFlightBytes = bytes;
    let rest: Buffer[] = chunks;
    const done = (err: Error | null, written: number): void => {
      if (this.fileClosed) return;
      if (!err) {
        this.position += written;
        this.inFlightBytes -= written;
        // A short write (rare: near a full disk) continues where it stopped; the next one reports the error.
        if (this.inFlightBytes > 0 && written > 0) {
          rest = skipBytes(rest, written);
          this.sink.write(rest, this.position, done);
          return;
        }
        if (this.inFlightBytes > 0) err = new Error('the disk accepted no more bytes');
      }
      this.inFlight = undefined;
      this.inFlightBytes = 0;
      if (err) this.fail(err);
      else for (const c of chunks) this.recycle(c);
      this.pump();
    };
    this.sink.write(chunks, this.position, done);
  }

  /**
   * A written chunk goes back to be filled again (at most two kept: what a call needs); the header and a
   * record bigger than a chunk had buffers of their own size, left to the collector.
   */
  private recycle(c: Buffer): void {
    if (this.spare.length < 2 && c.byteOffset === 0 && c.buffer.byteLength === this.chunkBytes) {
      this.spare.push(Buffer.from(c.buffer, 0, this.chunkBytes));
    }
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.queue = [];
    this.queueBytes = 0;
    this.chunk = undefined;
    this.used = 0;
    this.timer?.cancel();
    this.timer = undefined;
    this.onError?.(err);
  }

  private closeFile(): void {
    if (this.fileClosed) return;
    this.fileClosed = true;
    openWriters.delete(this);
    this.sink.close((err) => {
      if (err) this.fail(err);
      this.drained?.();
    });
  }
}
