/** The otpgate command: start the gateway, manage accounts and keys, send and check codes. */
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig, ConfigError, type Config } from './config.ts';
import { isRegionCode } from './core/phone.ts';
import { API_FAMILIES, type ApiFamily, createAccount, createApiKey, listAccounts, listApiKeys, revokeApiKey } from './store/accounts.ts';
import { openDatabase } from './store/dialect.ts';
import { migrate } from './store/migrations.ts';

const program = new Command('otpgate').description('Self-hosted one-time passcode gateway (SMS and voice)');

function config(): Config {
  try {
    return loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
}

async function withDb<T>(fn: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>): Promise<T> {
  const c = config();
  const store = await openDatabase(c.database_url);
  try {
    await migrate(store.db, store.dialect);
    return await fn(store);
  } finally {
    await store.close();
  }
}

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected a whole number');
  return n;
};

program
  .command('start')
  .description('run the gateway (HTTP API, dispatcher, dev inbox)')
  .action(async () => {
    const { startServer } = await import('./server.ts');
    await startServer(config());
  });

program
  .command('migrate')
  .description('apply database migrations')
  .action(() =>
    withDb(async ({ db, dialect }) => {
      const applied = await migrate(db, dialect);
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    }),
  );

const accounts = program.command('accounts').description('manage accounts');
accounts
  .command('create')
  .requiredOption('--name <name>', 'account name')
  .option('--region <CC>', 'default region for national-format numbers', 'US')
  .option('--balance <micro>', 'starting balance in micro-units', int, 0)
  .option('--currency <code>', 'currency', 'USD')
  .action((o) =>
    withDb(async ({ db }) => {
      const region = String(o.region).toUpperCase();
      if (!isRegionCode(region)) throw new InvalidArgumentError(`--region "${o.region}" is not an ISO 3166 region like NP, IR, US`);
      const a = await createAccount(db, { name: o.name, defaultRegion: region, balance: o.balance, currency: o.currency, now: Date.now() });
      console.log(JSON.stringify(a, null, 2));
    }),
  );
accounts.command('list').action(() =>
  withDb(async ({ db }) => {
    for (const a of await listAccounts(db)) console.log(`${a.id}  ${a.name}  region=${a.default_region}  balance=${a.balance} ${a.currency}`);
  }),
);

const keys = program.command('keys').description('manage API keys (shown once, stored hashed)');
keys
  .command('create')
  .option('--account <id>', 'account id (default: the first account)')
  .option('--family <family>', `API family the key is for: ${API_FAMILIES.join(', ')}`, '*')
  .action((o) =>
    withDb(async ({ db }) => {
      if (!API_FAMILIES.includes(o.family)) throw new InvalidArgumentError(`--family must be one of ${API_FAMILIES.join(', ')}`);
      const accountId = o.account ?? (await listAccounts(db))[0]?.id;
      if (!accountId) throw new InvalidArgumentError('no account exists yet; run `otpgate start` once or `otpgate accounts create`');
      const { token, key } = await createApiKey(db, accountId, o.family as ApiFamily, Date.now());
      console.log(`key ${key.id} for account ${accountId} (family ${key.family}):\n${token}\nit is shown only now; store it safely`);
    }),
  );
keys
  .command('list')
  .option('--account <id>')
  .action((o) =>
    withDb(async ({ db }) => {
      for (const k of await listApiKeys(db, o.account))
        console.log(`${k.id}  account=${k.account_id}  family=${k.family}  …${k.last4}  ${k.revoked_at ? 'revoked' : 'active'}`);
    }),
  );
keys
  .command('revoke <id>')
  .action((id) =>
    withDb(async ({ db }) => {
      console.log((await revokeApiKey(db, id, Date.now())) ? `revoked ${id}` : `no active key ${id}`);
    }),
  );

/** send/check talk to a running gateway over its API, as an app would. */
async function api(path: string, body: unknown, o: { url: string; key?: string }) {
  const key = o.key ?? process.env.OTPGATE_API_KEY;
  if (!key) throw new InvalidArgumentError('pass --key or set OTPGATE_API_KEY (create one with `otpgate keys create`)');
  const res = await fetch(new URL(path, o.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  console.log(JSON.stringify(await res.json(), null, 2));
  if (!res.ok) process.exitCode = 1;
}
const defaultUrl = `http://127.0.0.1:${process.env.PORT ?? 8080}`;
program
  .command('send')
  .requiredOption('--to <number>')
  .option('--channel <channel>', 'sms or voice', 'sms')
  .option('--locale <locale>')
  .option('--url <url>', 'gateway URL', defaultUrl)
  .option('--key <key>', 'API key (or OTPGATE_API_KEY)')
  .action((o) => api('/v1/verifications', { to: o.to, channel: o.channel, ...(o.locale ? { locale: o.locale } : {}) }, o));
program
  .command('check')
  .requiredOption('--id <id>', 'verification id')
  .requiredOption('--code <code>')
  .option('--url <url>', 'gateway URL', defaultUrl)
  .option('--key <key>', 'API key (or OTPGATE_API_KEY)')
  .action((o) => api('/v1/verifications/check', { id: o.id, code: o.code }, o));

program.parseAsync().catch((e) => {
  console.error(e instanceof InvalidArgumentError || e instanceof ConfigError ? e.message : e);
  process.exit(2);
});
