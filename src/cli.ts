/** The otpgate command: start the gateway, manage accounts and keys, send and check codes, run the SMSC simulator. */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { smscCommand } from '../tools/smsc/cli.ts';
import { abuseCommands } from './abuse/cli.ts';
import { API_FAMILIES, type ApiFamily, createAccount, createApiKey, listAccounts, listApiKeys, revokeApiKey } from './store/accounts.ts';
import type { Config } from './config.ts';
import type { OpenDb } from './store/dialect.ts';

/** A refusal the user can fix: printed as one line, exit code 2, no stack. */
class UsageError extends Error {}

const program = new Command('otpgate')
  .description('Self-hosted one-time passcode gateway (SMS and voice)')
  .showHelpAfterError('(run `otpgate --help` or `otpgate <command> --help` for usage)');

// The config schema and the SQL layer load inside the commands that need them, so `--help`
// and argument errors answer without loading them.
async function config(): Promise<Config> {
  const { loadConfig } = await import('./config.ts');
  return loadConfig();
}

/** Opens the configured database, applies pending migrations, runs fn, closes. */
async function withDb<T>(fn: (store: OpenDb, applied: string[]) => Promise<T>): Promise<T> {
  const c = await config();
  const [{ openDatabase }, { migrate }] = await Promise.all([import('./store/dialect.ts'), import('./store/migrations.ts')]);
  const store = await openDatabase(c.database_url);
  try {
    return await fn(store, await migrate(store.db, store.dialect));
  } finally {
    await store.close();
  }
}

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number ≥ 0');
  return n;
};

const url = (v: string) => {
  if (!URL.canParse(v) || !/^https?:$/.test(new URL(v).protocol)) throw new InvalidArgumentError('expected an http(s) URL like http://127.0.0.1:8080');
  return v;
};

program
  .command('start')
  .description('run the gateway (HTTP API, dispatcher, dev inbox)')
  .action(async () => {
    const { startServer } = await import('./server.ts');
    await startServer(await config());
  });

program
  .command('migrate')
  .description('apply database migrations')
  .action(() =>
    withDb(async (_store, applied) => {
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    }),
  );

const accounts = program.command('accounts').description('manage accounts');
accounts
  .command('create')
  .description('create an account')
  .requiredOption('--name <name>', 'account name')
  .option('--region <CC>', 'default region for national-format numbers', 'US')
  .option('--balance <micro>', 'starting balance in micro-units', int, 0)
  .option('--currency <code>', 'ISO 4217 currency', 'USD')
  .action(async (o) => {
    const region = String(o.region).toUpperCase();
    const { isRegionCode } = await import('./core/phone.ts');
    if (!isRegionCode(region)) throw new UsageError(`--region "${o.region}" is not an ISO 3166 region like NP, IR, US`);
    if (!/^[A-Z]{3}$/.test(o.currency)) throw new UsageError(`--currency "${o.currency}" is not an ISO 4217 code like USD, NPR, IRR`);
    await withDb(async ({ db }) => {
      const a = await createAccount(db, { name: o.name, defaultRegion: region, balance: o.balance, currency: o.currency, now: Date.now() });
      console.log(JSON.stringify(a, null, 2));
    });
  });
accounts
  .command('list')
  .description('list accounts')
  .action(() =>
    withDb(async ({ db }) => {
      for (const a of await listAccounts(db)) console.log(`${a.id}  ${a.name}  region=${a.default_region}  balance=${a.balance} ${a.currency}`);
    }),
  );

const positive = (v: string) => {
  const n = int(v);
  if (n === 0) throw new InvalidArgumentError('expected a whole number of micro-units > 0 (1 unit = 1000000)');
  return n;
};
for (const direction of ['credit', 'debit'] as const)
  accounts
    .command(`${direction} <id>`)
    .description(direction === 'credit' ? 'top up an account (recorded in its ledger with the reason)' : 'take an amount from an account, never below zero (recorded in its ledger)')
    .requiredOption('--amount <micro>', 'micro-units of the account currency (1 unit = 1000000)', positive)
    .requiredOption('--reason <text>', 'why, recorded in the ledger')
    .action((id: string, o: { amount: number; reason: string }) =>
      withDb(async ({ db }) => {
        if (!o.reason.trim()) throw new UsageError('--reason is empty; say why, e.g. --reason "invoice 2024-11 paid"');
        const { adjustBalance } = await import('./store/ledger.ts');
        const res = await adjustBalance(db, id, direction === 'credit' ? o.amount : -o.amount, o.reason.trim(), Date.now());
        if (!res.ok && res.why === 'no_account') throw new UsageError(`no account ${id}; see \`otpgate accounts list\``);
        if (!res.ok) throw new UsageError(`the balance (${res.balance} micro-units) does not cover a debit of ${o.amount}`);
        console.log(`${res.account.id}  balance=${res.account.balance} ${res.account.currency}  (${direction} ${o.amount}: ${res.entry.note})`);
      }),
    );
