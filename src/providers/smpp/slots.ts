/**
 * Bind slots: carriers cap the binds per system_id, so the configured `binds` is the total for
 * the deployment. With a cluster (ctx.leaseSlots) bind i is opened only while this instance
 * holds lease i of the SMSC's account, and closed when it loses it; alone, every bind is ours.
 */
import type { ProviderContext, SlotLease } from '../types.ts';
import type { ResolvedSmppConfig } from './config.ts';

export function leaseBinds(
  ctx: ProviderContext,
  config: Pick<ResolvedSmppConfig, 'host' | 'port' | 'system_id' | 'binds'>,
  open: (bind: number) => void,
  close: (bind: number) => void,
): SlotLease {
  if (ctx.leaseSlots) return ctx.leaseSlots(`smpp:${config.system_id}@${config.host}:${config.port}:`, config.binds, { onAcquire: open, onLose: close });
  const all = Array.from({ length: config.binds }, (_, i) => i + 1);
  for (const i of all) open(i);
  let held = all;
  return {
    get slots() {
      return held;
    },
    async stop() {
      for (const i of held) close(i);
      held = [];
    },
  };
}
