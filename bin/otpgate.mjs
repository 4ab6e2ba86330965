#!/usr/bin/env node
// The bundle bin/build.mjs made, when it is at least as new as the sources; otherwise the
// TypeScript sources directly through tsx, so an edit takes effect without a build step.
import { pathToFileURL } from 'node:url';
import { BUNDLE, ENTRY, bundleIsFresh } from './bundle-paths.mjs';

if (bundleIsFresh()) {
  process.setSourceMapsEnabled(true); // stack traces name src/ files, not bundle lines
  await import(pathToFileURL(BUNDLE).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(ENTRY).href);
}
