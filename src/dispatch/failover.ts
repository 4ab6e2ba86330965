/**
 * What a provider's error means for the message and for the provider's circuit.
 *
 * The rule:
 * - Transient errors (5xx, 429, timeouts, network, SMPP throttling / queue full / link down):
 *   the next provider takes the message now; if none accepts it, the message is retried with
 *   backoff. They count as carrier faults for the circuit breaker.
 * - Permanent refusals (a 4xx, SMPP invalid destination, auth or sender refused, a channel the
 *   provider cannot carry): the next provider still gets its chance. Kannel treats a rejection
 *   as final for the message (SMSCCONN_FAILED_REJECTED is not rerouted); OTP services such as
 *   Twilio Verify instead move on to another carrier, because carriers differ in coverage,
 *   content filtering, sender registration and number-portability data, so one carrier's "no"
 *   is not a verdict on the number. For a one-time code a missed delivery costs more than one
 *   extra refusal, and the number was validated before it entered the outbox, so we follow the
 *   OTP services. When every provider refuses permanently the message fails with the first
 *   refusal; nothing is retried later (a mix of refusals and transient errors is retried).
 *   Only refusals about us (credentials, sender, channel) count as carrier faults: a carrier
 *   answering "no" about one number is healthy.
 * - `bad_response` (the carrier answered 2xx but unreadably) stops everything: the carrier may
 *   well have sent the code, and a second provider would send it twice.
 */
import type { ProviderError } from '../providers/types.ts';

export interface Verdict {
  /** Offer the message to the next provider in this same attempt. */
  failover: boolean;
  /** Count against the provider's circuit. */
  carrierFault: boolean;
}

/** Permanent refusals that say the provider cannot serve us at all, not that it refused this number. */
const PROVIDER_SIDE = new Set(['auth_failed', 'invalid_sender', 'unsupported_channel', 'no_code', 'not_started']);

export function verdictOf(err: ProviderError): Verdict {
  if (err.code === 'bad_response') return { failover: false, carrierFault: true };
  if (err.retryable) return { failover: true, carrierFault: true };
  return { failover: true, carrierFault: PROVIDER_SIDE.has(err.code) };
}

/** "smpp-a: carrier_unavailable (503)" for the event history. */
export function describeFault(provider: string, err: ProviderError): string {
  return `${provider}: ${err.code}${err.providerCode ? ` (${err.providerCode})` : ''}`;
}
