/** Opens the database named by database_url: "sqlite:<path>" (embedded) or "postgres://…" (scale-out). */
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

export type DialectName = 'sqlite' | 'postgres';

export interface OpenDb {
  db: Kysely<Database>;
  dialect: DialectName;
  close(): Promise<void>;
}

export async function openDatabase(url: string): Promise<OpenDb> {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const { openPostgres } = await import('./postgres.ts');
    return openPostgres(url);
  }
  const { openSqlite } = await import('./sqlite.ts');
  return openSqlite(url.replace(/^sqlite:/, ''));
}
