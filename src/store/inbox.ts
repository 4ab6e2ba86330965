/** The dev inbox's storage: what the embedded carrier "received". */
import type { Kysely } from 'kysely';
import type { Database, InboxEntry, InboxTable } from './schema.ts';
import type { EventHub } from './events.ts';

/** One received message, as the provider hands it over. */
export type InboxRecord = Omit<InboxTable, 'id'>;

export type InboxView = InboxEntry & { code_sealed: string | null; status: string | null };

export class InboxStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly hub: EventHub,
  ) {}

  /**
   * Records a message once: a resend of the same message id (a retry after a crash between the
   * carrier's accept and our commit) returns the first record, as a carrier honouring an
   * idempotency key would. A call re-dialed after no answer is a new call: `dial` n keeps the
   * message's n-th record.
   */
  async record(entry: InboxRecord, dial = 1): Promise<{ id: number; duplicate: boolean }> {
    const existing = await this.db
      .selectFrom('inbox')
      .select('id')
      .where('message_id', '=', entry.message_id)
      .orderBy('id')
      .limit(1)
      .offset(dial - 1)
      .executeTakeFirst();
    if (existing) return { id: existing.id, duplicate: true };
    const row = await this.db.insertInto('inbox').values(entry).returning('id').executeTakeFirstOrThrow();
    this.hub.emit({ type: 'inbox.new', inboxId: row.id, messageId: entry.message_id });
    return { id: row.id, duplicate: false };
  }

  /**
   * Newest first, with the sealed code of the verification the message belongs to (for
   * highlighting) and the message's delivery status (null once the message row is gone).
   */
  list(limit = 100, to?: string): Promise<InboxView[]> {
    let q = this.view().orderBy('inbox.id', 'desc').limit(limit);
    if (to) q = q.where('inbox.to_number', '=', to);
    return q.execute();
  }

  /** One entry in the same shape as list() (the live page's `new` event). */
  find(id: number): Promise<InboxView | undefined> {
    return this.view().where('inbox.id', '=', id).executeTakeFirst();
  }

  private view() {
    return this.db
      .selectFrom('inbox')
      .leftJoin('messages', 'messages.id', 'inbox.message_id')
      .leftJoin('verifications', 'verifications.id', 'messages.verification_id')
      .selectAll('inbox')
      .select(['verifications.code_sealed', 'messages.status']);
  }

  /**
   * Messages this inbox accepted whose receipt was never recorded: the process died between the
   * "sent" commit and the receipt's. A real carrier would still send that receipt, so the dev
   * inbox reports them again on start.
   */
  unreported(provider: string): Promise<Array<{ provider_message_id: string; to_number: string; channel: string; dials: number }>> {
    return this.db
      .selectFrom('messages')
      .innerJoin('inbox', 'inbox.message_id', 'messages.id')
      .where('messages.provider', '=', provider)
      .where('messages.status', '=', 'sent')
      .select(['messages.provider_message_id', 'messages.to_number', 'messages.channel'])
      .select((eb) => eb.fn.countAll<number>().as('dials'))
      .groupBy(['messages.id', 'messages.provider_message_id', 'messages.to_number', 'messages.channel'])
      .execute() as Promise<Array<{ provider_message_id: string; to_number: string; channel: string; dials: number }>>;
  }

  get(id: number): Promise<InboxEntry | undefined> {
    return this.db.selectFrom('inbox').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async clear(): Promise<void> {
    await this.db.deleteFrom('inbox').execute();
    this.hub.emit({ type: 'inbox.cleared' });
  }
}
