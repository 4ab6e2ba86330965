/**
 * CPU time per SQL statement of every process that loads it (issue 13's per-statement figures):
 *
 *   SQL_CPU_DIR=/tmp/sqlcpu NODE_OPTIONS="--import $PWD/bench/sql-cpu.mjs" BENCH_N=10000 BENCH_PG=0 npm run bench:e2e
 *
 * Wraps better-sqlite3's Statement run/get/all/iterate and charges each run the process's CPU
 * time (user + system, from process.cpuUsage: a busy machine does not inflate it as it does
 * wall-clock time; OTPGATE_SQL_STATS times by the clock). At exit each process that ran at least
 * a few statements writes <SQL_CPU_DIR>/sql-cpu-<pid>.txt: per SQL text, total ms, runs, µs per
 * run, rows returned and runs that returned none, heaviest first. SQLite only.
 */
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.SQL_CPU_DIR ?? '/tmp';
const Database = createRequire(import.meta.url)('better-sqlite3');
const probe = new Database(':memory:');
const proto = Object.getPrototypeOf(probe.prepare('select 1'));
probe.close();

/** SQL text → { runs, us (CPU µs), rows, empty } */
const stats = new Map();
for (const method of ['run', 'get', 'all', 'iterate']) {
  const original = proto[method];
  proto[method] = function (...args) {
    const t0 = process.cpuUsage();
    let out;
    try {
      return (out = original.apply(this, args));
    } finally {
      const dt = process.cpuUsage(t0);
      let s = stats.get(this.source);
      if (!s) stats.set(this.source, (s = { runs: 0, us: 0, rows: 0, empty: 0 }));
      s.runs++;
      s.us += dt.user + dt.system;
      if (Array.isArray(out)) {
        s.rows += out.length;
        if (out.length === 0) s.empty++;
      }
    }
  };
}

process.on('exit', () => {
  if (stats.size < 5) return; // a process that only probed (the bench's own counting)
  const rows = [...stats].sort((a, b) => b[1].us - a[1].us);
  const total = rows.reduce((sum, [, s]) => sum + s.us, 0);
  const line = ([sql, s]) =>
    `${(s.us / 1000).toFixed(0).padStart(7)} ms ${String(s.runs).padStart(7)}× ${(s.us / s.runs).toFixed(1).padStart(7)} µs  rows ${s.rows} empty ${s.empty}  ${sql.replace(/\s+/g, ' ')}`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `sql-cpu-${process.pid}.txt`), `total ${(total / 1000).toFixed(0)} ms CPU in statements\n${rows.map(line).join('\n')}\n`);
});
