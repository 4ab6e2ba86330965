// V8's heap flags of `otpgate start`, set by bin/otpgate.mjs right before the program loads.
// src/cli/heap.ts says why for both, and gives the young generation's growth back once the
// server listens.
import { setFlagsFromString } from 'node:v8';

/** The old generation's growth between full GCs, in percent of what the last one left alive. */
export const OLD_GENERATION_GROWTH_PERCENT = 50;

/** The young generation stays at its initial size through start-up (growth factor 1). */
export function holdYoungGeneration() {
  setFlagsFromString('--semi-space-growth-factor=1');
}

/**
 * The old generation grows by OLD_GENERATION_GROWTH_PERCENT of what each full GC left alive,
 * not by V8's dynamic factor (up to 4). Set from the first line: the limit a full GC sets holds
 * until the next, so one set during start-up by V8's own factor would let the first load fill the
 * old generation to twice that. V8 reads the flag at each GC, so setting it at run time works.
 */
export function oldGenerationGrowsByHalf() {
  setFlagsFromString(`--heap-growing-percent=${OLD_GENERATION_GROWTH_PERCENT}`);
}