accounts
  .command('ledger <id>')
  .description("an account's ledger, newest first")
  .option('--limit <n>', 'rows', int, 50)
  .action((id: string, o: { limit: number }) =>
    withDb(async ({ db }) => {
      const { ledgerOf } = await import('./store/ledger.ts');
      for (const e of await ledgerOf(db, id, { limit: o.limit }))
        console.log(`${new Date(e.at).toISOString()}  ${e.reason.padEnd(7)} ${String(e.amount).padStart(14)}  ${e.note ?? e.message_id ?? ''}`);
    }),
  );

const keys = program.command('keys').description('manage API keys (shown once, stored hashed)');
keys
  .command('create')
  .description('create an API key and print it once')
  .option('--account <id>', 'account id (default: the first account)')
  .addOption(new Option('--family <family>', 'API family the key is for (twilio: an Account SID, auth token and API key; vonage: an application and API key)').choices(API_FAMILIES).default('*'))
  .option('--public-key <file>', 'vonage: register this RSA public key (PEM) instead of generating a key pair')
  .action((o) =>
    withDb(async ({ db }) => {
      const all = await listAccounts(db);
      const accountId = o.account ?? all[0]?.id;
      if (!accountId) throw new UsageError('no account exists yet; run `otpgate start` once or `otpgate accounts create`');
      if (!all.some((a) => a.id === accountId)) throw new UsageError(`--account ${accountId}: no such account; see \`otpgate accounts list\``);
      if (o.family === 'twilio' || o.family === 'vonage') {
        const { vendorKeys } = await import('./vendor-keys.ts');
        console.log(await vendorKeys(db, accountId, o.family, o.publicKey));
        return;
      }
      const { token, key } = await createApiKey(db, accountId, o.family as ApiFamily, Date.now());
      console.log(`key ${key.id} for account ${accountId} (family ${key.family}):\n${token}\nit is shown only now; store it safely`);
    }),
  );
keys
  .command('list')
  .description('list API keys (their last 4 characters only)')
  .option('--account <id>', 'only this account')
  .action((o) =>
    withDb(async ({ db }) => {
      for (const k of await listApiKeys(db, o.account))
        console.log(`${k.id}  account=${k.account_id}  family=${k.family}  …${k.last4}  ${k.revoked_at ? 'revoked' : 'active'}`);
      // Vendor credentials are listed by their public id (AC…/SK… sid, Vonage application or api key).
      const { listCredentials } = await import('./store/vendors.ts');
      for (const c of await listCredentials(db, o.account))
        console.log(`${c.id}  account=${c.account_id}  family=${c.family}  ${c.kind}  ${c.revoked_at ? 'revoked' : 'active'}`);
    }),
  );
keys
  .command('revoke <id>')
  .description('revoke an API key (a running gateway stops accepting it within seconds)')
  .action((id) =>
    withDb(async ({ db }) => {
      const { revokeCredential } = await import('./store/vendors.ts');
      if (!(await revokeApiKey(db, id, Date.now())) && !(await revokeCredential(db, id, Date.now())))
        throw new UsageError(`no active key ${id}; see \`otpgate keys list\``);
      console.log(`revoked ${id}`);
    }),
  );

