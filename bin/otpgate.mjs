#!/usr/bin/env node
// The bundle bin/build.mjs made, when it is at least as new as the sources; otherwise the
// TypeScript sources directly through tsx, so an edit takes effect without a build step.
import { pathToFileURL } from 'node:url';
import { BUNDLE, ENTRY, bundleIsFresh } from './bundle-paths.mjs';
import { holdYoungGeneration, oldGenerationGrowsByHalf } from './heap-flags.mjs';

/** `start`'s heap flags (bin/heap-flags.mjs, src/cli/heap.ts). Called right before the program loads. */
function startHeap() {
  if (process.argv[2] !== 'start') return;
  holdYoungGeneration();
  oldGenerationGrowsByHalf();
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
