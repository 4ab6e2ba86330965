/**
 * A Vonage request's workflow on an otpgate verification. The steps, brand, timeout and client_ref
 * are kept in verifications.meta.vonage; the step a request is on is its send count (each step
 * sends once, Vonage has no resend), so advancing needs no write of its own. request_id is the
 * verification id written as a UUID, as Vonage's request ids are.
 */
import type { Verification } from '../../store/schema.ts';

export interface VonageMeta {
  brand: string;
  workflow: Array<{ channel: 'sms' | 'voice'; to: string; from?: string; app_hash?: string }>;
  /** Seconds before the next step. */
  channel_timeout: number;
  client_ref?: string;
  fraud_check?: boolean;
}

/** Vonage's default channel_timeout (seconds). */
export const DEFAULT_CHANNEL_TIMEOUT = 300;

export function vonageMeta(v: Pick<Verification, 'meta'>): VonageMeta | undefined {
  if (!v.meta) return undefined;
  try {
    const m = JSON.parse(v.meta) as { vonage?: VonageMeta };
    return m.vonage && Array.isArray(m.vonage.workflow) ? m.vonage : undefined;
  } catch {
    return undefined;
  }
}

export const requestId = (id: string) => `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`;
export const verificationId = (requestId: string) => requestId.replaceAll('-', '').toLowerCase();

/** The index of the next step to run, or undefined when the workflow has none left. */
export function nextStep(v: Pick<Verification, 'send_count'>, meta: VonageMeta): number | undefined {
  return v.send_count < meta.workflow.length ? v.send_count : undefined;
}

/**
 * Verifications whose next step this process is sending: next_workflow and the timed fallback
 * never send one step twice from here (between instances, the core's resend cooldown does).
 */
export class StepLocks {
  private busy = new Set<string>();

  /** Runs fn holding the lock of `id`; undefined (fn not run) when another holder has it. */
  async run<T>(id: string, fn: () => Promise<T>): Promise<T | undefined> {
    if (this.busy.has(id)) return undefined;
    this.busy.add(id);
    try {
      return await fn();
    } finally {
      this.busy.delete(id);
    }
  }
}
