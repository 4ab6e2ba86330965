#!/usr/bin/env node
// The bundle bin/build.mjs made, when it is at least as new as the sources; otherwise the
// TypeScript sources directly through tsx, so an edit takes effect without a build step.
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { BUNDLE, ENTRY, bundleIsFresh } from './bundle-paths.mjs';

/**
 * `start` keeps V8's young generation at its initial size until the gateway listens: the
 * start-up's long-lived objects would otherwise grow it to 32 MB kept for good. It also lets the
 * old generation grow by only half of what a full GC left alive, from the first GC on: the limit
 * each full GC sets holds until the next, so one set by V8's own factor during start-up would let
 * the first load fill the old generation to twice that. src/cli/heap.ts says why for both;
 * its heapForServing() sets the same percent (test/cli/heap.test.ts checks they agree) and the
 * young generation's growth back once the server listens. Called right before the program loads.
 */
const OLD_GENERATION_GROWTH_PERCENT = 50;
function startHeap() {
  if (process.argv[2] !== 'start') return;
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString(`--heap-growing-percent=${OLD_GENERATION_GROWTH_PERCENT}`);
}

if (bundleIsFresh()) {
  process.setSourceMapsEnabled(true); // stack traces name src/ files, not bundle lines
  startHeap();
  await import(pathToFileURL(BUNDLE).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  // After register(): starting its loader thread puts V8's flags back to their defaults.
  startHeap();
  await import(pathToFileURL(ENTRY).href);
}
