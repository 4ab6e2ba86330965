/**
 * heapForServing() (src/cli/heap.ts) keeps the old generation near what survives: a program that
 * holds 30 MB and promotes garbage through a ring buffer (as requests waiting on a commit or a
 * submit_sm_resp do) grows its old space far less than under V8's own growth factor.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { OLD_GENERATION_GROWTH_PERCENT } from '../../src/cli/heap.ts';

const HEAP = pathToFileURL(join(import.meta.dirname, '..', '..', 'src', 'cli', 'heap.ts')).href;

/** The largest old space (MB) the churn reached, with or without heapForServing(). */
function maxOldSpaceMb(serving: boolean): number {
  const program = `
    import v8 from 'node:v8';
    import { heapForServing } from ${JSON.stringify(HEAP)};
    if (${serving}) heapForServing();
    const live = Array.from({ length: 300_000 }, (_, i) => ({ i, s: 'x' + i, a: [i, i + 1] }));
    const ring = new Array(200_000);
    let max = 0;
    for (let k = 0; k < 3_000_000; k++) {
      ring[k % ring.length] = { k, s: 'y' + k, a: [k] };
      if (k % 10_000 === 0) max = Math.max(max, v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space').space_size);
    }
    console.log(live.length && max >> 20);`;
  return Number(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], { encoding: 'utf8' }).trim());
}

test('the old generation grows by half of what survives, not by V8’s dynamic factor', () => {
  const own = maxOldSpaceMb(false);
  const serving = maxOldSpaceMb(true);
  assert.ok(serving < 0.6 * own, `old space ${serving} MB with heapForServing() against ${own} MB without`);
});

test('bin/otpgate.mjs sets the same growth from the start of `otpgate start`', () => {
  const bin = readFileSync(join(import.meta.dirname, '..', '..', 'bin', 'otpgate.mjs'), 'utf8');
  assert.equal(/const OLD_GENERATION_GROWTH_PERCENT = (\d+);/.exec(bin)?.[1], String(OLD_GENERATION_GROWTH_PERCENT));
  assert.match(bin, /--heap-growing-percent=\$\{OLD_GENERATION_GROWTH_PERCENT\}/);
});
