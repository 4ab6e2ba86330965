/**
 * SweptRateLimiterMemory answers as rate-limiter-flexible's own RateLimiterMemory, operation by
 * operation over a seeded random run with the clock moved between steps, and it holds no more
 * than twice the live keys (plus the sweep floor) however many keys have come and gone.
 */
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { SweptMemoryStorage, SweptRateLimiterMemory } from '../../src/abuse/memory-store.ts';

/** A small deterministic PRNG (mulberry32), so a failure replays with the same seed. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What a call answered, comparable across the two limiters. */
async function outcome(p: Promise<RateLimiterRes | boolean | null>) {
  const shape = (r: unknown) =>
    r instanceof RateLimiterRes ? { consumed: r.consumedPoints, remaining: r.remainingPoints, msBeforeNext: r.msBeforeNext, first: r.isFirstInDuration } : r;
  try {
    return { ok: shape(await p) };
  } catch (e) {
    return { refused: shape(e) };
  }
}

const storageOf = (l: RateLimiterMemory) => (l as unknown as { _memoryStorage: unknown })._memoryStorage;

for (const opts of [
  { points: 3, duration: 10 },
  { points: 2, duration: 5, blockDuration: 30 },
  { points: 4, duration: 0 },
]) {
  test(`answers as the library's RateLimiterMemory, ${JSON.stringify(opts)}`, async (t) => {
    mock.timers.enable({ apis: ['Date', 'setTimeout'], now: 1_700_000_000_000 });
    t.after(() => mock.timers.reset());
    const theirs = new RateLimiterMemory(opts);
    const ours = new SweptRateLimiterMemory(opts);
    assert.ok(storageOf(ours) instanceof SweptMemoryStorage, 'the library uses the swept storage');
    const random = rng(13);
    const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
    const keys = ['a', 'b', 'c', 'd'];
    for (let step = 0; step < 3000; step++) {
      const key = pick(keys);
      const n = 1 + Math.floor(random() * 2);
      const op = pick(['consume', 'consume', 'consume', 'reward', 'penalty', 'get', 'delete', 'block', 'set']);
      const call = (l: RateLimiterMemory) =>
        op === 'consume' ? l.consume(key, n)
        : op === 'reward' ? l.reward(key, n)
        : op === 'penalty' ? l.penalty(key, n)
        : op === 'get' ? l.get(key)
        : op === 'delete' ? l.delete(key)
        : op === 'block' ? l.block(key, 7)
        : l.set(key, n, 3);
      assert.deepEqual(await outcome(call(ours)), await outcome(call(theirs)), `step ${step}: ${op}(${key}, ${n})`);
      mock.timers.tick(Math.floor(random() * 4000));
    }
    assert.ok((storageOf(ours) as SweptMemoryStorage)._storage.size > 0, 'the swept storage held the keys');
  });
}

test('expired keys are swept: the storage stays under twice the live keys plus the sweep floor', async (t) => {
  mock.timers.enable({ apis: ['Date'], now: 1_700_000_000_000 });
  t.after(() => mock.timers.reset());
  const l = new SweptRateLimiterMemory({ points: 5, duration: 1 });
  const storage = storageOf(l) as SweptMemoryStorage;
  const perRound = 5000;
  for (let round = 0; round < 6; round++) {
    for (let i = 0; i < perRound; i++) await l.consume(`r${round}:${i}`);
    assert.ok(storage._storage.size >= perRound, `round ${round}: the live keys are held (${storage._storage.size})`);
    assert.ok(storage._storage.size <= 2 * perRound + 1024, `round ${round}: ${storage._storage.size} entries for ${perRound} live keys`);
    mock.timers.tick(2000);
  }
  // An expired key reads as fresh even before a sweep reaches it.
  await l.consume('late', 5);
  mock.timers.tick(1001);
  assert.equal(await l.get('late'), null);
  assert.equal((await l.consume('late')).consumedPoints, 1);
});
