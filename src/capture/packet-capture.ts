/**
 * What the phone sent and received, as packets between the real addresses and ports: one UDP datagram per
 * datagram, and for each TCP (or TLS) connection a synthesized TCP flow per (local, remote) pair carrying
 * the bytes as the SIP stack wrote and read them. TLS is written as the plaintext inside it on its real
 * ports: the phone holds the decrypted bytes, and a capture of ciphertext would show nothing a test can
 * check. The caller passes each packet's time (wall clock, ms since the epoch, from the injected clock).
 */
import { parseIpAddress, type IpAddress } from './ip-address.js';
import { tcpFrame, udpFrame, udpFrameLength, writeUdpFrame, type FrameEnds } from './ip-frames.js';
import { TcpFlow, type SideSegment, type TcpSide } from './tcp-flow.js';

export interface Endpoint {
  address: string;
  port: number;
}

/** Where frames go: a PcapWriter, or an array in tests. */
export interface FrameSink {
  writeFrame(wallMs: number, frame: Buffer): void;
  /**
   * Optional: room for a frame in the sink's own buffer (PcapWriter.reserve: the offset in `buffer`, or
   * −1 when the frame is dropped), so the frame is built there with no buffer of its own.
   */
  reserve?(wallMs: number, frameLength: number): number;
  readonly buffer?: Buffer;
  /** Frames longer than this are cut (PcapWriter's snaplen): they go through writeFrame. */
  readonly snaplen?: number;
}

/** Largest TCP payload per segment: a 1500-byte MTU minus the IP and TCP headers. */
const MSS = { 4: 1460, 6: 1440 } as const;

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`${port} is not a port number`);
}

export class PacketCapture {
  private readonly addresses = new Map<string, IpAddress>();
  private readonly flows = new Map<string, TcpFlow>();
  private ipId = 1;

  constructor(private readonly sink: FrameSink) {}

  /** A UDP datagram from `from` to `to` (SIP over UDP, RTP, RTCP). */
  udp(wallMs: number, from: Endpoint, to: Endpoint, payload: Buffer): void {
    const ends = this.ends(from, to);
    const sink = this.sink;
    // Sized and checked first: a frame that cannot be written must not leave a reserved record behind.
    const length = udpFrameLength(ends, payload.length);
    if (sink.reserve && length <= (sink.snaplen ?? 0)) {
      const at = sink.reserve(wallMs, length);
      if (at >= 0) writeUdpFrame(sink.buffer!, at, ends, payload, this.nextId());
      return;
    }
    sink.writeFrame(wallMs, udpFrame(ends, payload, this.nextId()));
  }

  /** The connection was set up (`initiator` connected): the handshake is written now. */
  tcpOpen(wallMs: number, local: Endpoint, remote: Endpoint, initiator: TcpSide): void {
    this.writeSegments(wallMs, local, remote, this.flow(local, remote).open(initiator));
  }

  /**
   * The connection was already up when the capture started: no handshake is written, and its numbering
   * starts here (a reader shows it as a capture begun mid-stream).
   */
  tcpJoin(local: Endpoint, remote: Endpoint): void {
    this.flow(local, remote).resume();
  }

  /**
   * Bytes on the connection, `from` the local or the remote side. A connection not seen before gets its
   * handshake first, with the sender of these bytes as the one who connected (SIP clients speak first).
   */
  tcpData(wallMs: number, local: Endpoint, remote: Endpoint, from: TcpSide, bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.writeSegments(wallMs, local, remote, this.flow(local, remote).data(from, bytes));
  }

  /** The connection closed, `by` one side: FIN, FIN, ACK. */
  tcpClose(wallMs: number, local: Endpoint, remote: Endpoint, by: TcpSide): void {
    this.writeSegments(wallMs, local, remote, this.flow(local, remote).close(by));
  }

  private writeSegments(wallMs: number, local: Endpoint, remote: Endpoint, segments: readonly SideSegment[]): void {
    const out = this.ends(local, remote);
    const back = this.ends(remote, local);
    for (const { from, segment } of segments) {
      this.sink.writeFrame(wallMs, tcpFrame(from === 'local' ? out : back, segment, this.nextId()));
    }
  }

  private flow(local: Endpoint, remote: Endpoint): TcpFlow {
    const l = this.address(local.address);
    const r = this.address(remote.address);
    const key = `${l.bytes.toString('hex')}:${local.port}-${r.bytes.toString('hex')}:${remote.port}`;
    let flow = this.flows.get(key);
    if (!flow) {
      checkPort(local.port);
      checkPort(remote.port);
      // Initial sequence numbers from the ports: deterministic files, and flows that differ.
      flow = new TcpFlow({
        mss: MSS[l.family],
        localIsn: Math.imul(local.port + 1, 0x9e3779b1) >>> 0,
        remoteIsn: Math.imul(remote.port + 1, 0x85ebca6b) >>> 0,
      });
      this.flows.set(key, flow);
    }
    return flow;
  }

  private ends(from: Endpoint, to: Endpoint): FrameEnds {
    checkPort(from.port);
    checkPort(to.port);
    return { src: this.address(from.address), dst: this.address(to.address), srcPort: from.port, dstPort: to.port };
  }

  private address(text: string): IpAddress {
    let a = this.addresses.get(text);
    if (!a) {
      a = parseIpAddress(text);
      this.addresses.set(text, a);
    }
    return a;
  }

  private nextId(): number {
    const id = this.ipId;
    this.ipId = (this.ipId + 1) & 0xffff;
    return id;
  }
}
