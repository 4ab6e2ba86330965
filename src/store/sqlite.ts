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
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(raw) }) });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}

/**
 * Kysely prepares every query anew; compiling the SQL was 22% of the CPU of a send end to end
 * (bench:e2e profile). The same few dozen statements repeat, so their prepared forms are kept,
 * bounded in case a caller builds SQL with values inlined. Safe because nothing streams: a
 * statement is run to completion before the next prepare can hand it out again.
 */
function withStatementCache(raw: SQLite.Database, max = 500): { prepare(sql: string): SQLite.Statement; close(): void } {
  const cache = new Map<string, SQLite.Statement>();
  return {
    prepare(sql) {
      let stmt = cache.get(sql);
      if (!stmt) {
        stmt = raw.prepare(sql);
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
        cache.set(sql, stmt);
      }
      return stmt;
    },
    close: () => raw.close(),
  };
}
