/**
 * The SIP transport layer (RFC 3261 §18): the one import for the transaction layer and the composition
 * root (cli), which is the only place that calls listen() on real sockets.
 */
export {
  Handlers,
  TransportError,
  UDP_SIZE_LIMIT,
  tooLargeForUdp,
  type HostPort,
  type InboundParseError,
  type MessageHandler,
  type MessageSource,
  type RemoteTarget,
  type SipTransport,
  type TlsPeer,
  type TraceEvent,
  type TransportProtocol,
} from './transport.js';
export {
  DEFAULT_MAX_MESSAGE_SIZE,
  FramingError,
  StreamFramer,
  contentLength,
  findEndOfHeaders,
  looksLikeStartLine,
  type FrameEvent,
  type StreamFramerOptions,
} from './stream-framer.js';
export { UdpTransport, type UdpTransportOptions } from './udp.js';
export { StreamTransport, type StreamTransportOptions, type StreamSockets } from './stream-transport.js';
export { TcpTransport, type TcpTransportOptions } from './tcp.js';
export { TlsTransport, certificateNames, DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS, type TlsTransportOptions } from './tls.js';
export { normalizeAddress, responseTarget, stampReceived, viaNamesUs, type ResponseRoutingOptions } from './via-processing.js';
export { formatTrace, formatTraceLine, traceStartLine } from './trace-format.js';
