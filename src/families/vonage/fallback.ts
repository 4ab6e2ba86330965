/**
 * Vonage's timed fallback: a request whose current step has gone unverified for channel_timeout
 * seconds moves to its next step (same code, the step's channel). Driven by rows, not per-request
 * timers, so it survives restarts: every tick reads the pending Vonage verifications last sent at
 * least the shortest allowed timeout ago and advances those past their own. StepLocks keeps this
 * and next_workflow from sending one step twice here; between instances the core's resend
 * cooldown does.
 */
import type { Gateway } from '../../gateway.ts';
import { getAccount } from '../../store/accounts.ts';
import type { Verification } from '../../store/schema.ts';
import { pendingSentBefore } from '../../store/vendors.ts';
import { sendStep } from './verify.ts';
import { nextStep, type StepLocks, vonageMeta } from './workflow.ts';

/** The shortest channel_timeout Vonage accepts (seconds); rows sent more recently are not read. */
const MIN_TIMEOUT_S = 15;

/** Whether a verification's next step is due at `now`: its step index, or undefined. */
function dueStep(v: Verification, now: number): number | undefined {
  const meta = vonageMeta(v);
  const i = meta && v.status === 'pending' ? nextStep(v, meta) : undefined;
  return meta && i !== undefined && v.last_sent_at + meta.channel_timeout * 1000 <= now ? i : undefined;
}

/** One pass: advances every request past its channel_timeout; returns how many steps went out. */
export async function advanceDue(gw: Gateway, locks: StepLocks, limit = 200): Promise<number> {
  const now = gw.now();
  let sent = 0;
  for (const candidate of await pendingSentBefore(gw.store.db, 'vonage', now - MIN_TIMEOUT_S * 1000, now, limit)) {
    if (dueStep(candidate, now) === undefined) continue;
    const account = await getAccount(gw.store.db, candidate.account_id);
    if (!account) continue;
    try {
      const went = await locks.run(candidate.id, async () => {
        // Read again under the lock: next_workflow may have taken this step meanwhile.
        const v = await gw.verify.get(account, candidate.id);
        const i = dueStep(v, now);
        if (i === undefined) return false;
        await sendStep(gw, account, vonageMeta(v)!, i);
        return true;
      });
      if (went) sent++;
    } catch (err) {
      // A refusal (cooldown, balance) leaves the step for a later tick; it is logged, not thrown.
      gw.log.warn({ err, verification: candidate.id }, 'vonage fallback step not sent');
    }
  }
  return sent;
}

/** Runs advanceDue every `everyMs` until stop() is called. */
export function startFallback(gw: Gateway, locks: StepLocks, everyMs = 1000): { stop(): void } {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    advanceDue(gw, locks)
      .catch((err) => gw.log.error({ err }, 'vonage fallback pass failed'))
      .finally(() => (running = false));
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
