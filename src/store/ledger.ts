/**
 * Manual balance changes and the ledger that records them: an operator credits (tops up) or
 * debits an account with a reason, from the CLI (`otpgate accounts credit|debit`) or the admin
 * API. Each change is one transaction: the balance moves and a ledger row says by how much, of
 * which kind ('credit' | 'debit'), why (note) and when. Amounts are integer micro-units of the
 * account's currency.
 */
import type { Kysely } from 'kysely';
import type { Account, Database } from './schema.ts';

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
