#!/usr/bin/env node
/**
 * npm test's PostgreSQL half: runs the whole suite again with OTPGATE_TEST_DB=postgres when the
 * test server (OTPGATE_TEST_PG_URL, default postgres://postgres@127.0.0.1:5432/test) answers.
 * When it does not: on CI (CI set) this fails — the suite must run on both dialects there — and on
 * a developer's machine it says loudly that only SQLite ran and how to start PostgreSQL, exit 0.
 * Test files are passed through: `node bin/test-postgres.mjs test/store/*.test.ts`.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

const url = process.env.OTPGATE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function reachable() {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch (err) {
    return err;
  } finally {
    await client.end().catch(() => {});
  }
}

function testFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...testFiles(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

const ok = await reachable();
if (ok !== true) {
  const why = ok instanceof Error ? ok.message : String(ok);
  const start = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start";
  if (process.env.CI) {
    console.error(`PostgreSQL at ${url} is not reachable (${why}): CI runs the suite on both dialects, so this fails. Start it: ${start}`);
    process.exit(1);
  }
  console.error(`\n*** PostgreSQL at ${url} is not reachable (${why}).\n*** Only the SQLite half of the suite ran. Start PostgreSQL (${start}) or set OTPGATE_TEST_PG_URL, then: npm run test:postgres\n`);
  process.exit(0);
}
const files = process.argv.length > 2 ? process.argv.slice(2) : testFiles('test');
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], {
  stdio: 'inherit',
  env: { ...process.env, OTPGATE_TEST_DB: 'postgres' },
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
