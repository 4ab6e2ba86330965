/** Schema migrations, portable through Kysely's schema builder (bigint = INTEGER on SQLite). */
import { type ColumnDefinitionBuilder, type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import type { DialectName } from './dialect.ts';

type Col = (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder;

const m001 = (dialect: DialectName): Migration => ({
  async up(db: Kysely<any>) {
    // The one dialect difference in the schema: how an auto-numbered key is spelled.
    const serialType = dialect === 'postgres' ? 'bigserial' : 'integer';
    const serial: Col = dialect === 'postgres' ? (c) => c.primaryKey() : (c) => c.primaryKey().autoIncrement();

    await db.schema
      .createTable('accounts')
      .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('name', 'varchar(200)', (c) => c.notNull())
      .addColumn('default_region', 'varchar(2)', (c) => c.notNull())
      .addColumn('balance', 'bigint', (c) => c.notNull())
      .addColumn('currency', 'varchar(8)', (c) => c.notNull())
      .addColumn('utc_offset_minutes', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('webhook_url', 'text')
      .addColumn('webhook_secret', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('api_keys')
      .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('account_id', 'varchar(40)', (c) => c.notNull().references('accounts.id'))
      .addColumn('family', 'varchar(16)', (c) => c.notNull())
      .addColumn('hash', 'varchar(64)', (c) => c.notNull().unique())
      .addColumn('last4', 'varchar(4)', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_used_at', 'bigint')
      .addColumn('revoked_at', 'bigint')
      .execute();

    await db.schema
      .createTable('verifications')
      .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('account_id', 'varchar(40)', (c) => c.notNull())
      .addColumn('family', 'varchar(16)', (c) => c.notNull())
      .addColumn('to_number', 'varchar(20)', (c) => c.notNull())
      .addColumn('channel', 'varchar(8)', (c) => c.notNull())
      .addColumn('status', 'varchar(24)', (c) => c.notNull())
      .addColumn('code_hash', 'varchar(64)', (c) => c.notNull())
      .addColumn('code_sealed', 'text', (c) => c.notNull())
      .addColumn('locale', 'varchar(16)', (c) => c.notNull())
      .addColumn('app_name', 'text')
      .addColumn('template', 'text')
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('max_attempts', 'integer', (c) => c.notNull())
      .addColumn('send_count', 'integer', (c) => c.notNull())
      .addColumn('max_sends', 'integer', (c) => c.notNull())
      .addColumn('last_sent_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('meta', 'text')
      .execute();
    await db.schema
      .createIndex('verifications_pending_to')
      .on('verifications')
      .columns(['account_id', 'to_number', 'status'])
      .execute();

    await db.schema
      .createTable('messages')
      .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('account_id', 'varchar(40)', (c) => c.notNull())
      .addColumn('verification_id', 'varchar(40)')
      .addColumn('family', 'varchar(16)', (c) => c.notNull())
      .addColumn('to_number', 'varchar(20)', (c) => c.notNull())
      .addColumn('from_number', 'varchar(32)')
      .addColumn('channel', 'varchar(8)', (c) => c.notNull())
      .addColumn('locale', 'varchar(16)', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('encoding', 'varchar(8)', (c) => c.notNull())
      .addColumn('segments', 'integer', (c) => c.notNull())
      .addColumn('price', 'bigint', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('provider', 'varchar(64)')
      .addColumn('provider_message_id', 'varchar(128)')
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
      .addColumn('locked_by', 'varchar(40)')
      .addColumn('deadline_at', 'bigint', (c) => c.notNull())
      .addColumn('error_code', 'varchar(64)')
      .addColumn('error_message', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('sent_at', 'bigint')
      .addColumn('final_at', 'bigint')
      .addColumn('bill_sec', 'integer')
      .addColumn('meta', 'text')
      .execute();
    // The outbox scan: only unfinished rows are indexed by due time.
    await db.schema.createIndex('messages_due').on('messages').columns(['status', 'next_attempt_at']).execute();
    await db.schema
      .createIndex('messages_receipt')
      .on('messages')
      .columns(['provider', 'provider_message_id'])
      .execute();
    await db.schema.createIndex('messages_account').on('messages').columns(['account_id', 'id']).execute();
    await db.schema.createIndex('messages_verification').on('messages').column('verification_id').execute();

    await db.schema
      .createTable('message_events')
      .addColumn('id', serialType, serial)
      .addColumn('message_id', 'varchar(40)', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('provider', 'varchar(64)')
      .addColumn('detail', 'text')
      .execute();
    await db.schema.createIndex('message_events_message').on('message_events').column('message_id').execute();

    await db.schema
      .createTable('ledger')
      .addColumn('id', serialType, serial)
      .addColumn('account_id', 'varchar(40)', (c) => c.notNull())
      .addColumn('amount', 'bigint', (c) => c.notNull())
      .addColumn('reason', 'varchar(32)', (c) => c.notNull())
      .addColumn('message_id', 'varchar(40)')
      .addColumn('at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('idempotency')
      .addColumn('account_id', 'varchar(40)', (c) => c.notNull())
      .addColumn('key', 'varchar(255)', (c) => c.notNull())
      .addColumn('request_hash', 'varchar(64)', (c) => c.notNull())
      .addColumn('response', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('idempotency_pk', ['account_id', 'key'])
      .execute();

    await db.schema
      .createTable('inbox')
      .addColumn('id', serialType, serial)
      .addColumn('message_id', 'varchar(40)', (c) => c.notNull())
      .addColumn('to_number', 'varchar(20)', (c) => c.notNull())
      .addColumn('channel', 'varchar(8)', (c) => c.notNull())
      .addColumn('text', 'text', (c) => c.notNull())
      .addColumn('locale', 'varchar(16)', (c) => c.notNull())
      .addColumn('encoding', 'varchar(8)', (c) => c.notNull())
      .addColumn('segments', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('inbox_message').on('inbox').column('message_id').execute();

    await db.schema
      .createTable('pending_receipts')
      .addColumn('provider', 'varchar(64)', (c) => c.notNull())
      .addColumn('provider_message_id', 'varchar(128)', (c) => c.notNull())
      .addColumn('outcome', 'varchar(16)', (c) => c.notNull())
      .addColumn('error_code', 'varchar(64)')
      .addColumn('bill_sec', 'integer')
      .addColumn('at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('pending_receipts_key')
      .on('pending_receipts')
      .columns(['provider', 'provider_message_id'])
      .execute();
  },
});

/** Signed webhooks: the account's body format and the delivery outbox (src/webhooks/). */
const m002 = (dialect: DialectName): Migration => ({
  async up(db: Kysely<any>) {
    const serialType = dialect === 'postgres' ? 'bigserial' : 'integer';
    const serial: Col = dialect === 'postgres' ? (c) => c.primaryKey() : (c) => c.primaryKey().autoIncrement();
    await db.schema
      .alterTable('accounts')
      .addColumn('webhook_format', 'varchar(16)', (c) => c.notNull().defaultTo('native'))
      .execute();
    await db.schema
      .createTable('webhook_outbox')
      .addColumn('id', serialType, serial)
      .addColumn('account_id', 'varchar(40)', (c) => c.notNull())
      .addColumn('event', 'varchar(32)', (c) => c.notNull())
      .addColumn('subject_id', 'varchar(40)', (c) => c.notNull())
      .addColumn('status', 'varchar(24)', (c) => c.notNull())
      .addColumn('format', 'varchar(16)', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
      .addColumn('state', 'varchar(12)', (c) => c.notNull())
      .addColumn('last_error', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('delivered_at', 'bigint')
      .execute();
    // Partial indexes: only pending rows are scanned, so delivered history costs the claim nothing.
    // The claim: pending rows by due time.
    await db.schema
      .createIndex('webhook_outbox_due')
      .on('webhook_outbox')
      .column('next_attempt_at')
      .where(sql.ref('state'), '=', 'pending')
      .execute();
    // In order per subject: "is there an older pending row of this subject?"
    await db.schema
      .createIndex('webhook_outbox_subject')
      .on('webhook_outbox')
      .columns(['subject_id', 'id'])
      .where(sql.ref('state'), '=', 'pending')
      .execute();
    await db.schema.createIndex('webhook_outbox_account').on('webhook_outbox').columns(['account_id', 'state']).execute();
  },
});

// channel "auto": the voice-fallback sweep runs every poll, so it reads only live 'auto' rows.
const m003: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createIndex('verifications_auto')
      .on('verifications')
      .column('id')
      .where((eb) => eb.and([eb(sql.ref('channel'), '=', 'auto'), eb(sql.ref('status'), '=', 'pending')]))
      .execute();
  },
};

/**
 * Receipts per part (issue 9): each carrier answer recorded as it arrives, matched by
 * (provider, key, destination) among open parts; parked receipts keep their destination.
 */
const m004 = (dialect: DialectName): Migration => ({
  async up(db: Kysely<any>) {
    const serialType = dialect === 'postgres' ? 'bigserial' : 'integer';
    const serial: Col = dialect === 'postgres' ? (c) => c.primaryKey() : (c) => c.primaryKey().autoIncrement();
    await db.schema
      .createTable('message_parts')
      .addColumn('id', serialType, serial)
      .addColumn('message_id', 'varchar(40)', (c) => c.notNull())
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('part', 'integer', (c) => c.notNull())
      .addColumn('total', 'integer', (c) => c.notNull())
      .addColumn('provider', 'varchar(64)', (c) => c.notNull())
      .addColumn('provider_message_id', 'varchar(128)', (c) => c.notNull())
      .addColumn('carrier_key', 'varchar(128)', (c) => c.notNull())
      .addColumn('to_number', 'varchar(20)', (c) => c.notNull())
      .addColumn('outcome', 'varchar(16)')
      .addColumn('error_code', 'varchar(64)')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('final_at', 'bigint')
      .addUniqueConstraint('message_parts_one', ['message_id', 'attempt', 'part'])
      .execute();
    // The receipt match: open parts of a provider under a key (ids repeat; the newest open one wins).
    await db.schema
      .createIndex('message_parts_key')
      .on('message_parts')
      .columns(['provider', 'carrier_key', 'id'])
      .where(sql.ref('outcome'), 'is', null)
      .execute();
    await db.schema.alterTable('pending_receipts').addColumn('to_number', 'varchar(20)').execute();
    await db.schema.alterTable('pending_receipts').addColumn('ref', 'varchar(40)').execute();
  },
});
/** Vendor families (Twilio, Vonage): their credentials and Twilio Services (src/store/vendors.ts). */
const m009: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('vendor_credentials')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('account_id', 'varchar(40)', (c) => c.notNull())
      .addColumn('family', 'varchar(16)', (c) => c.notNull())
      .addColumn('kind', 'varchar(16)', (c) => c.notNull())
      .addColumn('owner_sid', 'varchar(64)')
      .addColumn('secret_hash', 'varchar(64)')
      .addColumn('public_key', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .execute();
    await db.schema.createIndex('vendor_credentials_account').on('vendor_credentials').column('account_id').execute();
    await db.schema
      .createTable('twilio_services')
      .addColumn('sid', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('account_id', 'varchar(40)', (c) => c.notNull())
      .addColumn('account_sid', 'varchar(40)', (c) => c.notNull())
      .addColumn('friendly_name', 'varchar(64)', (c) => c.notNull())
      .addColumn('code_length', 'integer', (c) => c.notNull())
      .addColumn('settings', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('twilio_services_account').on('twilio_services').columns(['account_id', 'sid']).execute();
  },
};

// The receipt deadline sweep (src/dispatch/receipt-deadline.ts) reads only "sent" rows by age;
// the admin ledger (src/store/ledger.ts) reads one account's rows newest first.
const m005Fidelity: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createIndex('messages_sent_at').on('messages').column('sent_at').where(sql.ref('status'), '=', 'sent').execute();
    // An operator's credit or debit carries its reason in words ("invoice 2024-11 paid"); `reason` stays the short kind.
    await db.schema.alterTable('ledger').addColumn('note', 'text').execute();
    await db.schema.createIndex('ledger_account').on('ledger').columns(['account_id', 'id']).execute();
  },
};

/** Abuse defence (src/abuse/): pumping blocks, per-account overrides, test numbers. */
const m006: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('abuse_blocks')
      .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('account_id', 'varchar(40)', (c) => c.notNull())
      .addColumn('prefix', 'varchar(20)', (c) => c.notNull())
      .addColumn('reason', 'varchar(32)', (c) => c.notNull())
      .addColumn('figures', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('lifted_at', 'bigint')
      .addColumn('lifted_by', 'varchar(64)')
      .execute();
    await db.schema.createIndex('abuse_blocks_active').on('abuse_blocks').columns(['expires_at', 'lifted_at']).execute();
    await db.schema
      .createTable('abuse_settings')
      .addColumn('account_id', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('settings', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('test_numbers')
      .addColumn('account_id', 'varchar(40)', (c) => c.notNull())
      .addColumn('number', 'varchar(20)', (c) => c.notNull())
      .addColumn('code', 'varchar(10)', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('test_numbers_pk', ['account_id', 'number'])
      .execute();
  },
};

/**
 * Scale-out: the shared server secret and its fingerprint (settings), leases of cluster-wide
 * slots such as SMPP binds (cluster_leases), and message bodies rewritten from the first code
 * mark (NUL-delimited, which PostgreSQL text refuses) to the current one (src/verify/codemask.ts).
 * The marks are spelled here, not imported: a migration must not change when the code does.
 */
const m007: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('settings')
      .addColumn('key', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('cluster_leases')
      .addColumn('name', 'varchar(128)', (c) => c.primaryKey())
      .addColumn('holder', 'varchar(64)', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('acquired_at', 'bigint', (c) => c.notNull())
      .execute();
    const marks: Array<[string, string]> = [
      ['\u0000c\u0000', '\uE000c\uE001'],
      ['\u0000s\u0000', '\uE000s\uE001'],
    ];
    // Keyset pages, in JS: SQLite's string functions stop at NUL, so replace() cannot be trusted with it.
    let after = '';
    for (;;) {
      const page: Array<{ id: string; body: string }> = await db.selectFrom('messages').select(['id', 'body']).where('id', '>', after).orderBy('id').limit(1000).execute();
      if (page.length === 0) break;
      after = page[page.length - 1].id;
      for (const row of page) {
        if (!row.body.includes('\u0000')) continue;
        const body = marks.reduce((b, [old, mark]) => b.replaceAll(old, mark), row.body).replace(/\u0000n([0-9a-f]{2,6})\u0000/g, '\uE000n$1\uE001');
        await db.updateTable('messages').set({ body }).where('id', '=', row.id).execute();
      }
    }
  },
};

/** The webhook's event filter (src/core/webhook-events.ts), as Kannel's dlr-mask: null = every change. */
const m008: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('accounts').addColumn('webhook_events', 'text').execute();
  },
};

/**
 * Verifications due to expire, by index (issue 13): the dispatcher's housekeeping looks for
 * them on every poll, and without this it read every pending verification each time (7% of the
 * server's CPU in a 3,000-message bench:e2e, growing with the table). Partial, on pending rows:
 * only a query naming status 'pending' as a literal (expireDue) can use it, so SQLite, which has
 * no statistics, never prefers it to verifications_pending_to for a send's lookup (a full
 * (status, expires_at) index made it do so: a range scan over every pending row per send).
 */
const m010: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createIndex('verifications_due').on('verifications').column('expires_at').where(sql.ref('status'), '=', 'pending').execute();
  },
};

export function migrations(dialect: DialectName): Record<string, Migration> {
  // One entry per line: work landing from parallel branches adds its own line.
  return {
    '001_initial': m001(dialect),
    '002_webhooks': m002(dialect),
    '003_auto_voice': m003,
    '004_receipts': m004(dialect),
    '009_vendors': m009,
    '005_fidelity': m005Fidelity,
    '006_abuse': m006,
    '007_cluster': m007,
    '008_webhook_events': m008,
    '010_verifications_due': m010,
  };
}

/**
 * Applies what is missing; returns the names applied by this call. Several instances may start
 * at once: on PostgreSQL Kysely's migrator holds a session advisory lock (pg_advisory_lock) for
 * the whole run, so one instance migrates and the others find nothing left. SQLite has no such
 * lock; a process that lost the race fails inside its own transaction (rolled back), so it reads
 * the state again and finds the winner's work done.
 */
export async function migrate(db: Kysely<any>, dialect: DialectName): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(dialect) };
  const migrator = new Migrator({ db, provider, allowUnorderedMigrations: true });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    if (!error) return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    if (dialect !== 'sqlite' || attempt >= 3) throw error;
    await new Promise((r) => setTimeout(r, 50 * attempt));
  }
}
