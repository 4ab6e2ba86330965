/**
 * Feedback: the caller checked the code itself (TingTing and Bitel callers do) and reports it
 * used, as Twilio's Verify feedback does. A pending verification becomes approved (queued resends
 * refunded) and the approval counts toward its prefix's conversion for SMS-pumping detection
 * (src/abuse/). Reporting twice counts once; a verification closed otherwise (expired, canceled)
 * keeps its status but still counts: the user did receive the code.
 */
import type { Account, Verification } from '../store/schema.ts';
import * as V from '../store/verifications.ts';
import { notFound } from './errors.ts';
import { cancelQueued } from './outbox.ts';
import type { VerifyDeps } from './service.ts';

export async function reportApproved(d: VerifyDeps, account: Account, id: string): Promise<Verification> {
  const now = d.now();
  const v = await V.getVerification(d.db, account.id, id);
  if (!v) throw notFound('verification', id);
  if (v.status === 'approved') return v;
  const approved = await d.writer.run(async (ctx) => {
    if (!(await V.setVerificationStatus(ctx, v, 'pending', 'approved', now))) return false;
    await cancelQueued(ctx, v.id, now);
    return true;
  });
  // Lost a race to a check that approved it: that approval was already counted.
  if (!approved && (await V.getVerification(d.db, account.id, id))?.status === 'approved') return { ...v, status: 'approved' };
  await d.abuse?.approved(account.id, v.to_number);
  return approved ? { ...v, status: 'approved', updated_at: now } : v;
}
