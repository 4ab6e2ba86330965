/**
 * What holds a process's event loop (issue 13's latency goal): every garbage collection pause of
 * at least LOOP_STALLS_GC_MS (default 8) and every time a 5 ms interval timer fires more than
 * LOOP_STALLS_LATE_MS (default 25) late, appended as they happen to
 * <LOOP_STALLS_DIR>/loop-stalls-<pid>.txt, one line each:
 *
 *   gc <kind> <ms> <epoch ms>      kind as perf_hooks names it: minor, major, incremental, weakcb
 *   late <ms> <epoch ms>           the loop ran something else for about that long
 *
 * Load it into the servers a bench starts (NODE_OPTIONS passes it on to them), e.g.
 *
 *   LOOP_STALLS_DIR=/tmp/stalls NODE_OPTIONS="--import $PWD/bench/loop-stalls.mjs" npm run bench:accept
 *
 * and read a server's file beside the latencies of its paced run: a "late" line with no "gc"
 * line at the same time is the application's own work (a CPU profile, BENCH_PROFILE_DIR, shows
 * which). Every node process that loads it writes a file once it has something to say.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PerformanceObserver, constants, performance } from 'node:perf_hooks';

const dir = process.env.LOOP_STALLS_DIR ?? '/tmp';
const gcMs = Number(process.env.LOOP_STALLS_GC_MS ?? 8);
const lateMs = Number(process.env.LOOP_STALLS_LATE_MS ?? 25);
const file = join(dir, `loop-stalls-${process.pid}.txt`);
const kinds = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};
let made = false;
const write = (line) => {
  if (!made) mkdirSync(dir, { recursive: true });
  made = true;
  appendFileSync(file, `${line}\n`);
};

new PerformanceObserver((list) => {
  for (const e of list.getEntries())
    if (e.duration >= gcMs) write(`gc ${kinds[e.detail?.kind] ?? e.detail?.kind} ${e.duration.toFixed(1)} ${(performance.timeOrigin + e.startTime).toFixed(0)}`);
}).observe({ entryTypes: ['gc'] });

const TICK_MS = 5;
let last = performance.now();
setInterval(() => {
  const now = performance.now();
  const late = now - last - TICK_MS;
  if (late > lateMs) write(`late ${late.toFixed(0)} ${(performance.timeOrigin + now).toFixed(0)}`);
  last = now;
}, TICK_MS).unref();
