/**
 * RFC 3261 §17 timer values, derived per transaction from {T1, T2, T4} (never module globals, so a
 * test or a slow link can use its own) and from whether the transport is reliable.
 *
 * RFC 3261 Appendix A, "Table 4: Summary of timers":
 *
 *   Timer  Value            Section          Meaning
 *   ------------------------------------------------------------------------------------
 *   T1     500 ms default   17.1.1.1         RTT estimate
 *   T2     4 s              17.1.2.2         The maximum retransmit interval for non-INVITE
 *                                            requests and INVITE responses
 *   T4     5 s              17.1.2.2         Maximum duration a message will remain in the network
 *   A      initially T1     17.1.1.2         INVITE request retransmit interval, for UDP only
 *   B      64*T1            17.1.1.2         INVITE transaction timeout timer
 *   C      > 3min           16.6 bullet 11   proxy INVITE transaction timeout (not used: no proxy)
 *   D      > 32s for UDP    17.1.1.2         Wait time for response retransmits
 *          0s for TCP/SCTP
 *   E      initially T1     17.1.2.2         non-INVITE request retransmit interval, UDP only
 *   F      64*T1            17.1.2.2         non-INVITE transaction timeout timer
 *   G      initially T1     17.2.1           INVITE response retransmit interval
 *   H      64*T1            17.2.1           Wait time for ACK receipt
 *   I      T4 for UDP       17.2.1           Wait time for ACK retransmits
 *          0s for TCP/SCTP
 *   J      64*T1 for UDP    17.2.2           Wait time for non-INVITE request retransmits
 *          0s for TCP/SCTP
 *   K      T4 for UDP       17.1.2.2         Wait time for response retransmits
 *          0s for TCP/SCTP
 *
 * RFC 6026 §8.4 adds L (64*T1, INVITE server, wait in Accepted for 2xx-related retransmissions) and
 * §8.4 M (64*T1, INVITE client, wait in Accepted for retransmitted 2xx).
 *
 * On a reliable transport A, E and G never run (no retransmission: §17.1.1.2, §17.1.2.2, §17.2.1).
 */

export interface TimerConfig {
  /** RTT estimate, ms (RFC 3261 default 500). */
  t1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses, ms (default 4000). */
  t2: number;
  /** Maximum time a message remains in the network, ms (default 5000). */
  t4: number;
}

export const DEFAULT_TIMER_CONFIG: Readonly<TimerConfig> = Object.freeze({ t1: 500, t2: 4000, t4: 5000 });

export type TimerName = 'A' | 'B' | 'D' | 'E' | 'F' | 'G' | 'H' | 'I' | 'J' | 'K' | 'L' | 'M' | 'Trying';

export interface TransactionTimers {
  /** Initial A (INVITE request retransmit), or undefined on a reliable transport. */
  readonly A: number | undefined;
  readonly B: number;
  readonly D: number;
  /** Initial E (non-INVITE request retransmit), or undefined on a reliable transport. */
  readonly E: number | undefined;
  readonly F: number;
  /** Initial G (INVITE final response retransmit), or undefined on a reliable transport. */
  readonly G: number | undefined;
  readonly H: number;
  readonly I: number;
  readonly J: number;
  readonly K: number;
  readonly L: number;
  readonly M: number;
  /** §17.2.1: the INVITE server sends 100 Trying if the TU has not answered within 200 ms. */
  readonly Trying: number;
  readonly t1: number;
  readonly t2: number;
}

export function deriveTimers(config: TimerConfig, reliable: boolean): TransactionTimers {
  const { t1, t2, t4 } = config;
  return {
    A: reliable ? undefined : t1,
    B: 64 * t1,
    // §17.1.1.2: "at least 32 seconds for unreliable transports": 32 s, or 64*T1 if T1 was raised.
    D: reliable ? 0 : Math.max(32_000, 64 * t1),
    E: reliable ? undefined : t1,
    F: 64 * t1,
    G: reliable ? undefined : t1,
    H: 64 * t1,
    I: reliable ? 0 : t4,
    J: reliable ? 0 : 64 * t1,
    K: reliable ? 0 : t4,
    L: 64 * t1,
    M: 64 * t1,
    Trying: 200,
    t1,
    t2,
  };
}

/**
 * Next retransmission interval of Timers E and G: doubled, capped at T2 (§17.1.2.2, §17.2.1).
 * Timer A doubles without a cap (§17.1.1.2).
 */
export function nextInterval(current: number, cap: number | undefined): number {
  return cap === undefined ? current * 2 : Math.min(current * 2, cap);
}
