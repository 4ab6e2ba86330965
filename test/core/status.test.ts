import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FINAL_MESSAGE_STATUSES,
  MESSAGE_STATUSES,
  VERIFICATION_STATUSES,
  canMessageTransition,
  canVerificationTransition,
  isFinalMessageStatus,
  isFinalVerificationStatus,
  isMessageStatus,
  type MessageStatus,
} from '../../src/core/status.ts';

const ALLOWED: Record<MessageStatus, MessageStatus[]> = {
  queued: ['sending', 'expired', 'canceled', 'failed'],
  sending: ['sent', 'queued', 'failed', 'expired', 'delivered', 'undelivered'],
  sent: ['delivered', 'undelivered', 'failed', 'expired', 'queued'],
  delivered: [],
  undelivered: ['delivered'],
  failed: [],
  expired: [],
  canceled: [],
};

test('message transitions: the full matrix', () => {
  for (const from of MESSAGE_STATUSES) {
    for (const to of MESSAGE_STATUSES) {
      assert.equal(canMessageTransition(from, to), ALLOWED[from].includes(to), `${from} -> ${to}`);
    }
  }
});

test('key message transitions', () => {
  assert.equal(canMessageTransition('sending', 'delivered'), true, 'receipt before submit response');
  assert.equal(canMessageTransition('sending', 'queued'), true, 'retry');
  assert.equal(canMessageTransition('sent', 'queued'), true, 're-dial of an unanswered call');
  assert.equal(canMessageTransition('undelivered', 'delivered'), true, 'late DELIVRD');
  assert.equal(canMessageTransition('delivered', 'undelivered'), false);
  assert.equal(canMessageTransition('queued', 'sent'), false);
  assert.equal(canMessageTransition('queued', 'queued'), false);
  assert.equal(canMessageTransition('canceled', 'sending'), false);
  assert.equal(canMessageTransition('toString' as MessageStatus, 'sent'), false);
});

test('final message statuses', () => {
  assert.deepEqual([...FINAL_MESSAGE_STATUSES].sort(), ['canceled', 'delivered', 'expired', 'failed', 'undelivered']);
  for (const s of MESSAGE_STATUSES) {
    assert.equal(isFinalMessageStatus(s), ['delivered', 'undelivered', 'failed', 'expired', 'canceled'].includes(s), s);
  }
  assert.equal(isFinalMessageStatus('nope'), false);
  assert.equal(isMessageStatus('sent'), true);
  assert.equal(isMessageStatus('approved'), false);
});

test('verification transitions: only pending moves', () => {
  assert.equal(VERIFICATION_STATUSES.length, 6);
  for (const from of VERIFICATION_STATUSES) {
    for (const to of VERIFICATION_STATUSES) {
      assert.equal(canVerificationTransition(from, to), from === 'pending' && to !== 'pending', `${from} -> ${to}`);
    }
  }
  assert.equal(isFinalVerificationStatus('pending'), false);
  assert.equal(isFinalVerificationStatus('approved'), true);
  assert.equal(isFinalVerificationStatus('bogus'), false);
});
