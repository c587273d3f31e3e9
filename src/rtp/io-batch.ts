/**
 * Datagram batches between the main thread and the native RTP I/O thread (io-engine.ts; the C++ side
 * is native/batch-format.cc).
 *
 * At 1000 calls the phone sends and receives 50 000 RTP packets a second; one call into the addon per
 * packet would cost more than the sending itself. So datagrams travel in batches: many records packed
 * into one ArrayBuffer — one batch per pass of the main thread's pacer one way, one every couple of
 * milliseconds of received packets the other way.
 *
 * A record is a 20-octet header and the datagram:
 *   0  u32  socket id (the engine's number for an RTP/RTCP socket pair)
 *   4  u16  remote port
 *   6  u16  remote address id (see below)
 *   8  f64  time on the I/O thread's clock (ms): to send, the deadline (NaN = at once);
 *          received, when the thread read it (the arrival the jitter figures use)
 *   16 u16  datagram length
 *   18 u8   channel: 0 RTP, 1 RTCP, 255 = defines address id as the UTF-8 text that follows
 *   19 u8   flags, received datagrams only: 1 = the I/O thread's SRTP session authenticated and decrypted it
 * Addresses are interned: the first record naming an address defines its id in the same batch, before
 * the records that use it, so a batch is read in order with no side table travelling separately.
 */

export const CHANNEL_RTP = 0;
export const CHANNEL_RTCP = 1;
const CHANNEL_ADDRESS = 255;
const HEADER = 20;

export type Channel = typeof CHANNEL_RTP | typeof CHANNEL_RTCP;

export interface BatchRecord {
  socket: number;
  channel: Channel;
  address: string;
  port: number;
  /** On the I/O thread's clock (ms): a send's deadline (NaN = at once), a received datagram's arrival. */
  due: number;
  /** A view into the batch's buffer (never reused: it may be kept). */
  datagram: Buffer;
  /** Received only: the I/O thread unprotected it (SRTP); FLAG_UNPROTECTED. */
  flags: number;
}

export const FLAG_UNPROTECTED = 1;

/** Builds batches; one writer per direction, it remembers which addresses the reader already knows. */
export class BatchWriter {
  private buf: Buffer;
  private used = 0;
  private count = 0;
  private readonly ids = new Map<string, number>();

  constructor(initialSize = 16 * 1024) {
    this.buf = Buffer.allocUnsafeSlow(initialSize);
  }

  /** Records waiting in the current batch. */
  get size(): number {
    return this.count;
  }

  /** Bytes used in the current batch. */
  get bytes(): number {
    return this.used;
  }

  add(socket: number, channel: Channel, address: string, port: number, due: number, datagram: Uint8Array): void {
    let id = this.ids.get(address);
    if (id === undefined) {
      id = this.ids.size;
      if (id > 0xffff) throw new RangeError('BatchWriter: more than 65536 distinct remote addresses.');
      this.ids.set(address, id);
      const text = Buffer.from(address, 'utf8');
      this.header(0, CHANNEL_ADDRESS, id, 0, NaN, text.length);
      text.copy(this.buf, this.used);
      this.used += text.length;
    }
    this.header(socket, channel, id, port, due, datagram.length);
    this.buf.set(datagram, this.used);
    this.used += datagram.length;
    this.count++;
  }

  /** The current batch as a transferable ArrayBuffer (undefined when empty); the writer starts a new one. */
  take(): ArrayBuffer | undefined {
    if (this.count === 0 && this.used === 0) return undefined;
    // allocUnsafeSlow: the Buffer owns a plain ArrayBuffer of its own (not the shared pool).
    const out = (this.buf.buffer as ArrayBuffer).slice(this.buf.byteOffset, this.buf.byteOffset + this.used);
    this.used = 0;
    this.count = 0;
    return out;
  }

  private header(socket: number, channel: number, id: number, port: number, due: number, length: number): void {
    if (length > 0xffff) throw new RangeError(`BatchWriter: a datagram of ${length} octets does not fit.`);
    this.reserve(HEADER + length);
    const b = this.buf;
    const o = this.used;
    b.writeUInt32LE(socket >>> 0, o);
    b.writeUInt16LE(port, o + 4);
    b.writeUInt16LE(id, o + 6);
    b.writeDoubleLE(due, o + 8);
    b.writeUInt16LE(length, o + 16);
    b[o + 18] = channel;
    b[o + 19] = 0;
    this.used += HEADER;
  }

  private reserve(n: number): void {
    if (this.used + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.used + n));
    this.buf.copy(bigger, 0, 0, this.used);
    this.buf = bigger;
  }
}

/** Reads batches from one BatchWriter, in order (it learns the writer's addresses as they come). */
export class BatchReader {
  private readonly addresses: string[] = [];

  read(batch: ArrayBuffer, visit: (r: BatchRecord) => void): number {
    const b = Buffer.from(batch);
    let o = 0;
    let n = 0;
    while (o + HEADER <= b.length) {
      const socket = b.readUInt32LE(o);
      const port = b.readUInt16LE(o + 4);
      const id = b.readUInt16LE(o + 6);
      const due = b.readDoubleLE(o + 8);
      const length = b.readUInt16LE(o + 16);
      const channel = b[o + 18]!;
      const flags = b[o + 19]!;
      const start = o + HEADER;
      o = start + length;
      if (o > b.length) throw new RangeError('BatchReader: a record runs past the end of the batch.');
      if (channel === CHANNEL_ADDRESS) {
        this.addresses[id] = b.toString('utf8', start, o);
        continue;
      }
      const address = this.addresses[id];
      if (address === undefined) throw new RangeError(`BatchReader: address id ${id} was never defined.`);
      n++;
      visit({ socket, channel: channel as Channel, address, port, due, datagram: b.subarray(start, o), flags });
    }
    return n;
  }
}
