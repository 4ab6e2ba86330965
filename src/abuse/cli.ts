/**
 * `otpgate blocks list|lift` and `otpgate test-numbers add|list|remove`: the abuse defence's
 * operator commands, straight on the database (a running gateway picks changes up within
 * abuse.cache_ms, and resets a lifted prefix's counters when it sees the lift).
 */
import { Command } from 'commander';
import type { OpenDb } from '../store/dialect.ts';

type WithDb = <T>(fn: (store: OpenDb) => Promise<T>) => Promise<T>;
type Usage = new (message: string) => Error;

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

export function abuseCommands(withDb: WithDb, UsageError: Usage): Command[] {
  const blocks = new Command('blocks').description('SMS-pumping blocks: list them with their figures, lift one');
  blocks
    .command('list')
    .description('active blocks, newest first (--all: lifted and expired too)')
    .option('--account <id>', 'only this account')
    .option('--all', 'include lifted and expired blocks')
    .option('--json', 'one JSON object per line')
    .action((o) =>
      withDb(async ({ db }) => {
        const { listBlocks } = await import('../store/abuse.ts');
        const rows = await listBlocks(db, { accountId: o.account, all: o.all === true, now: Date.now(), limit: 1000 });
        if (rows.length === 0) console.log(o.all ? 'no blocks' : 'no active blocks');
        for (const b of rows)
          console.log(
            o.json
              ? JSON.stringify({ ...b, figures: JSON.parse(b.figures) })
              : `${b.id}  +${b.prefix}  account=${b.account_id}  ${b.reason}  ${b.figures}  from ${iso(b.created_at)} until ${iso(b.expires_at)}${b.lifted_at ? `  lifted ${iso(b.lifted_at)} by ${b.lifted_by}` : ''}`,
          );
      }),
    );
  blocks
    .command('lift <id>')
    .description('lift a block now (the prefix is judged afresh)')
    .option('--by <name>', 'who lifts it (recorded)', process.env.USER ?? 'cli')
    .action((id, o) =>
      withDb(async ({ db }) => {
        const { getBlock, liftBlock } = await import('../store/abuse.ts');
        if (!(await liftBlock(db, id, o.by, Date.now()))) throw new UsageError(`no active block ${id}; see \`otpgate blocks list\``);
        const b = (await getBlock(db, id))!;
        console.log(`lifted ${id} (+${b.prefix}, account ${b.account_id})`);
      }),
    );

  const tests = new Command('test-numbers').description('numbers with a fixed code: recorded as delivered, never sent, charged or limited');
  const number = async (db: OpenDb['db'], accountId: string, input: string) => {
    const [{ getAccount }, { normalizePhone }] = await Promise.all([import('../store/accounts.ts'), import('../core/phone.ts')]);
    const a = await getAccount(db, accountId);
    if (!a) throw new UsageError(`--account ${accountId}: no such account; see \`otpgate accounts list\``);
    const r = normalizePhone(input, a.default_region, { allowFixedLine: true });
    if (!r.ok) throw new UsageError(`--number: ${r.message}`);
    return r.e164;
  };
  tests
    .command('add')
    .description('add a test number (or change its code)')
    .requiredOption('--account <id>', 'account id')
    .requiredOption('--number <number>', 'E.164, or national in the account region')
    .requiredOption('--code <code>', 'the fixed code, 4–10 of [0-9A-Za-z]')
    .action((o) =>
      withDb(async ({ db }) => {
        if (!/^[0-9A-Za-z]{4,10}$/.test(o.code)) throw new UsageError(`--code "${o.code}": use 4–10 of [0-9A-Za-z]`);
        const { putTestNumber } = await import('../store/abuse.ts');
        const e164 = await number(db, o.account, o.number);
        await putTestNumber(db, { account_id: o.account, number: e164, code: o.code, created_at: Date.now() });
        console.log(`test number ${e164} for account ${o.account}, code ${o.code}`);
      }),
    );
  tests
    .command('list')
    .description('list test numbers')
    .option('--account <id>', 'only this account')
    .action((o) =>
      withDb(async ({ db }) => {
        const { listTestNumbers } = await import('../store/abuse.ts');
        const rows = await listTestNumbers(db, o.account);
        if (rows.length === 0) console.log('no test numbers');
        for (const t of rows) console.log(`${t.number}  account=${t.account_id}  code=${t.code}  added ${iso(t.created_at)}`);
      }),
    );
  tests
    .command('remove')
    .description('remove a test number')
    .requiredOption('--account <id>', 'account id')
    .requiredOption('--number <number>', 'the number')
    .action((o) =>
      withDb(async ({ db }) => {
        const { removeTestNumber } = await import('../store/abuse.ts');
        const e164 = await number(db, o.account, o.number);
        if (!(await removeTestNumber(db, o.account, e164))) throw new UsageError(`${e164} is not a test number of account ${o.account}; see \`otpgate test-numbers list\``);
        console.log(`removed ${e164}`);
      }),
    );
  return [blocks, tests];
}
