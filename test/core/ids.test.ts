import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idTime, isId, newId } from '../../src/core/ids.ts';

test('ids are 32 lowercase hex, version 7, unique', () => {
  const ids = Array.from({ length: 1000 }, newId);
  for (const id of ids) {
    assert.match(id, /^[0-9a-f]{32}$/);
    assert.equal(id[12], '7', 'uuid version nibble');
    assert.ok('89ab'.includes(id[16]), 'uuid variant');
  }
  assert.equal(new Set(ids).size, ids.length);
});

test('ids are time-ordered', () => {
  const ids = Array.from({ length: 1000 }, newId);
  assert.deepEqual([...ids].sort(), ids);
  const before = Date.now();
  const t = idTime(newId())!.getTime();
  assert.ok(t >= before - 1 && t <= Date.now() + 1, String(t));
});

test('isId', () => {
  assert.equal(isId(newId()), true);
  assert.equal(isId('0123456789abcdef0123456789abcdef'), true);
  for (const x of ['', newId().toUpperCase(), newId().slice(1), newId() + '0', '01890a5d-ac96-774b-bcce-b302099a8057', 'g'.repeat(32)]) {
    assert.equal(isId(x), false, x);
  }
  assert.equal(idTime('0123456789abcdef0123456789abcdef'), undefined, 'not a v7 id');
});
