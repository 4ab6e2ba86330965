import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { EventHub } from '../../src/store/events.ts';
import { migrate } from '../../src/store/migrations.ts';
import { openDatabase, type OpenDb } from '../../src/store/dialect.ts';
import { GroupWriter, type Job } from '../../src/store/writer.ts';
import { testDatabase } from '../helpers/db.ts';

describe('group writer: time slices', () => {
  let store: OpenDb;
  before(async () => {
    store = await openDatabase((await testDatabase()).url);
    await migrate(store.db, store.dialect);
  });
  after(() => store.close());

  /** Queues `n` jobs at once, each reading 1 and logging its turn; a setImmediate is queued beside them. */
  async function run(writer: GroupWriter, n: number, fail?: number) {
    const order: string[] = [];
    const job = (i: number): Job<number> => async ({ trx }) => {
      await sql`select 1`.execute(trx);
      order.push(`job ${i}`);
      if (i === fail) throw new Error(`job ${i} fails`);
      return i;
    };
    const results = Array.from({ length: n }, (_, i) => writer.run(job(i)));
    setImmediate(() => order.push('other work'));
    return { settled: await Promise.allSettled(results), order };
  }

  test('a slice stops taking jobs when its time is up, and other work runs before the next batch', async () => {
    // A slice of 0 ms: every batch ends after its first job.
    const writer = new GroupWriter(store.db, new EventHub(), 512, 1, store.dialect, 0);
    const { settled, order } = await run(writer, 5);
    assert.deepEqual(settled.map((s) => (s.status === 'fulfilled' ? s.value : s.reason)), [0, 1, 2, 3, 4], 'each job gets its own result, in order');
    assert.equal(writer.stats.batches, 5);
    assert.equal(writer.stats.jobs, 5);
    assert.ok(order.indexOf('other work') < order.indexOf('job 4'), `the event loop turned between batches: ${order.join(', ')}`);
  });

  test('without a slice, what is queued commits as one batch', async () => {
    // null, not undefined: an explicit undefined took the default, a 4 ms slice on SQLite, and
    // the batch split whenever five jobs took longer than that (a loaded machine, a GC pause).
    const writer = new GroupWriter(store.db, new EventHub(), 512, 1, store.dialect, null);
    const { settled } = await run(writer, 5);
    assert.deepEqual(settled.map((s) => s.status), Array(5).fill('fulfilled'));
    assert.equal(writer.stats.batches, 1);
  });

  test('a failing job in a sliced batch fails alone', async () => {
    const writer = new GroupWriter(store.db, new EventHub(), 512, 1, store.dialect, 1000);
    const { settled } = await run(writer, 4, 2);
    assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    assert.match(String((settled[2] as PromiseRejectedResult).reason), /job 2 fails/);
  });
});
