/**
 * oldGenerationGrowsByHalf() (bin/heap-flags.mjs, set by `otpgate start`) keeps the old
 * generation near what survives: a program that holds 30 MB and promotes garbage through a ring
 * buffer grows its old space far less than under V8's own growth factor.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const FLAGS = pathToFileURL(join(import.meta.dirname, '..', '..', 'bin', 'heap-flags.mjs')).href;

/** The largest old space (MB) the churn reached, with or without oldGenerationGrowsByHalf(). */
function maxOldSpaceMb(byHalf: boolean): number {
  const program = `
    import v8 from 'node:v8';
    import { oldGenerationGrowsByHalf } from ${JSON.stringify(FLAGS)};
    if (${byHalf}) oldGenerationGrowsByHalf();
    const live = Array.from({ length: 300_000 }, (_, i) => ({ i, s: 'x' + i, a: [i, i + 1] }));
    const ring = new Array(200_000);
    let max = 0;
    for (let k = 0; k < 3_000_000; k++) {
      ring[k % ring.length] = { k, s: 'y' + k, a: [k] };
      if (k % 10_000 === 0) max = Math.max(max, v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space').space_size);
    }
    console.log(live.length && max >> 20);`;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', program], { encoding: 'utf8' }).trim());
}

test('the old generation grows by half of what survives, not by V8’s dynamic factor', () => {
  const own = maxOldSpaceMb(false);
  const byHalf = maxOldSpaceMb(true);
  assert.ok(byHalf < 0.6 * own, `old space ${byHalf} MB growing by half against ${own} MB by V8's factor`);
});
