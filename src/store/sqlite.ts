/** The embedded dialect: one better-sqlite3 file in WAL mode. */
import { mkdirSync, writeFileSync } from 'node:fs';
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
  const stats = process.env.OTPGATE_SQL_STATS;
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(raw, 500, stats ? sqlStats(stats) : undefined) }) });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}

/**
 * Kysely prepares every query anew; compiling the SQL was 22% of the CPU of a send end to end
 * (bench:e2e profile). The same few dozen statements repeat, so their prepared forms are kept,
 * bounded in case a caller builds SQL with values inlined. Safe because nothing streams: a
 * statement is run to completion before the next prepare can hand it out again.
 */
function withStatementCache(raw: SQLite.Database, max = 500, wrap?: (sql: string, s: SQLite.Statement) => SQLite.Statement): { prepare(sql: string): SQLite.Statement; close(): void } {
  const cache = new Map<string, SQLite.Statement>();
  return {
    prepare(sql) {
      let stmt = cache.get(sql);
      if (!stmt) {
        stmt = raw.prepare(sql);
        if (wrap) stmt = wrap(sql, stmt);
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
        cache.set(sql, stmt);
      }
      return stmt;
    },
    close: () => raw.close(),
  };
}

/**
 * OTPGATE_SQL_STATS=<file> (benches only): counts every statement Kysely runs and its time, by
 * SQL text, and writes them as JSON ({ sql: [count, ms] }) to <file> when the process exits, so
 * a bench can say how many statements one message costs end to end and which are slow.
 */
function sqlStats(file: string): (sql: string, s: SQLite.Statement) => SQLite.Statement {
  const seen = new Map<string, [number, number]>();
  process.once('exit', () => writeFileSync(file, JSON.stringify(Object.fromEntries(seen))));
  return (sql, stmt) => {
    const entry: [number, number] = seen.get(sql) ?? [0, 0];
    seen.set(sql, entry);
    const timed = <A extends unknown[], R>(f: (...a: A) => R) => (...a: A): R => {
      const t = performance.now();
      try {
        return f(...a);
      } finally {
        entry[0]++;
        entry[1] += performance.now() - t;
      }
    };
    // Kysely's driver uses only these members (sqlite-driver.js).
    const wrapped = { reader: stmt.reader, all: timed(stmt.all.bind(stmt)), run: timed(stmt.run.bind(stmt)), get: timed(stmt.get.bind(stmt)), iterate: stmt.iterate.bind(stmt) };
    return wrapped as unknown as SQLite.Statement;
  };
}
