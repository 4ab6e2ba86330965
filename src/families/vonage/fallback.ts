/**
 * Vonage's timed fallback: a request whose current step has gone unverified for channel_timeout
 * seconds moves to its next step (same code, the step's channel). Driven by rows, not per-request
 * timers, so it survives restarts: every tick reads the pending Vonage verifications last sent at
 * least the shortest allowed timeout ago and advances those past their own. The core's resend
 * guard (cooldown, max sends) bounds double sends between instances.
 */
import type { Gateway } from '../../gateway.ts';
import { getAccount } from '../../store/accounts.ts';
import { pendingSentBefore } from '../../store/vendors.ts';
import { sendStep } from './verify.ts';
import { nextStep, vonageMeta } from './workflow.ts';

/** The shortest channel_timeout Vonage accepts (seconds); rows sent more recently are not read. */
const MIN_TIMEOUT_S = 15;

/** One pass: advances every request past its channel_timeout; returns how many steps went out. */
export async function advanceDue(gw: Gateway, limit = 200): Promise<number> {
  const now = gw.now();
  let sent = 0;
  for (const v of await pendingSentBefore(gw.store.db, 'vonage', now - MIN_TIMEOUT_S * 1000, now, limit)) {
    const meta = vonageMeta(v);
    const i = meta && nextStep(v, meta);
    if (!meta || i === undefined || v.last_sent_at + meta.channel_timeout * 1000 > now) continue;
    const account = await getAccount(gw.store.db, v.account_id);
    if (!account) continue;
    try {
      await sendStep(gw, account, meta, i);
      sent++;
    } catch (err) {
      // A refusal (cooldown, balance) leaves the step for a later tick; it is logged, not thrown.
      gw.log.warn({ err, verification: v.id }, 'vonage fallback step not sent');
    }
  }
  return sent;
}

/** Runs advanceDue every `everyMs` until stop() is called. */
export function startFallback(gw: Gateway, everyMs = 1000): { stop(): void } {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    advanceDue(gw)
      .catch((err) => gw.log.error({ err }, 'vonage fallback pass failed'))
      .finally(() => (running = false));
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
