#!/usr/bin/env node
// The bundle bin/build.mjs made, when it is at least as new as the sources; otherwise the
// TypeScript sources directly through tsx, so an edit takes effect without a build step.
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { BUNDLE, ENTRY, bundleIsFresh } from './bundle-paths.mjs';

/**
 * `start` keeps V8's young generation at its initial size until the gateway listens: the
 * start-up's long-lived objects would otherwise grow it to 32 MB kept for good (src/cli/heap.ts;
 * the server gives the growth back once it listens). Called right before the program loads.
 */
function holdYoungGeneration() {
  if (process.argv[2] === 'start') setFlagsFromString('--semi-space-growth-factor=1');
}

if (bundleIsFresh()) {
  process.setSourceMapsEnabled(true); // stack traces name src/ files, not bundle lines
  holdYoungGeneration();
  await import(pathToFileURL(BUNDLE).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  // After register(): starting its loader thread puts V8's flags back to their defaults.
  holdYoungGeneration();
  await import(pathToFileURL(ENTRY).href);
}
