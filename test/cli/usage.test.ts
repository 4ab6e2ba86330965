/**
 * The CLI as a new user meets it, as real child processes: every usage error exits 2 (commander's
 * own too), a config template without {code} stops the start naming it, accounts are credited and
 * debited with a reason, and `check --id abc` answers what `GET /v1/verifications/abc` answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, stop, tempDir } from '../e2e/server-process.ts';
import { otpgate, STACK } from '../helpers/cli.ts';

test('usage errors exit 2 everywhere, commander’s own included; help exits 0; never a stack', async (t) => {
  const dir = tempDir(t, 'otpgate-usage-');
  const usage: string[][] = [
    [],
    ['nope'],
    ['--bogus'],
    ['accounts'],
    ['accounts', 'nope'],
    ['accounts', 'create'],
    ['accounts', 'create', '--name', 'a', '--region', 'XX'],
    ['accounts', 'create', '--name', 'a', '--balance', '-1'],
    ['accounts', 'credit'],
    ['accounts', 'credit', 'abc', '--reason', 'x'],
    ['accounts', 'credit', 'abc', '--amount', '0', '--reason', 'x'],
    ['accounts', 'credit', 'abc', '--amount', '1.5', '--reason', 'x'],
    ['accounts', 'debit', 'abc', '--amount', '10'],
    ['keys'],
    ['keys', 'create', '--family', 'x'],
    ['keys', 'revoke'],
    ['send'],
    ['send', '--to', '+14155550100', '--channel', 'fax'],
    ['send', '--to', '+14155550100', '--url', 'ftp://x'],
    ['check', '--id'],
    ['check', '--id', 'abc'],
    ['smsc', '--port', 'abc'],
    ['smsc', '--bogus'],
    ['migrate', 'extra-arg'],
  ];
  for (const args of usage) {
    const r = await otpgate(dir, args);
    assert.equal(r.code, 2, `otpgate ${args.join(' ')} → ${r.code}\n${r.stderr}`);
    assert.ok(r.stderr.trim().length > 0, `otpgate ${args.join(' ')} says why`);
    assert.doesNotMatch(r.stderr, STACK);
  }
  for (const args of [['--help'], ['accounts', '--help'], ['accounts', 'credit', '--help'], ['help', 'send']]) {
    const r = await otpgate(dir, args);
    assert.equal(r.code, 0, `otpgate ${args.join(' ')}: ${r.stderr}`);
  }
});

test('accounts credit|debit|ledger: the balance moves and the ledger keeps the reason; unknown account or overdraft → exit 2', async (t) => {
  const dir = tempDir(t, 'otpgate-usage-');
  const created = await otpgate(dir, ['accounts', 'create', '--name', 'acme', '--region', 'NP', '--currency', 'NPR']);
  assert.equal(created.code, 0, created.stderr);
  const { id } = JSON.parse(created.stdout) as { id: string };
  const credit = await otpgate(dir, ['accounts', 'credit', id, '--amount', '5000000', '--reason', 'invoice 7 paid']);
  assert.equal(credit.code, 0, credit.stderr);
  assert.match(credit.stdout, /balance=5000000 NPR/);
  const debit = await otpgate(dir, ['accounts', 'debit', id, '--amount', '1000000', '--reason', 'refund to customer']);
  assert.equal(debit.code, 0, debit.stderr);
  assert.match(debit.stdout, /balance=4000000 NPR/);
  const over = await otpgate(dir, ['accounts', 'debit', id, '--amount', '4000001', '--reason', 'x']);
  assert.equal(over.code, 2);
  assert.match(over.stderr, /does not cover/);
  const none = await otpgate(dir, ['accounts', 'credit', 'f'.repeat(32), '--amount', '1', '--reason', 'x']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no account/);
  const ledger = await otpgate(dir, ['accounts', 'ledger', id]);
  assert.equal(ledger.code, 0, ledger.stderr);
  const lines = ledger.stdout.trim().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0], /debit\s+-1000000\s+refund to customer$/);
  assert.match(lines[1], /credit\s+5000000\s+invoice 7 paid$/);
  assert.match((await otpgate(dir, ['accounts', 'list'])).stdout, /balance=4000000 NPR/);
});

test('a config template without {code} stops `otpgate start` with exit 2 and a line naming the template', async (t) => {
  const dir = tempDir(t, 'otpgate-usage-');
  const config = join(dir, 'bad.json');
  writeFileSync(config, JSON.stringify({ templates: { welcome: { en: 'Welcome to {app_name}!' } } }));
  const r = await otpgate(dir, ['start'], { OTPGATE_CONFIG: config });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /templates\.welcome\.en: .*\{code\}/);
  assert.doesNotMatch(r.stderr, STACK);
});

test('`check --id abc` and GET /v1/verifications/abc give the same error', async (t) => {
  const dir = tempDir(t, 'otpgate-usage-');
  const server = await startServer(dir);
  t.after(() => stop(server, 'SIGKILL'));
  const key = server.apiKey!;
  const get = await fetch(new URL('/v1/verifications/abc', server.url), { headers: { authorization: `Bearer ${key}` } });
  const viaApi = ((await get.json()) as { error: { code: string; field: string } }).error;
  const r = await otpgate(dir, ['check', '--id', 'abc', '--code', '123456', '--url', server.url, '--key', key]);
  assert.equal(r.code, 1, r.stderr);
  const viaCli = (JSON.parse(r.stdout) as { error: { code: string; field: string } }).error;
  assert.equal(get.status, 400);
  assert.deepEqual([viaCli.code, viaCli.field], [viaApi.code, viaApi.field]);
  assert.deepEqual([viaCli.code, viaCli.field], ['invalid_value', 'id']);
  await stop(server);
});
