/** What a body formatter gets: one status change with the rows it concerns, read in its transaction. */
import type { Account, Message, Verification } from '../../store/schema.ts';

export const WEBHOOK_FORMATS = ['native', 'bitel'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export interface StatusChange {
  kind: 'message' | 'verification';
  status: string;
  /** Epoch ms of the change. */
  at: number;
  /** The error code the change set, when the event carries one (undefined: not told). */
  errorCode?: string | null;
  message?: Message;
  verification?: Verification;
  account: Account;
}
