/**
 * Idle RSS (issue 13, goal "Idle": ≤ 100 MB): `node bin/otpgate.mjs start` — what `npm start`
 * runs after its build — on a fresh data dir with the default config (the embedded SQLite
 * instance with its dev account), measured from /proc once /readyz answers and the process has
 * sat idle for IDLE_SETTLE_MS. Run alone (`node --import tsx bench/idle.ts`) or by bench:e2e.
 * Prints the median of BENCH_IDLE_RUNS starts (default 3), in MB.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startOtpgate } from './servers.ts';

const IDLE_SETTLE_MS = 2_000;
export const IDLE_GOAL_MB = 100;

/** Current resident set (VmRSS) of a live process, in MB; NaN when /proc has no such process. */
function rssMb(pid: number | undefined): number {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Median idle RSS (MB) of `runs` fresh starts; each server is stopped before the next starts. */
export async function idleRssMb(runs = Number(process.env.BENCH_IDLE_RUNS ?? 3)): Promise<number> {
  const seen: number[] = [];
  for (let i = 0; i < runs; i++) {
    // Log level warn, as the other benches: the figure is the process's, not its log volume's.
    const og = await startOtpgate({}, 'warn');
    try {
      await new Promise((r) => setTimeout(r, IDLE_SETTLE_MS));
      seen.push(rssMb(og.child.pid));
    } finally {
      await og.stop();
    }
  }
  seen.sort((a, b) => a - b);
  return seen[Math.floor(seen.length / 2)]!;
}

/** The goal line, as bench:e2e prints its others. */
export function idleLine(mb: number): string {
  return `${'idle RSS after start (median of starts)'.padEnd(44)} ${mb.toFixed(0).padStart(8)} MB  goal ≤ ${IDLE_GOAL_MB} MB  ${mb <= IDLE_GOAL_MB ? 'met' : 'NOT MET'}`;
}

if (import.meta.filename === process.argv[1]) {
  // What `npm start` runs: the bundle, built first (a stale one would run the sources through tsx).
  spawnSync(process.execPath, [join(import.meta.dirname, '..', 'bin', 'build.mjs')], { stdio: 'inherit' });
  console.log(idleLine(await idleRssMb()));
}