/** send/check talk to a running gateway over its API, as an app would. */
async function api(path: string, body: unknown, o: { url: string; key?: string }) {
  const key = o.key ?? process.env.OTPGATE_API_KEY;
  if (!key) throw new UsageError('pass --key or set OTPGATE_API_KEY (create one with `otpgate keys create`)');
  let res: Response;
  try {
    res = await fetch(new URL(path, o.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch (e) {
    const cause = (e as Error & { cause?: Error }).cause?.message ?? (e as Error).message;
    throw new Error(`cannot reach the gateway at ${o.url} (${cause}); start it with \`otpgate start\` or pass --url`);
  }
  const text = await res.text();
  let shown = text;
  try {
    shown = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // not JSON (a proxy's error page): shown as it came
  }
  console.log(shown);
  if (!res.ok) process.exitCode = 1;
}
const urlOption = () => new Option('--url <url>', 'gateway URL').argParser(url).default(`http://127.0.0.1:${process.env.PORT || 8080}`);
program
  .command('send')
  .description('send a code through a running gateway (--count N: a smoke load to N consecutive numbers, with a progress bar)')
  .requiredOption('--to <number>', 'phone number (E.164, or national in the account region); with --count, the first of the numbers')
  .addOption(new Option('--channel <channel>', 'how to send it (auto: SMS, then a call if it is not delivered in time)').choices(['sms', 'voice', 'auto']).default('sms'))
  .option('--locale <locale>', 'message language (en, fa, ne, ar, hi, es, fr, de, ru, tr)')
  .addOption(urlOption())
  .option('--key <key>', 'API key (or OTPGATE_API_KEY)')
  .option('--count <n>', 'send N codes to N consecutive numbers starting at --to (E.164)', int)
  .option('--concurrency <n>', 'with --count: requests in flight at once', int, 8)
  .action(async (o) => {
    if (o.count === undefined) return api('/v1/verifications', { to: o.to, channel: o.channel, ...(o.locale ? { locale: o.locale } : {}) }, o);
    const key = o.key ?? process.env.OTPGATE_API_KEY;
    if (!key) throw new UsageError('pass --key or set OTPGATE_API_KEY (create one with `otpgate keys create`)');
    if (!/^\+[1-9][0-9]{6,14}$/.test(o.to)) throw new UsageError(`--to "${o.to}": with --count give the first number in E.164, like +14155550100`);
    if (o.count < 1 || o.concurrency < 1) throw new UsageError('--count and --concurrency must be at least 1');
    const { runLoad } = await import('./cli/load.ts');
    const s = await runLoad({ url: o.url, key, to: o.to, count: o.count, concurrency: o.concurrency, channel: o.channel, progress: process.stderr.isTTY === true || process.env.OTPGATE_PROGRESS === '1' });
    console.log(JSON.stringify({ sent: o.count, ...s }, null, 2));
    if (s.accepted < o.count) process.exitCode = 1;
  });
program
  .command('check')
  .description('check a code through a running gateway')
  .requiredOption('--id <id>', 'verification id')
  .requiredOption('--code <code>', 'the code the user typed')
  .addOption(urlOption())
  .option('--key <key>', 'API key (or OTPGATE_API_KEY)')
  .action((o) => api('/v1/verifications/check', { id: o.id, code: o.code }, o));

program
  .command('doctor')
  .description('check the config, database and migrations, Redis, each carrier and public_url; print a fix for each problem (exit 1 if any)')
  .option('--timeout <ms>', 'per network check', int, 5000)
  .action(async (o) => {
    const { runDoctor, formatReport } = await import('./cli/doctor.ts');
    const findings = await runDoctor(config, { timeoutMs: o.timeout });
    console.log(formatReport(findings));
    if (findings.some((f) => f.verdict === 'fail')) process.exitCode = 1;
  });

const messages = program.command('messages').description('find messages and read their history (every account)');
messages
  .command('list')
  .description('messages, newest first')
  .option('--q <text>', 'a message or verification id, or digits of the number')
  .option('--status <status>', 'queued, sending, sent, delivered, undelivered, failed, expired, canceled')
  .option('--provider <name>', 'the carrier that took it')
  .option('--family <family>', 'native, tingting, bitel, …')
  .option('--limit <n>', 'at most this many', int, 50)
  .action((o) =>
    withDb(async ({ db }) => {
      const { listMessagesReport } = await import('./cli/messages.ts');
      const lines = await listMessagesReport(db, { q: o.q, status: o.status, provider: o.provider, family: o.family, limit: Math.max(1, o.limit) });
      console.log(lines.length ? lines.join('\n') : 'no messages match');
    }),
  );
messages
  .command('show <id>')
  .description("a message's status history and webhook deliveries")
  .action((id) =>
    withDb(async ({ db }) => {
      const { showMessageReport } = await import('./cli/messages.ts');
      const report = await showMessageReport(db, id);
      if (!report) throw new UsageError(`no message ${id}; find one with \`otpgate messages list\``);
      console.log(report);
    }),
  );

program.addCommand(smscCommand());
for (const c of abuseCommands(withDb, UsageError)) program.addCommand(c);

/**
 * Usage errors exit 2 everywhere, commander's own too (unknown command or option, missing
 * argument, bad choice, a command group without its subcommand): commander throws instead of
 * exiting (exitOverride, set on every command since added commands do not inherit it), and the
 * handler below picks the code. Help and --version exit 0.
 */
function overrideExits(c: Command): void {
  c.exitOverride();
  for (const sub of c.commands) overrideExits(sub);
}
overrideExits(program);

program.parseAsync().catch((e: Error & { code?: string }) => {
  // Commander has printed its own line (and help) already.
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
  const usage = e instanceof UsageError || e instanceof InvalidArgumentError || e?.name === 'ConfigError' || e?.name === 'VendorKeyError';
  const hint = e?.code === 'EADDRINUSE' ? '; set PORT (or HOST) to a free address' : '';
  // One line that names the cause, never a stack: the stack is for bugs, and those are logged by the gateway.
  console.error(`otpgate: ${e?.message ?? String(e)}${hint}`);
  process.exit(usage ? 2 : 1);
});
