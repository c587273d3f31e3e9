/**
 * The SIP message layer (syntax only): the one import for transport, transaction, dialog, phone and um.
 */
export * from './types.js';
export { SipParseError } from './errors.js';
export { parseMessage, tryParseMessage, type ParseResult } from './parse.js';
export { serializeMessage, startLine, type SerializeOptions } from './serialize.js';
export { Params, parseHeaderParams, formatHeaderParams, type Param } from './params.js';
export { parseUri, formatUri, uriEquals, bareHost, isSipScheme, escapeUriPart, type SipUri, type UriHeader } from './uri.js';
export { parseSipAddress, writtenScheme, UriSchemeError, SIP_SCHEMES } from './uri-scheme.js';
export { parseNameAddr, formatNameAddr, nameAddr, type NameAddr } from './name-addr.js';
export { parseVia, formatVia, viaBranch, viaRport, BRANCH_MAGIC_COOKIE, type Via } from './via.js';
export {
  splitHeaderValues, splitList, quote, unquote, isToken, utf8ToWire, wireToUtf8,
} from './syntax.js';
export {
  headersOf, headerValues, getVias, getTopVia, getFrom, getTo, getCallId, getCSeq, formatCSeq, getContacts,
  getMaxForwards, getContentLength, getContentType, parseMediaType, formatMediaType, getAccept, getRoutes,
  getRecordRoutes, getRequire, getProxyRequire, getSupported, getUnsupported, getAllow, getExpires,
  getSessionExpires, formatSessionExpires, getMinSE,
  type HeaderSource, type CSeq, type Contact, type MediaType, type SessionExpires,
} from './headers.js';
export {
  getWwwAuthenticate, getProxyAuthenticate, getAuthorization, parseChallenges, formatAuth, type AuthChallenge,
} from './auth-challenge.js';
export {
  getDiversions, parseDiversion, formatDiversion, getHistoryInfo, parseHistoryInfo, formatHistoryInfo,
  type Diversion, type HistoryInfoEntry,
} from './diversion.js';
export {
  createRequest, createResponse, randomBranch, randomTag, randomCallId, type RequestInit, type ResponseOptions,
} from './builders.js';
export { REASON_PHRASES, reasonPhrase } from './reason-phrases.js';
export { validateRequest, validateResponse, type ValidateOptions } from './validate.js';
