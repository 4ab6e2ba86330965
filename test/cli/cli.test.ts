/**
 * The `otpgate` command as real child processes against a temp data dir: accounts and keys,
 * migrate, send and check through a running gateway, the SMSC simulator over TCP, and bad
 * arguments (a message naming the problem, a non-zero exit, never a stack trace).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pdu, smpp, type Pdu } from '../../src/providers/smpp/lib.ts';
import { closedPort, otpgate, STACK, type Run } from '../helpers/cli.ts';
import { BIN, childEnv, startServer, stop, tempDir, until } from '../e2e/server-process.ts';

function ok(r: Run, what: string): string {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}${r.stdout}`);
  assert.doesNotMatch(r.stderr, STACK);
  return r.stdout;
}

test('migrate, accounts create|list, keys create|list|revoke against a temp data dir', async (t) => {
  const dir = tempDir(t, 'otpgate-cli-');
  assert.match(ok(await otpgate(dir, ['migrate']), 'migrate'), /^applied: 001_initial/);

  const account = JSON.parse(ok(await otpgate(dir, ['accounts', 'create', '--name', 'acme', '--region', 'np', '--balance', '5000000', '--currency', 'NPR']), 'accounts create'));
  assert.equal(account.name, 'acme');
  assert.equal(account.default_region, 'NP');
  assert.equal(account.balance, 5_000_000);
  assert.equal(account.currency, 'NPR');
  assert.match(ok(await otpgate(dir, ['accounts', 'list']), 'accounts list'), new RegExp(`^${account.id}  acme  region=NP  balance=5000000 NPR$`, 'm'));

  const created = ok(await otpgate(dir, ['keys', 'create', '--account', account.id, '--family', 'native']), 'keys create');
  const [, keyId] = /^key (\S+) for account/.exec(created)!;
  const token = /^(otpg_\S+)$/m.exec(created)![1];
  const listed = ok(await otpgate(dir, ['keys', 'list']), 'keys list');
  assert.match(listed, new RegExp(`^${keyId}  account=${account.id}  family=native  …${token.slice(-4)}  active$`, 'm'));
  assert.ok(!listed.includes(token), 'the key itself is never shown again');

  assert.equal(ok(await otpgate(dir, ['keys', 'revoke', keyId]), 'keys revoke'), `revoked ${keyId}\n`);
  const again = await otpgate(dir, ['keys', 'revoke', keyId]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, new RegExp(`^otpgate: no active key ${keyId}`));
  assert.match(ok(await otpgate(dir, ['keys', 'list', '--account', account.id]), 'keys list --account'), new RegExp(`^${keyId} .* revoked$`, 'm'));
  assert.equal(ok(await otpgate(dir, ['migrate']), 'migrate again'), 'database is up to date\n');
});

test('send and check through a gateway started by `otpgate start`', async (t) => {
  const dir = tempDir(t, 'otpgate-cli-');
  const server = await startServer(dir);
  t.after(() => stop(server, 'SIGKILL'));
  // A second key made by the CLI while the gateway runs on the same file.
  const token = /^(otpg_\S+)$/m.exec(ok(await otpgate(dir, ['keys', 'create']), 'keys create'))![1];
  assert.notEqual(token, server.apiKey);

  const sent = JSON.parse(ok(await otpgate(dir, ['send', '--to', '+14155552671', '--channel', 'voice', '--url', server.url, '--key', token]), 'send'));
  assert.equal(sent.status, 'pending');
  assert.equal(sent.channel, 'voice');
  const code = await until('the code in the dev inbox', async () => {
    const { data } = await (await fetch(new URL('/inbox/api/messages', server.url))).json();
    return (data as Array<{ message_id: string; code: string }>).find((i) => i.message_id === sent.message.id)?.code;
  });
  const byEnv = { OTPGATE_API_KEY: token };
  const checked = JSON.parse(ok(await otpgate(dir, ['check', '--id', sent.id, '--code', code, '--url', server.url], byEnv), 'check'));
  assert.deepEqual(checked, { id: sent.id, status: 'approved', valid: true, attempts_left: 4 });
  // A refusal from the API is printed as the API gave it, with a non-zero exit.
  const twice = await otpgate(dir, ['check', '--id', sent.id, '--code', code, '--url', server.url], byEnv);
  assert.equal(twice.code, 1);
  assert.equal(JSON.parse(twice.stdout).error.code, 'verification_approved');
  await stop(server);
});

test('`otpgate smsc --port 0` runs the SMSC simulator: binds over TCP, refuses a wrong password, stops on SIGTERM', async (t) => {
  const dir = tempDir(t, 'otpgate-cli-');
  const child = spawn(process.execPath, [BIN, 'smsc', '--port', '0', '--password', 'pw1'], { cwd: dir, env: childEnv(dir), stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  const lines = createInterface({ input: child.stdout! });
  const [first] = (await once(lines, 'line')) as [string];
  const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(first)?.[1]);
  assert.ok(port > 0, first);

  const session = smpp.connect({ host: '127.0.0.1', port });
  session.on('error', () => undefined);
  await once(session, 'connect');
  const req = (p: Pdu) =>
    new Promise<Pdu>((resolve) => {
      session.on('pdu', (r: Pdu) => r.sequence_number === p.sequence_number && resolve(r));
      session.send(p);
    });
  assert.equal((await req(pdu('bind_transceiver', { system_id: 'otpgate', password: 'pw1', interface_version: 0x34 }))).command_status, 0);
  assert.equal((await req(pdu('enquire_link'))).command, 'enquire_link_resp');
  session.destroy();
  const wrong = smpp.connect({ host: '127.0.0.1', port });
  wrong.on('error', () => undefined);
  await once(wrong, 'connect');
  const refused = await new Promise<Pdu>((resolve) => {
    const p = pdu('bind_transceiver', { system_id: 'otpgate', password: 'nope', interface_version: 0x34 });
    wrong.on('pdu', resolve);
    wrong.send(p);
  });
  assert.equal(refused.command_status, 0x0e, 'ESME_RINVPASWD');
  wrong.destroy();

  child.kill('SIGTERM');
  const [stopped] = (await once(lines, 'line')) as [string];
  assert.match(stopped, /^SMSC simulator stopped: 0 accepted/);
  assert.deepEqual(await once(child, 'exit'), [0, null]);
});

test('bad arguments: a message naming the problem, a non-zero exit, never a stack trace', async (t) => {
  const dir = tempDir(t, 'otpgate-cli-');
  const badConfig = join(dir, 'bad.json');
  writeFileSync(badConfig, '{"dispatch": {"lease_ms": 10}}');
  const port = await closedPort();
  const cases: Array<[string[], Record<string, string>, RegExp]> = [
    [[], {}, /Usage: otpgate/],
    [['bogus'], {}, /unknown command 'bogus'/],
    [['accounts', 'create'], {}, /required option '--name <name>' not specified/],
    [['accounts', 'create', '--name', 'x', '--balance', 'abc'], {}, /--balance <micro>' argument 'abc' is invalid/],
    [['accounts', 'create', '--name', 'x', '--region', 'ZZ'], {}, /--region "ZZ" is not an ISO 3166 region/],
    [['keys', 'create', '--family', 'nope'], {}, /--family <family>' argument 'nope' is invalid\. Allowed choices are native, tingting, bitel, twilio, vonage, \*/],
    [['keys', 'create', '--account', 'nobody'], {}, /--account nobody: no such account/],
    [['keys', 'revoke'], {}, /missing required argument 'id'/],
    [['send', '--to', '+14155552671', '--channel', 'email'], {}, /--channel <channel>' argument 'email' is invalid\. Allowed choices are sms, voice, auto/],
    [['send', '--to', '+14155552671', '--url', 'localhost'], {}, /--url <url>' argument 'localhost' is invalid\. expected an http\(s\) URL/],
    [['send', '--to', '+14155552671'], {}, /pass --key or set OTPGATE_API_KEY/],
    [['send', '--to', '+14155552671', '--url', `http://127.0.0.1:${port}`, '--key', 'k'], {}, /cannot reach the gateway at http:\/\/127\.0\.0\.1:\d+ \(.*\); start it with `otpgate start`/],
    [['check', '--id', 'x'], {}, /required option '--code <code>' not specified/],
    [['smsc', '--port', '-1'], {}, /--port <n>' argument '-1' is invalid/],
    [['start'], { PORT: 'abc' }, /invalid configuration:\n\s+port: must be integer/],
    [['migrate'], { OTPGATE_CONFIG: badConfig }, /dispatch\.lease_ms: must be >= 1000/],
  ];
  // Two at a time: the machine's cores, not a race.
  for (let i = 0; i < cases.length; i += 2)
    await Promise.all(
      cases.slice(i, i + 2).map(async ([args, env, message]) => {
        const r = await otpgate(dir, args, env);
        const what = `otpgate ${args.join(' ')} ${JSON.stringify(env)}`;
        assert.ok(r.code !== 0 && r.code !== null, `${what}: exit ${r.code}`);
        assert.match(r.stderr, message, what);
        assert.doesNotMatch(r.stderr, STACK, `${what}: no stack trace`);
        assert.doesNotMatch(r.stderr, /\bError\b: /, `${what}: no error class names`);
      }),
    );
});
