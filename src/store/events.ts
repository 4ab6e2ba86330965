/**
 * Storage emits a typed event after each committed write (mailpit's model); one hub fans it out
 * to live clients (SSE), the dispatcher's wake-up and webhooks. With no listener, emit is a no-op.
 */
export type StoreEvent =
  | {
      type: 'message.created';
      messageId: string;
      accountId: string;
      /** For live counters (metrics, console) without a read back: the row's family, channel, E.164 number, created_at. */
      family?: string;
      channel?: string;
      to?: string;
      at?: number;
    }
  | {
      type: 'message.status';
      messageId: string;
      accountId: string;
      verificationId: string | null;
      status: string;
      at: number;
      errorCode?: string | null;
      /** The carrier that took (or reported on) the message, when known. */
      provider?: string | null;
    }
  | { type: 'verification.status'; verificationId: string; accountId: string; status: string; at: number }
  | { type: 'inbox.new'; inboxId: number; messageId: string }
  | { type: 'inbox.cleared' };

export type Listener = (event: StoreEvent) => void;

export class EventHub {
  private listeners = new Set<Listener>();

  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: StoreEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // a broken listener must never fail the write that already committed
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }
}
