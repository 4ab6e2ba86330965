/** The embedded dialect: one better-sqlite3 file in WAL mode. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { OpenDb } from './dialect.ts';
import type { Database } from './schema.ts';

export function openSqlite(path: string): OpenDb {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const raw = new SQLite(path);
  // WAL + NORMAL: a commit survives a killed process (the WAL is written before the 2xx);
  // only a power cut can lose the last commits, which FULL would cost an fsync each to avoid.
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}
