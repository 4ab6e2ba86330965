/**
 * The database a test runs on. OTPGATE_TEST_DB picks the dialect for the whole run:
 * unset or "sqlite" (embedded: in memory, or a file when the test restarts the process) or
 * "postgres" (a fresh database per call on OTPGATE_TEST_PG_URL, default
 * postgres://postgres@127.0.0.1:5432/test, dropped when the test is done or, at the latest,
 * when the test file's process exits). A PostgreSQL run never falls back to SQLite: when the
 * server is down the test fails with the connection error.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import type { DialectName } from '../../src/store/dialect.ts';

export const testDialect: DialectName = process.env.OTPGATE_TEST_DB === 'postgres' ? 'postgres' : 'sqlite';
export const pgAdminUrl = process.env.OTPGATE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** Databases this process created, all dropped when it exits. */
const created = new Set<string>();
let seq = 0;

export interface TestDatabase {
  /** A database_url for the config (or DATABASE_URL of a child process). */
  url: string;
  dialect: DialectName;
  /** Done with it: a PostgreSQL database is emptied for reuse (dropped at exit); a no-op on SQLite. Close the gateway first. */
  drop(): Promise<void>;
}

/**
 * A new, empty, migrated-or-not database. `dir`: on SQLite, keep it in dir/otpgate.db (a test
 * that restarts a gateway or reads what a killed process left); PostgreSQL databases always
 * outlive a restart.
 *
 * On PostgreSQL a database released by drop() (not a dir's) is emptied (TRUNCATE … RESTART IDENTITY, tens of
 * ms) and handed to the next caller in this process, its schema kept: creating and migrating a
 * database costs over a second on a busy machine, and most test files build a gateway per test.
 * A database never released (a test that leaves a gateway running) is never handed out again.
 * Test connections skip the WAL flush wait (synchronous_commit=off): a test never survives a
 * PostgreSQL crash, so only the time would differ.
 */
export async function testDatabase(opts: { dir?: string } = {}): Promise<TestDatabase> {
  if (testDialect === 'sqlite') return { url: opts.dir ? `sqlite:${join(opts.dir, 'otpgate.db')}` : 'sqlite::memory:', dialect: 'sqlite', drop: async () => {} };
  // A dir's database is for child processes (`otpgate migrate`, `doctor`, `start`) that expect
  // what a new user has: an empty database, migrations pending. A reused one is migrated.
  const name = (opts.dir ? undefined : free.pop()) ?? (await createDatabase());
  const url = new URL(pgAdminUrl);
  url.pathname = `/${name}`;
  url.searchParams.set('options', '-c synchronous_commit=off');
  let released = false;
  return {
    url: url.toString(),
    dialect: 'postgres',
    async drop() {
      if (released) return;
      released = true;
      // A dir's database may still have a child process on it: it is only dropped at exit.
      if (!opts.dir && (await empty(name))) free.push(name);
    },
  };
}

/** Databases emptied and ready for the next testDatabase() of this process. */
const free: string[] = [];

async function createDatabase(): Promise<string> {
  const name = `otpgate_t_${process.pid}_${++seq}_${randomBytes(3).toString('hex')}`;
  await admin(`create database ${name}`);
  created.add(name);
  return name;
}

/** Empties every table but the migration log; false (keep it out of the pool) when that fails. */
async function empty(name: string): Promise<boolean> {
  const url = new URL(pgAdminUrl);
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  try {
    await client.connect();
    const { rows } = await client.query<{ t: string }>(
      "select quote_ident(tablename) as t from pg_tables where schemaname = current_schema() and tablename not like 'kysely_%'",
    );
    if (rows.length > 0) await client.query(`truncate ${rows.map((r) => r.t).join(', ')} restart identity`);
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const byDir = new Map<string, Promise<TestDatabase>>();

/**
 * The database of a data dir that child processes (`otpgate start`, the CLI) share: on SQLite
 * the file the gateway keeps there by default (data_dir/otpgate.db), on PostgreSQL one new
 * database per dir. Memoized, so every process started on the dir meets the same data.
 */
export function databaseForDir(dir: string): Promise<TestDatabase> {
  let db = byDir.get(dir);
  if (!db) byDir.set(dir, (db = testDatabase({ dir })));
  return db;
}

/** What a child process on `dir` needs in its environment to use the dir's database. */
export async function databaseEnv(dir: string): Promise<Record<string, string>> {
  return testDialect === 'postgres' ? { DATABASE_URL: (await databaseForDir(dir)).url } : {};
}

/** Drops the dir's database if one was made (tempDir's cleanup). */
export async function dropDatabaseForDir(dir: string): Promise<void> {
  const db = byDir.get(dir);
  byDir.delete(dir);
  if (db) await (await db).drop();
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: pgAdminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

let sweeping = false;
process.on('beforeExit', () => {
  if (sweeping || created.size === 0) return;
  sweeping = true;
  const names = [...created];
  created.clear();
  void Promise.allSettled(names.map((n) => admin(`drop database if exists ${n} with (force)`)));
});
