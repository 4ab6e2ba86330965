/**
 * build(t): a gateway on a fresh database of the run's dialect (test/helpers/db.ts: in-memory
 * SQLite, or a new PostgreSQL database dropped afterwards) with a funded account and a key,
 * its Fastify app for app.inject, a controllable clock, and everything closed when the test ends.
 */
import type { TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { loadConfig } from '../../src/config.ts';
import { createGateway, type Gateway } from '../../src/gateway.ts';
import { buildApp } from '../../src/http/app.ts';
import { type ApiFamily, createAccount, createApiKey } from '../../src/store/accounts.ts';
import type { Account } from '../../src/store/schema.ts';
import { testDatabase } from './db.ts';

export interface Harness {
  app: FastifyInstance;
  gw: Gateway;
  account: Account;
  token: string;
  /** The clock the gateway reads; move it with advance(). */
  clock: { now: number };
  advance(ms: number): void;
  auth(token?: string): { authorization: string };
  /** Another account with its own key (isolation tests). */
  newAccount(opts?: { region?: string; balance?: number; family?: ApiFamily; utcOffsetMinutes?: number }): Promise<{ account: Account; token: string }>;
  /** Waits until the dispatcher has nothing due and the writer is idle. */
  settle(): Promise<void>;
}

export async function build(
  t: TestContext | { after(fn: () => unknown): void },
  overrides: Record<string, unknown> = {},
  opts: { region?: string; balance?: number; family?: ApiFamily } = {},
): Promise<Harness> {
  const clock = { now: Date.now() };
  // A caller that restarts a gateway on the same data passes its own database_url (testDatabase({ dir })).
  const database = overrides.database_url ? undefined : await testDatabase();
  const config = loadConfig(
    {
      ...(database ? { database_url: database.url } : {}),
      secret: 'test-secret-test-secret-test-secret-0123',
      log_level: 'silent',
      bootstrap_dev_account: false,
      ...overrides,
      // Test accounts send anywhere but the high-risk list, like the dev account (DESIGN.md "Abuse").
      abuse: { geo: { countries: ['*'] }, ...(overrides.abuse as object | undefined) },
    },
    { NODE_ENV: 'test' },
  );
  const gw = await createGateway(config, { log: pino({ level: 'silent' }), now: () => clock.now }).catch(async (err) => {
    await database?.drop();
    throw err;
  });
  const app = await buildApp(gw, { logger: false });
  await app.ready();
  t.after(async () => {
    await app.close();
    await gw.close();
    await database?.drop();
  });
  const newAccount: Harness['newAccount'] = async (o = {}) => {
    const account = await createAccount(gw.store.db, {
      name: 'test',
      defaultRegion: o.region ?? 'US',
      balance: o.balance ?? 1_000_000_000,
      utcOffsetMinutes: o.utcOffsetMinutes,
      now: clock.now,
    });
    const { token } = await createApiKey(gw.store.db, account.id, o.family ?? '*', clock.now);
    return { account, token };
  };
  const { account, token } = await newAccount(opts);
  return {
    app,
    gw,
    account,
    token,
    clock,
    advance: (ms) => {
      clock.now += ms;
    },
    auth: (tk = token) => ({ authorization: `Bearer ${tk}` }),
    newAccount,
    async settle() {
      // A time budget, not a count of 5 ms turns: 200 turns were about a second, and a send in
      // flight on a loaded machine (or over PostgreSQL) can take longer than that to finish.
      const end = Date.now() + 30_000;
      while (Date.now() < end) {
        await gw.writer.flush();
        const due = await gw.dispatcher.nextDue();
        const busy = await gw.store.db
          .selectFrom('messages')
          .select('id')
          .where((eb) =>
            eb.or([
              eb.and([eb('status', 'in', ['queued', 'sending']), eb('next_attempt_at', '<=', clock.now)]),
              // In flight here: its lease runs into the future, but the outcome is near.
              eb.and([eb('status', '=', 'sending'), eb('locked_by', '=', gw.dispatcher.workerId)]),
            ]),
          )
          .executeTakeFirst();
        if (!busy && gw.dispatcher.receiptsInFlight === 0 && (due === undefined || due > clock.now)) {
          await new Promise((r) => setTimeout(r, 5));
          await gw.writer.flush();
          return;
        }
        gw.dispatcher.wake();
        await new Promise((r) => setTimeout(r, 5));
      }
      throw new Error('dispatcher did not settle in 30 s');
    },
  };
}
