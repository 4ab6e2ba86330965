/** The webhook event filter (src/core/webhook-events.ts): names, wildcards and message.final. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkWebhookEvents, wantsEvent, WEBHOOK_EVENT_NAMES } from '../../src/core/webhook-events.ts';
import { FINAL_MESSAGE_STATUSES, MESSAGE_STATUSES, VERIFICATION_STATUSES } from '../../src/core/status.ts';

test('no filter wants every change; * and kind.* want every change of their kind', () => {
  for (const s of MESSAGE_STATUSES) {
    assert.equal(wantsEvent(null, 'message', s), true);
    assert.equal(wantsEvent(['*'], 'message', s), true);
    assert.equal(wantsEvent(['message.*'], 'message', s), true);
    assert.equal(wantsEvent(['verification.*'], 'message', s), false);
  }
  for (const s of VERIFICATION_STATUSES) {
    assert.equal(wantsEvent(['verification.*'], 'verification', s), true);
    assert.equal(wantsEvent(['message.*', 'message.final'], 'verification', s), false);
  }
});

test('message.final is exactly the final message statuses; a status name wants only itself', () => {
  for (const s of MESSAGE_STATUSES) assert.equal(wantsEvent(['message.final'], 'message', s), FINAL_MESSAGE_STATUSES.includes(s), s);
  assert.equal(wantsEvent(['message.final'], 'verification', 'expired'), false, 'a verification expiring is not a message.final');
  assert.equal(wantsEvent(['message.delivered', 'verification.approved'], 'message', 'delivered'), true);
  assert.equal(wantsEvent(['message.delivered', 'verification.approved'], 'message', 'sent'), false);
  assert.equal(wantsEvent(['message.delivered', 'verification.approved'], 'verification', 'approved'), true);
  assert.equal(wantsEvent(['message.approved'], 'verification', 'approved'), false);
});

test('checkWebhookEvents refuses an empty list and unknown names, naming the entry; every listed name passes', () => {
  assert.doesNotThrow(() => checkWebhookEvents(WEBHOOK_EVENT_NAMES));
  assert.throws(() => checkWebhookEvents([]), /events is empty/);
  for (const bad of ['message', 'message.dlivered', 'verification.final', 'MESSAGE.SENT', ' *', 'abuse.block'])
    assert.throws(() => checkWebhookEvents(['message.sent', bad]), new RegExp(`"${bad.replace(/[.*]/g, '\\$&')}" is not an event`));
});
