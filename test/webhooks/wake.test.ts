// The delivery worker wakes on committed events that may have queued an outbox row, and only on
// those: with the filter message.final, a wake per status change made half its claims empty.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mayHaveQueued } from '../../src/webhooks/outbox.ts';
import type { StoreEvent } from '../../src/store/events.ts';

const status = (s: string): StoreEvent => ({ type: 'message.status', messageId: 'm1', accountId: 'a1', verificationId: null, status: s, at: 1 });
const created: StoreEvent = { type: 'message.created', messageId: 'm1', accountId: 'a1' };
const verification: StoreEvent = { type: 'verification.status', verificationId: 'v1', accountId: 'a1', status: 'approved', at: 1 };

test('mayHaveQueued: unknown settings wake, no webhook never does, and the filter decides as the outbox does', () => {
  for (const e of [created, status('sent'), verification]) {
    assert.equal(mayHaveQueued(e, undefined), true, `${e.type}: settings not cached`);
    assert.equal(mayHaveQueued(e, null), false, `${e.type}: no webhook`);
    assert.equal(mayHaveQueued(e, { events: null }), true, `${e.type}: every change`);
  }
  const final = { events: ['message.final'] };
  assert.deepEqual([created, status('sending'), status('sent'), status('delivered'), status('undelivered'), verification].map((e) => mayHaveQueued(e, final)), [false, false, false, true, true, false]);
  const approvals = { events: ['verification.approved'] };
  assert.deepEqual([status('delivered'), verification].map((e) => mayHaveQueued(e, approvals)), [false, true]);
  assert.equal(mayHaveQueued({ type: 'inbox.cleared' }, undefined), false, 'not a status change');
});
