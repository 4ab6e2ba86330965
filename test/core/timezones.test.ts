import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultUtcOffsetMinutes } from '../../src/core/timezones.ts';

test('single-zone regions get their fixed offset, any case; the rest UTC', () => {
  assert.equal(defaultUtcOffsetMinutes('NP'), 345);
  assert.equal(defaultUtcOffsetMinutes('ir'), 210);
  assert.equal(defaultUtcOffsetMinutes('IN'), 330);
  assert.equal(defaultUtcOffsetMinutes('US'), 0);
  assert.equal(defaultUtcOffsetMinutes('RU'), 0);
  assert.equal(defaultUtcOffsetMinutes(''), 0);
});
