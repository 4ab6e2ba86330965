/**
 * Manual balance changes and the ledger that records them: an operator credits (tops up) or
 * debits an account with a reason, from the CLI (`otpgate accounts credit|debit`) or the admin
 * API. Each change is one transaction: the balance moves and a ledger row says by how much, of
 * which kind ('credit' | 'debit'), why (note) and when. Amounts are integer micro-units of the
 * account's currency.
 */
import type { Kysely } from 'kysely';
import { debit } from './accounts.ts';
import { affected, prepared } from './prepared.ts';
import type { Account, Database } from './schema.ts';
import type { JobContext } from './writer.ts';

type Db = Kysely<Database>;

export interface LedgerEntry {
  id: number;
  account_id: string;
  /** Signed micro-units: + credit or refund, − charge or debit. */
  amount: number;
  /** 'message' (a charge), 'refund', 'credit', 'debit'. */
  reason: string;
  note: string | null;
  message_id: string | null;
  at: number;
}

export type Adjustment =
  | { ok: true; account: Account; entry: LedgerEntry }
  | { ok: false; why: 'no_account' | 'insufficient_balance'; balance?: number };

/**
 * Credits (`amount` > 0) or debits (`amount` < 0) an account. A debit never takes the balance
 * below zero (refused with why 'insufficient_balance'); `amount` must be a non-zero safe integer.
 */
export async function adjustBalance(db: Db, accountId: string, amount: number, note: string, now: number): Promise<Adjustment> {
  if (!Number.isSafeInteger(amount) || amount === 0) throw new RangeError(`amount must be a non-zero whole number of micro-units, got ${amount}`);
  return db.transaction().execute(async (trx) => {
    let q = trx.updateTable('accounts').set((eb) => ({ balance: eb('balance', '+', amount) })).where('id', '=', accountId);
    if (amount < 0) q = q.where('balance', '>=', -amount);
    const r = await q.executeTakeFirst();
    const account = await trx.selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirst();
    if (!account) return { ok: false, why: 'no_account' };
    if (Number(r.numUpdatedRows) !== 1) return { ok: false, why: 'insufficient_balance', balance: Number(account.balance) };
    const row = { account_id: accountId, amount, reason: amount > 0 ? 'credit' : 'debit', note, message_id: null, at: now };
    const inserted = await trx.insertInto('ledger').values(row).returning('id').executeTakeFirstOrThrow();
    return { ok: true, account: { ...account, balance: Number(account.balance) }, entry: { id: Number(inserted.id), ...row } };
  });
}

/** One account's ledger, newest first; `before` is the id of the last row of the previous page. */
export async function ledgerOf(db: Db, accountId: string, o: { limit: number; before?: number }): Promise<LedgerEntry[]> {
  let q = db.selectFrom('ledger').selectAll().where('account_id', '=', accountId).orderBy('id', 'desc').limit(o.limit);
  if (o.before !== undefined) q = q.where('id', '<', o.before);
  const rows = await q.execute();
  return rows.map((r) => ({ ...r, id: Number(r.id), amount: Number(r.amount), at: Number(r.at), note: r.note ?? null }));
}

type MessageCharge = { account_id: string; price: number; amount: number; message_id: string; at: number };

// A message's charge: the ledger row, alone (SQLite) or with the guarded debit in one statement
// (PostgreSQL: the UPDATE in a WITH, the INSERT reading the row it returned, so no debit means no row).
const hot = {
  ledger: prepared<MessageCharge>('ledger_message', (db, p) =>
    db.insertInto('ledger').values({ account_id: p.account_id, amount: p.amount, reason: 'message', message_id: p.message_id, at: p.at })),
  debitAndLedger: prepared<MessageCharge>('ledger_debit_message', (db, p) =>
    db
      .with('debited', (q) =>
        q
          .updateTable('accounts')
          .set((eb) => ({ balance: eb('balance', '-', p.price) }))
          .where('id', '=', p.account_id)
          .where('balance', '>=', p.price)
          .returning('id'))
      .insertInto('ledger')
      .columns(['account_id', 'amount', 'reason', 'message_id', 'at'])
      .expression((eb) =>
        eb
          .selectFrom('debited')
          .select((s) => [
            s.ref('debited.id').as('account_id'),
            s.cast(s.val(p.amount), 'bigint').as('amount'),
            s.cast(s.val('message'), 'varchar(32)').as('reason'),
            s.cast(s.val(p.message_id), 'varchar(40)').as('message_id'),
            s.cast(s.val(p.at), 'bigint').as('at'),
          ]))),
};

/**
 * Charges a queued message: debits `price` (micro-units) from the account if the balance covers
 * it, and records the charge in the ledger (amount −price, reason 'message', the message's id,
 * `at` epoch ms), in the caller's transaction. False (nothing changed) when the balance is short.
 * One statement on PostgreSQL; on SQLite the debit and the row are two (it has no UPDATE in WITH).
 */
export async function chargeMessage(ctx: JobContext, c: { accountId: string; price: number; messageId: string; at: number }): Promise<boolean> {
  const args: MessageCharge = { account_id: c.accountId, price: c.price, amount: -c.price, message_id: c.messageId, at: c.at };
  if (ctx.dialect === 'postgres') return affected(await hot.debitAndLedger.run(ctx.trx, args)) === 1;
  if (!(await debit(ctx.trx, c.accountId, c.price))) return false;
  await hot.ledger.run(ctx.trx, args);
  return true;
}
