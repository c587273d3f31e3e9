/**
 * The SIP transaction layer (RFC 3261 §17, RFC 6026) and the endpoint that ties it to transports:
 * the one import for sip/dialog, phone and um.
 */
export { SipEndpoint, type IncomingRequest, type SipEndpointOptions, type Target } from './endpoint.js';
export {
  TransactionLayer,
  clientTransactionKey,
  serverTransactionKey,
  type ClientTransaction,
  type ServerTransaction,
  type TransactionChannel,
  type TransactionLayerOptions,
} from './layer.js';
export { InviteClientTransaction, buildCancel, buildNonSuccessAck, type InviteClientState, type InviteClientEvent } from './invite-client.js';
export { NonInviteClientTransaction, type NonInviteClientState, type NonInviteClientEvent } from './non-invite-client.js';
export { InviteServerTransaction, type InviteServerState, type InviteServerEvent } from './invite-server.js';
export { NonInviteServerTransaction, type NonInviteServerState, type NonInviteServerEvent } from './non-invite-server.js';
export {
  IllegalTransitionError,
  TransactionTimeoutError,
  type ClientTransactionUser,
  type ServerTransactionUser,
  type TransactionEnvironment,
} from './transaction.js';
export { DEFAULT_TIMER_CONFIG, deriveTimers, nextInterval, type TimerConfig, type TimerName, type TransactionTimers } from './timers.js';
