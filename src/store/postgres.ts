/** The scale-out dialect: a pg pool. int8 columns (instants, money) come back as JS numbers. */
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { OpenDb } from './dialect.ts';
import { namedStatement } from './prepared.ts';
import type { Database } from './schema.ts';

pg.types.setTypeParser(20, (v) => Number(v));

export function openPostgres(url: string): OpenDb {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle connection the server ended (restart, failover, admin) is dropped from the pool and the
  // next query opens another; without a listener pg would throw the error out of the process.
  pool.on('error', () => {});
  // The hot statements (src/store/prepared.ts) run as named prepared statements: each connection
  // parses and plans one once, then binds values only. Kysely calls query(text, values).
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...a: unknown[]) => unknown;
    client.query = ((text: unknown, values?: unknown, ...rest: unknown[]) => {
      const name = typeof text === 'string' && Array.isArray(values) && rest.length === 0 ? namedStatement(text) : undefined;
      return name ? query({ name, text, values }) : query(text, values, ...rest);
    }) as typeof client.query;
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', close: () => db.destroy() };
}
