import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { DevInboxProvider, type DevInboxConfig } from '../../src/providers/devinbox.ts';
import { ProviderConfigError, type OutboundMessage, type Receipt } from '../../src/providers/types.ts';
import { EventHub } from '../../src/store/events.ts';
import { InboxStore } from '../../src/store/inbox.ts';
import { migrate } from '../../src/store/migrations.ts';
import { openDatabase, type OpenDb } from '../../src/store/dialect.ts';
import { testDatabase } from '../helpers/db.ts';

let n = 0;
function msg(over: Partial<OutboundMessage> = {}): OutboundMessage {
  const id = (++n).toString(16).padStart(32, '0');
  return { id, to: '+989121110001', channel: 'voice', text: 'کد تأیید شما 1 2 3 4 است.', code: '1234', encoding: 'ucs2', segments: 1, locale: 'fa', attempt: 1, ...over };
}

describe('dev inbox provider: simulated call outcomes', () => {
  let store: OpenDb;
  let inbox: InboxStore;
  before(async () => {
    store = await openDatabase((await testDatabase()).url);
    await migrate(store.db, store.dialect);
    inbox = new InboxStore(store.db, new EventHub());
  });
  after(() => store.close());

  /** A started provider and the receipt each send reports. */
  async function provider(config: DevInboxConfig) {
    const receipts: Receipt[] = [];
    const p = new DevInboxProvider('devinbox', config, inbox);
    await p.start({ onReceipt: (r) => receipts.push(r), log: pino({ level: 'silent' }) });
    return {
      async send(m: OutboundMessage): Promise<Receipt> {
        const before = receipts.length;
        const { providerMessageId } = await p.send(m);
        for (let i = 0; i < 100 && receipts.length === before; i++) await new Promise((r) => setImmediate(r));
        assert.equal(receipts.length, before + 1, 'one receipt per send');
        assert.equal(receipts[before].providerMessageId, providerMessageId);
        return receipts[before];
      },
    };
  }

  test('calls to no_answer_numbers / busy_numbers report no_answer / busy; SMS to them and other calls are delivered', async () => {
    const p = await provider({ no_answer_numbers: ['+989121110001'], busy_numbers: ['989121110002'] });
    const cases: Array<[Partial<OutboundMessage>, string, number | undefined]> = [
      [{ to: '+989121110001' }, 'no_answer', undefined],
      [{ to: '+989121110002' }, 'busy', undefined],
      [{ to: '+989121110003' }, 'delivered', 12],
      [{ to: '+989121110001', channel: 'sms' }, 'delivered', undefined],
    ];
    for (const [over, outcome, billSec] of cases) {
      const r = await p.send(msg(over));
      assert.deepEqual([r.outcome, r.billSec, r.errorCode], [outcome, billSec, undefined], JSON.stringify(over));
    }
  });

  test('unanswered_dials: the listed numbers pick up on the dial after; each dial is its own inbox record, a resent dial is not', async () => {
    const p = await provider({ no_answer_numbers: ['+989121110001'], unanswered_dials: 2 });
    const m = msg();
    const outcomes = [];
    for (const dial of [1, 2, 3]) outcomes.push((await p.send({ ...m, dial })).outcome);
    assert.deepEqual(outcomes, ['no_answer', 'no_answer', 'delivered']);
    const resent = await p.send({ ...m, dial: 3, attempt: 9 });
    assert.equal(resent.outcome, 'delivered');
    const records = (await inbox.list(100)).filter((e) => e.message_id === m.id);
    assert.equal(records.length, 3, 'three dials, three calls in the inbox');
  });

  test('bad config values are refused in the constructor, naming the key', () => {
    const bad: Array<[DevInboxConfig, string]> = [
      [{ no_answer_numbers: '+989121110001' as unknown as string[] }, 'no_answer_numbers'],
      [{ busy_numbers: ['0912 111 0001'] }, 'busy_numbers'],
      [{ busy_numbers: [42 as unknown as string] }, 'busy_numbers'],
      [{ undelivered_numbers: ['abc'] }, 'undelivered_numbers'],
      [{ no_answer_numbers: ['+989121110001'], busy_numbers: ['989121110001'] }, 'busy_numbers'],
      [{ unanswered_dials: 0 }, 'unanswered_dials'],
      [{ unanswered_dials: 1.5 }, 'unanswered_dials'],
      [{ delivery_delay_ms: -1 }, 'delivery_delay_ms'],
    ];
    for (const [config, key] of bad)
      assert.throws(
        () => new DevInboxProvider('devinbox', config, inbox),
        (e: unknown) => e instanceof ProviderConfigError && e.field === key,
        JSON.stringify(config),
      );
    assert.doesNotThrow(() => new DevInboxProvider('devinbox', { no_answer_numbers: ['+989121110001', '989121110001'], unanswered_dials: 1 }, inbox));
  });
});
