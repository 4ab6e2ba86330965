// Time-ordered ids: random (v4) keys scatter B-tree inserts and cost ~4x on insert-heavy
// tables. 32 hex without dashes is also the request id format Bitel clients expect.

import { uuidv7 } from 'uuidv7';

export function newId(): string {
  return uuidv7().replace(/-/g, '');
}

// Any 32 lowercase hex is accepted, not only v7: ids that clients supply in the Bitel
// format share this shape and must pass the same check.
export function isId(x: string): boolean {
  return typeof x === 'string' && /^[0-9a-f]{32}$/.test(x);
}

/** The creation time a v7 id carries in its first 48 bits. */
export function idTime(id: string): Date | undefined {
  if (!isId(id) || id[12] !== '7') return undefined;
  return new Date(parseInt(id.slice(0, 12), 16));
}
