// Which status may follow which. Receipts arrive late, twice and out of order, so every
// status write asks here first instead of trusting arrival order.

export const MESSAGE_STATUSES = [
  'queued',
  'sending',
  'sent',
  'delivered',
  'undelivered',
  'failed',
  'expired',
  'canceled',
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export const FINAL_MESSAGE_STATUSES: readonly MessageStatus[] = ['delivered', 'undelivered', 'failed', 'expired', 'canceled'];

const MESSAGE_NEXT: Record<MessageStatus, readonly MessageStatus[]> = {
  queued: ['sending', 'expired', 'canceled', 'failed'],
  // A receipt can beat the submit response, and a retryable fault puts it back in the queue.
  sending: ['sent', 'queued', 'failed', 'expired', 'delivered', 'undelivered'],
  // A call not answered (or busy) is placed again when the caller asked for re-dials.
  sent: ['delivered', 'undelivered', 'failed', 'expired', 'queued'],
  // Carriers sometimes report UNDELIV and then a late DELIVRD; the handset has the code.
  undelivered: ['delivered'],
  delivered: [],
  failed: [],
  expired: [],
  canceled: [],
};

export function isMessageStatus(x: string): x is MessageStatus {
  return (MESSAGE_STATUSES as readonly string[]).includes(x);
}

export function isFinalMessageStatus(s: string): boolean {
  return (FINAL_MESSAGE_STATUSES as readonly string[]).includes(s);
}

export function canMessageTransition(from: MessageStatus, to: MessageStatus): boolean {
  return Object.hasOwn(MESSAGE_NEXT, from) && MESSAGE_NEXT[from].includes(to);
}

export const VERIFICATION_STATUSES = [
  'pending',
  'approved',
  'canceled',
  'expired',
  'max_attempts_reached',
  'failed',
] as const;
export type VerificationStatus = (typeof VERIFICATION_STATUSES)[number];

export function isVerificationStatus(x: string): x is VerificationStatus {
  return (VERIFICATION_STATUSES as readonly string[]).includes(x);
}

/** Only a pending verification can change; every other status is an outcome. */
export function canVerificationTransition(from: VerificationStatus, to: VerificationStatus): boolean {
  return from === 'pending' && to !== 'pending' && isVerificationStatus(to);
}

export function isFinalVerificationStatus(s: string): boolean {
  return s !== 'pending' && isVerificationStatus(s);
}
