/**
 * Hot-path statements compiled once from their Kysely twins (issue 13). Building a query and
 * compiling it to SQL cost about a quarter of the accept path's CPU; the hot statements never
 * change shape, only their values. So each is written once, as a Kysely query with named slots
 * for its values, compiled once per dialect, and executed with fresh parameters through the
 * same Kysely instance or transaction (so it joins the group commit's transaction, and both
 * dialects stay one source). better-sqlite3 keeps the prepared form (src/store/sqlite.ts caches
 * statements by SQL text); on PostgreSQL each one runs as a named prepared statement on every
 * pool connection (src/store/postgres.ts asks namedStatement() for its name).
 */
import {
  type Compilable,
  type CompiledQuery,
  createQueryId,
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type RawBuilder,
  sql,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import type { DialectName } from './dialect.ts';
import type { Database } from './schema.ts';

/** Where a hot statement runs: the database or a writer transaction. */
type Runner = Pick<Kysely<Database>, 'executeQuery' | 'getExecutor'>;

const SLOT = '\u0000slot:';

/** Compiler-only Kysely instances (no connection), one per dialect, made on first use. */
const compilers: Partial<Record<DialectName, Kysely<Database>>> = {};
function compiler(dialect: DialectName): Kysely<Database> {
  return (compilers[dialect] ??= new Kysely<Database>({
    dialect:
      dialect === 'sqlite'
        ? { createAdapter: () => new SqliteAdapter(), createDriver: () => new DummyDriver(), createIntrospector: (db) => new SqliteIntrospector(db), createQueryCompiler: () => new SqliteQueryCompiler() }
        : { createAdapter: () => new PostgresAdapter(), createDriver: () => new DummyDriver(), createIntrospector: (db) => new PostgresIntrospector(db), createQueryCompiler: () => new PostgresQueryCompiler() },
  }));
}

/** SQL text of every hot statement on PostgreSQL → its prepared-statement name. */
const names = new Map<string, string>();

/**
 * The prepared-statement name for `sql` if it is a hot statement's PostgreSQL text, else
 * undefined (run it unnamed). Read by src/store/postgres.ts on every query.
 */
export function namedStatement(sql: string): string | undefined {
  return names.get(sql);
}

/** One hot statement: `run` executes it on `db` (a Kysely instance or transaction) with `args`. */
export interface Prepared<A, R> {
  run(db: Runner, args: A): Promise<{ rows: R[]; numAffectedRows?: bigint }>;
  /** The compiled SQL per dialect (tests and the statement count read it). */
  sql(dialect: DialectName): string;
}

/** Every hot statement declared so far, by name (tests read their SQL). */
const declared = new Map<string, Prepared<never, unknown>>();

/** The hot statements of the modules loaded so far, by name. */
export function hotStatements(): ReadonlyMap<string, Prepared<never, unknown>> {
  return declared;
}

/**
 * Declares a hot statement. `build` writes it with Kysely, taking every varying value from `p`
 * (its fields stand for the named arguments: pass them where a value goes, never into an
 * expression that inspects the value). Constant values in `build` are written into the SQL
 * (inlineConstants). `build` is told the dialect it compiles for, so a statement whose SQL
 * differs by dialect (row locks, JSON functions, DML in WITH) is still one declaration under one
 * name. Compiled lazily, once per dialect. `name` must be unique; on PostgreSQL it is the
 * prepared statement's name.
 */
export function prepared<A extends Record<string, unknown>, R = unknown>(
  name: string,
  build: (db: Kysely<Database>, p: A, dialect: DialectName) => Compilable<R>,
): Prepared<A, R> {
  const plans: Partial<Record<DialectName, { compiled: CompiledQuery<R>; slots: Slot[] }>> = {};
  const plan = (dialect: DialectName) => {
    let got = plans[dialect];
    if (!got) {
      const p = new Proxy({}, { get: (_t, key) => `${SLOT}${String(key)}` }) as A;
      const built = build(compiler(dialect), p, dialect).compile();
      const { sql: text, slots } = inlineConstants(built.sql, built.parameters, dialect);
      const compiled = { ...built, sql: text };
      if (dialect === 'postgres') names.set(compiled.sql, `otpgate_${name}`);
      plans[dialect] = got = { compiled, slots };
    }
    return got;
  };
  const statement: Prepared<A, R> = {
    run(db, args) {
      const { compiled, slots } = plan(dialectOf(db));
      const parameters = new Array<unknown>(slots.length);
      for (let i = 0; i < slots.length; i++) {
        const s = slots[i];
        // An absent optional field is SQL NULL, as Kysely would have left the column out.
        parameters[i] = 'arg' in s ? (args[s.arg] ?? null) : s.value;
      }
      return db.executeQuery<R>({ sql: compiled.sql, query: compiled.query, parameters, queryId: createQueryId() });
    },
    sql: (dialect) => plan(dialect).compiled.sql,
  };
  declared.set(name, statement as unknown as Prepared<never, unknown>);
  return statement;
}

type Slot = { arg: string } | { value: unknown };

/**
 * Writes the constant values of a compiled statement (the literals its `build` used, such as
 * status 'pending') into its SQL, leaving placeholders only for the named slots; returns the new
 * text and one slot per remaining placeholder, in order. Why: SQLite re-prepares a statement on
 * every run when a bound value meets a column that a partial index's WHERE names (the planner
 * must check the index applies): 49 against 16 µs for the accept path's pending lookup, which
 * verifications_due made pay it; PostgreSQL's generic plan of a named statement can use a
 * partial index only when the predicate is in the text. Strings, finite numbers and null are
 * inlined; any other constant stays bound. Placeholders inside quoted literals or identifiers
 * are left alone (none are placeholders).
 */
export function inlineConstants(text: string, parameters: readonly unknown[], dialect: DialectName): { sql: string; slots: Slot[] } {
  const slots: Slot[] = [];
  const literal = (v: unknown): string | undefined => {
    if (v === null) return 'null';
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    // A slot marker (it begins with NUL) stays a placeholder; so does a constant holding NUL,
    // which a SQL literal cannot carry.
    if (typeof v === 'string' && !v.includes('\u0000')) return `'${v.replaceAll("'", "''")}'`;
    return undefined;
  };
  let out = '';
  let next = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'" || c === '"') {
      // Copy a quoted literal or identifier whole (a doubled quote stays inside it).
      let j = i + 1;
      while (j < text.length && !(text[j] === c && text[j + 1] !== c)) j += text[j] === c ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j;
      continue;
    }
    let index: number | undefined;
    if (dialect === 'sqlite' && c === '?') index = next++;
    else if (dialect === 'postgres' && c === '$' && /[0-9]/.test(text[i + 1] ?? '')) {
      let j = i + 1;
      while (/[0-9]/.test(text[j] ?? '')) j++;
      index = Number(text.slice(i + 1, j)) - 1;
      i = j - 1;
    }
    if (index === undefined) {
      out += c;
      continue;
    }
    const v = parameters[index];
    const lit = literal(v);
    if (lit !== undefined) out += lit;
    else {
      slots.push(typeof v === 'string' && v.startsWith(SLOT) ? { arg: v.slice(SLOT.length) } : { value: v });
      out += dialect === 'sqlite' ? '?' : `$${slots.length}`;
    }
  }
  return { sql: out, slots };
}

/** The dialect a Kysely instance or transaction speaks, from its adapter (no dialect to thread through callers). */
export function dialectOf(db: Runner): DialectName {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/**
 * The values of a JSON array parameter (`json`: JSON.stringify of strings or integers) as a
 * one-column subquery, for `where(col, 'in', …)`: one statement text for any number of values,
 * where an IN list is a new SQL text (and a new prepare) per count. `bigint` casts each value
 * for an integer column on PostgreSQL (SQLite's json_each gives integers as they are).
 */
export function jsonValues(json: unknown, dialect: DialectName, type: 'text' | 'bigint' = 'text'): RawBuilder<never> {
  if (dialect === 'sqlite') return sql<never>`(select value from json_each(${json}))`;
  return type === 'bigint' ? sql<never>`(select cast(json_array_elements_text(cast(${json} as json)) as bigint))` : sql<never>`(select json_array_elements_text(cast(${json} as json)))`;
}

/** Rows an UPDATE, INSERT or DELETE changed, as a number. */
export function affected(r: { numAffectedRows?: bigint }): number {
  return Number(r.numAffectedRows ?? 0);
}
