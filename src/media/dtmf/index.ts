/** DTMF: RFC 4733 events, in-band tones (Q.23/Q.24), SIP INFO bodies, and the per-call send queue. */
export * from './keys.js';
export * from './errors.js';
export * from './rfc4733.js';
export * from './rfc4733-sender.js';
export * from './rfc4733-receiver.js';
export * from './tone.js';
export * from './goertzel.js';
export * from './detector.js';
export * from './info.js';
export * from './sequence.js';
export * from './scheduler.js';
export * from './mode.js';
