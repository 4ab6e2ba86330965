// Where bin/build.mjs writes the bundle, and whether it is newer than every source it came from.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
export const ENTRY = join(root, 'src', 'cli.ts');
export const BUNDLE = join(root, 'node_modules', '.cache', 'otpgate', 'cli.mjs');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

export function bundleIsFresh() {
  try {
    const built = statSync(BUNDLE).mtimeMs;
    return built >= newest(join(root, 'src')) && built >= newest(join(root, 'tools'));
  } catch {
    return false;
  }
}
