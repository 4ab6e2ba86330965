import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatMicros, priceFor, type PriceRule } from '../../src/core/pricing.ts';

const rules: PriceRule[] = [
  { prefix: '', channel: 'sms', price: 50_000 },
  { prefix: '977', channel: 'sms', price: 20_000 },
  { prefix: '98', channel: 'sms', price: 10_000 },
  { prefix: '98912', channel: 'sms', price: 8_000 },
  { prefix: '9891', channel: 'sms', price: 9_000 },
  { prefix: '977', channel: 'voice', price: 300_000 },
];

test('longest matching prefix wins, regardless of rule order', () => {
  assert.equal(priceFor(rules, '+989121234567', 'sms', 1), 8_000);
  assert.equal(priceFor(rules, '+989191234567', 'sms', 1), 9_000);
  assert.equal(priceFor(rules, '+989351234567', 'sms', 1), 10_000);
  assert.equal(priceFor([...rules].reverse(), '+989121234567', 'sms', 1), 8_000);
  assert.equal(priceFor(rules, '+9779851023212', 'sms', 1), 20_000);
  assert.equal(priceFor(rules, '+447400123456', 'sms', 1), 50_000, 'default rule');
  assert.equal(priceFor(rules, '9779851023212', 'sms', 1), 20_000, 'without +');
});

test('sms is priced per segment, voice per call', () => {
  assert.equal(priceFor(rules, '+9779851023212', 'sms', 3), 60_000);
  assert.equal(priceFor(rules, '+9779851023212', 'voice', 3), 300_000);
});

test('no matching rule for the channel is undefined', () => {
  assert.equal(priceFor(rules, '+989121234567', 'voice', 1), undefined);
  assert.equal(priceFor([], '+9779851023212', 'sms', 1), undefined);
  assert.equal(priceFor([{ prefix: '1', channel: 'sms', price: 1 }], '+447400123456', 'sms', 1), undefined);
});

test('a zero price is a price, not a miss', () => {
  assert.equal(priceFor([{ prefix: '977', channel: 'sms', price: 0 }], '+9779851023212', 'sms', 2), 0);
});

test('formatMicros', () => {
  assert.equal(formatMicros(1_250_000), '1.250000');
  assert.equal(formatMicros(0), '0.000000');
  assert.equal(formatMicros(5), '0.000005');
  assert.equal(formatMicros(-1_250_000), '-1.250000');
  assert.equal(formatMicros(1_250_000, 2), '1.25');
  assert.equal(formatMicros(1_255_000, 2), '1.26', 'half rounds up');
  assert.equal(formatMicros(1_254_999, 2), '1.25');
  assert.equal(formatMicros(-1_255_000, 2), '-1.26');
  assert.equal(formatMicros(999_999, 0), '1');
  assert.equal(formatMicros(-4, 2), '0.00', 'no negative zero');
  assert.equal(formatMicros(1_000_000, 8), '1.00000000');
  assert.equal(formatMicros(123_456_789_000_000), '123456789.000000');
  assert.throws(() => formatMicros(NaN), RangeError);
  assert.throws(() => formatMicros(1, -1), RangeError);
});
