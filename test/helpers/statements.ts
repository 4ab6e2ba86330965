/**
 * Counts the statements the database clients run, for tests and bench/statements.ts: every run
 * of a better-sqlite3 prepared statement (run, get, all, iterate) and every pg query, BEGIN and
 * COMMIT included. `note` is called with each statement's SQL text. Patches the clients'
 * prototypes for the whole process, so install it once per process, before the work to count.
 */
import SQLite from 'better-sqlite3';
import pg from 'pg';

export function countStatements(note: (sql: string) => void): void {
  const probe = new SQLite(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('select 1')) as Record<string, (...a: unknown[]) => unknown>;
  probe.close();
  for (const m of ['run', 'get', 'all', 'iterate']) {
    const orig = proto[m];
    proto[m] = function (this: { source: string }, ...a: unknown[]) {
      note(this.source);
      return orig.apply(this, a);
    };
  }
  const pgQuery = pg.Client.prototype.query as (...a: unknown[]) => unknown;
  pg.Client.prototype.query = function (this: pg.Client, ...a: unknown[]) {
    const q = a[0] as string | { text: string };
    note(typeof q === 'string' ? q : q.text);
    return pgQuery.apply(this, a);
  } as typeof pg.Client.prototype.query;
}
