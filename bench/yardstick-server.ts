/**
 * The yardstick for bench:accept (issue 13, P1): a lean durable accept in otpgate's stack, written
 * without otpgate's layers, to show what the accept path can reach on this machine.
 *
 * Per request it does what otpgate's accept does: a JSON schema, an API-key lookup, libphonenumber-js
 * (max metadata) parsing to E.164, crypto.randomInt for a 6-digit code, an HMAC-SHA256 code hash and
 * an AES-256-GCM seal, and the same rows in one group-committed transaction: the pending-verification
 * lookup for the number, the balance debit, the verification, the message (outbox row), its first
 * event and the ledger entry. SQL is hand-written, prepared once, on better-sqlite3 with the same
 * pragmas and the same schema (otpgate's own migrations). No query builder, no event hub, no webhooks.
 *
 * Env: PORT, DB (file path). Prints "listening KEY=<bearer>" when ready.
 */
import { createCipheriv, createHash, createHmac, randomBytes, randomInt } from 'node:crypto';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { Kysely, SqliteDialect } from 'kysely';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { uuidv7 } from 'uuidv7';
import { migrate } from '../src/store/migrations.ts';

const raw = new Database(process.env.DB ?? ':memory:');
raw.pragma('journal_mode = WAL');
raw.pragma('synchronous = NORMAL');
raw.pragma('busy_timeout = 5000');
const kysely = new Kysely<any>({ dialect: new SqliteDialect({ database: raw }) });
await migrate(kysely, 'sqlite');

const now0 = Date.now();
const accountId = uuidv7();
const token = `yard_${randomBytes(16).toString('hex')}`;
raw.prepare(`insert into accounts (id, name, default_region, balance, currency, utc_offset_minutes, created_at) values (?, 'yardstick', 'NP', ?, 'USD', 0, ?)`).run(accountId, 1e15, now0);
raw.prepare(`insert into api_keys (id, account_id, family, hash, last4, created_at) values (?, ?, '*', ?, ?, ?)`)
  .run(uuidv7(), accountId, createHash('sha256').update(token).digest('hex'), token.slice(-4), now0);

const hashKey = randomBytes(32);
const sealKey = randomBytes(32);
const stmt = {
  key: raw.prepare('select account_id from api_keys where hash = ? and revoked_at is null'),
  pending: raw.prepare("select id from verifications where account_id = ? and to_number = ? and status = 'pending' and expires_at > ? limit 1"),
  debit: raw.prepare('update accounts set balance = balance - ? where id = ? and balance >= ?'),
  verification: raw.prepare(`insert into verifications (id, account_id, family, to_number, channel, status, code_hash, code_sealed, locale,
    app_name, template, attempts, max_attempts, send_count, max_sends, last_sent_at, expires_at, created_at, updated_at, meta)
    values (?, ?, 'native', ?, ?, 'pending', ?, ?, 'en', null, null, 0, 5, 1, 5, ?, ?, ?, ?, null)`),
  message: raw.prepare(`insert into messages (id, account_id, verification_id, family, to_number, from_number, channel, locale, body, encoding,
    segments, price, status, provider, provider_message_id, attempts, next_attempt_at, locked_by, deadline_at, error_code, error_message,
    created_at, updated_at, sent_at, final_at, bill_sec, meta)
    values (?, ?, ?, 'native', ?, null, ?, 'en', ?, 'gsm7', 1, ?, 'queued', null, null, 0, ?, null, ?, null, null, ?, ?, null, null, null, null)`),
  event: raw.prepare("insert into message_events (message_id, status, at, provider, detail) values (?, 'queued', ?, null, null)"),
  ledger: raw.prepare("insert into ledger (account_id, amount, reason, message_id, at) values (?, ?, 'message', ?, ?)"),
};

interface Job {
  account: string;
  to: string;
  channel: string;
  code: string;
  resolve(r: { id: string; expires: number } | { error: string }): void;
}
let queue: Job[] = [];
let scheduled = false;
const price = 1;

// Group commit: every request that arrived in one turn of the event loop shares a transaction.
const commit = raw.transaction((jobs: Job[]) => {
  const now = Date.now();
  const out: ({ id: string; expires: number } | { error: string })[] = [];
  for (const j of jobs) {
    if (stmt.pending.get(j.account, j.to, now)) {
      out.push({ error: 'resend' });
      continue;
    }
    if (stmt.debit.run(price, j.account, price).changes === 0) {
      out.push({ error: 'balance' });
      continue;
    }
    const vid = uuidv7();
    const mid = uuidv7();
    const expires = now + 600_000;
    const hash = createHmac('sha256', hashKey).update(`${vid}:${j.code}`).digest('hex');
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', sealKey, iv);
    const sealed = Buffer.concat([iv, c.update(j.code, 'utf8'), c.final(), c.getAuthTag()]).toString('base64');
    stmt.verification.run(vid, j.account, j.to, j.channel, hash, sealed, now, expires, now, now);
    stmt.message.run(mid, j.account, vid, j.to, j.channel, `Your code is ${j.code}`, price, now, now + 600_000, now, now);
    stmt.event.run(mid, now);
    stmt.ledger.run(j.account, -price, mid, now);
    out.push({ id: vid, expires });
  }
  return out;
});

function flush(): void {
  scheduled = false;
  const jobs = queue;
  queue = [];
  const results = commit(jobs);
  for (let i = 0; i < jobs.length; i++) jobs[i].resolve(results[i]);
}

const keyCache = new Map<string, string>();
const app = Fastify();
app.post(
  '/v1/verifications',
  {
    schema: {
      body: {
        type: 'object',
        required: ['to', 'channel'],
        additionalProperties: false,
        properties: { to: { type: 'string', minLength: 1, maxLength: 32 }, channel: { type: 'string', enum: ['sms', 'voice'] } },
      },
    },
  },
  async (req, reply) => {
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    let account = keyCache.get(bearer);
    if (!account) {
      account = (stmt.key.get(createHash('sha256').update(bearer).digest('hex')) as { account_id: string } | undefined)?.account_id;
      if (!account) return reply.status(401).send({ error: { code: 'unauthorized' } });
      keyCache.set(bearer, account);
    }
    const { to, channel } = req.body as { to: string; channel: string };
    const phone = parsePhoneNumberFromString(to, 'NP');
    if (!phone?.isValid()) return reply.status(400).send({ error: { code: 'invalid_phone_number', field: 'to' } });
    let code = '';
    for (let i = 0; i < 6; i++) code += String(randomInt(10));
    const r = await new Promise<{ id: string; expires: number } | { error: string }>((resolve) => {
      queue.push({ account, to: phone.number, channel, code, resolve });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
    if ('error' in r) return reply.status(429).send({ error: { code: r.error } });
    return reply.status(201).send({ id: r.id, status: 'pending', to: phone.number, channel, expires_at: new Date(r.expires).toISOString() });
  },
);
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
console.log(`listening KEY=${token}`);
