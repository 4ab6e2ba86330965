/** The scale-out dialect: a pg pool. int8 columns (instants, money) come back as JS numbers. */
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { OpenDb } from './dialect.ts';
import type { Database } from './schema.ts';

pg.types.setTypeParser(20, (v) => Number(v));

export function openPostgres(url: string): OpenDb {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle connection the server ended (restart, failover, admin) is dropped from the pool and the
  // next query opens another; without a listener pg would throw the error out of the process.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', close: () => db.destroy() };
}
