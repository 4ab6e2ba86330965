/**
 * The send path, top-down (DESIGN.md): normalize number → make or reuse code → render → price →
 * ONE transaction (via the group-commit writer): charge + verification + message (the outbox
 * row). And the check path: one conditional UPDATE counts the guess, then a constant-time compare.
 */
import { codeMatches, generateCode, hashCode, openCode, sealCode } from '../core/code.ts';
import { canonicalCode } from '../core/text.ts';
import { analyzeText } from '../core/encoding.ts';
import { newId } from '../core/ids.ts';
import { normalizePhone } from '../core/phone.ts';
import { priceFor } from '../core/pricing.ts';
import type { VerificationStatus } from '../core/status.ts';
import { isLocale, type Locale, renderSms, templateProblem, voiceScript } from '../core/templates.ts';
import type { Config } from '../config.ts';
import { getAccount } from '../store/accounts.ts';
import { claimVoiceFallback, dropVoiceFallback } from '../store/autovoice.ts';
import type { DialectName } from '../store/dialect.ts';
import type { Account, Database, Message, Verification } from '../store/schema.ts';
import * as V from '../store/verifications.ts';
import type { GroupWriter } from '../store/writer.ts';
import type { Kysely } from 'kysely';
import type { Abuse } from '../abuse/index.ts';
import { insertMessage } from '../store/messages.ts';
import { maskCode } from './codemask.ts';
import { reportApproved } from './feedback.ts';
import { cancelQueued, charge, chargeAndQueue, hashRequest, insufficient, queuedMessage, testDelivered } from './outbox.ts';
import { screen } from './screen.ts';
import { SingleFlight } from './singleflight.ts';
import { RecentVerifications } from './recent.ts';
import { notFound, notPending, VerifyError } from './errors.ts';

export type Channel = 'sms' | 'voice';

export interface VerifyDeps {
  db: Kysely<Database>;
  dialect: DialectName;
  writer: GroupWriter;
  config: Config;
  /** HMAC key for code hashes and AES key for sealed codes, both derived from the server secret. */
  keys: { hash: Buffer; seal: Buffer };
  now: () => number;
  /** The abuse decision (src/abuse/); absent = no checks (bare benchmarks). */
  abuse?: Abuse;
}

export interface SendRequest {
  account: Account;
  /** Which API family made the request ('native' | 'tingting' | 'bitel'). */
  family: string;
  to: string;
  channel: Channel;
  locale?: string;
  codeLength?: number;
  /** Caller-supplied code (4–10 of [0-9A-Za-z] natively; families may validate their own rule). */
  code?: string;
  appName?: string;
  templateId?: string;
  template?: string;
  ttlSeconds?: number;
  /** Region for national-format numbers; defaults to the account's. */
  defaultRegion?: string;
  from?: string;
  /** A family's own rendering of the message for this code (TingTing's caller text, Bitel's fixed template). */
  render?: (code: string) => string;
  /** retries: re-dials when the call is not answered or busy (the dispatcher places them). */
  voice?: { voiceId?: string; repeat?: number; retries?: number };
  meta?: Record<string, unknown>;
  idempotency?: { key: string; body: unknown };
  /** channel "auto": this SMS is followed by a call with the same code if not delivered in time (src/dispatch/autovoice.ts). */
  autoVoice?: boolean;
  /**
   * Vendor families (TingTing, Bitel): every request is a send of the code it names or a fresh
   * one. A pending verification to the same number is canceled and replaced, instead of being
   * resent under the native resend rules (cooldown, max sends). Floods are the abuse limits' job.
   */
  supersede?: boolean;
  /** The API key used (per_key limits). */
  apiKeyId?: string;
  /** The end user's IP, when the caller passes it (per_ip limits; Twilio's DeviceIp). */
  ip?: string;
}

export interface SendResult {
  verification: Verification;
  message: Message;
  /** The plain code, for families whose API echoes it; never logged or stored in the clear. */
  code: string;
  replayed: boolean;
}

export interface CheckResult {
  verification: Verification;
  valid: boolean;
  attemptsLeft: number;
}

type Refusal = { refusal: VerifyError };
type Stored = { verification: Verification; message: Message };

export class VerifyService {
  /** Sends in flight per account + Idempotency-Key: a duplicate waits for the first, then replays it. */
  private readonly flights = new SingleFlight();
  /** The verifications sent here last (a check of one reads no row first). */
  private readonly recent = new RecentVerifications();

  constructor(private readonly d: VerifyDeps) {}

  /**
   * Sends a code (or resends the pending one). Throws VerifyError (or an abuse refusal) for
   * what the caller can fix; answers only after the transaction that holds its rows committed.
   */
  send(req: SendRequest): Promise<SendResult> {
    if (!req.idempotency) return this.sendOnce(req);
    return this.flights.run(req.account.id, req.idempotency.key, () => this.sendOnce(req));
  }

  private async sendOnce(req: SendRequest): Promise<SendResult> {
    const { config } = this.d;
    const now = this.d.now();
    const e164 = this.normalize(req.to, req.defaultRegion ?? req.account.default_region, req.channel);
    const locale = this.locale(req.locale);
    const template = this.template(req, locale);
    const ttlMs = (req.ttlSeconds ?? config.verify.ttl_seconds) * 1000;
    // A caller's code in any script's digits ("۱۲۳۴") is the ASCII code it means.
    const given = req.code === undefined ? undefined : canonicalCode(req.code);
    const generated = given ?? generateCode(req.codeLength ?? config.verify.code_length);
    const requestHash = req.idempotency ? hashRequest(req.idempotency.body) : '';
    // Rendered once: the abuse decision prices it, and a new verification with this code sends it.
    const first = this.rendered(req, locale, template, generated, Math.round(ttlMs / 60000));
    // Abuse decision, before anything is written or charged (priced on this code's rendering).
    const replay = req.idempotency && (await V.getIdempotent(this.d.db, req.account.id, req.idempotency.key));
    const ticket = replay
      ? undefined
      : await screen(this.d.abuse, { account: req.account, to: e164, channel: req.channel, apiKeyId: req.apiKeyId, ip: req.ip, price: this.price(req.account.currency, e164, req.channel, first.info.segments) });
    const test = ticket?.testCode !== undefined;
    const fresh = ticket?.testCode ?? generated;

    const outcome = await this.d.writer.run(async (ctx): Promise<(Stored & { code: string }) | Refusal | { replay: string }> => {
      const { trx } = ctx;
      if (req.idempotency) {
        const prior = await V.getIdempotent(trx, req.account.id, req.idempotency.key);
        if (prior) {
          if (prior.request_hash !== requestHash) return { refusal: reusedKey() };
          return { replay: prior.response };
        }
      }
      const pending = await V.pendingFor(trx, req.account.id, e164, now);
      // PostgreSQL, READ COMMITTED: another instance may have committed this key's request between
      // the lookup above and this one (its verification is the pending one): answer its replay.
      if (pending && req.idempotency) {
        const raced = await V.getIdempotent(trx, req.account.id, req.idempotency.key);
        if (raced) return raced.request_hash === requestHash ? { replay: raced.response } : { refusal: reusedKey() };
      }
      let verification: Verification;
      let code: string;
      let replaced: Verification | undefined;
      // A test number never waits for a resend cooldown: each send replaces the pending one.
      if (pending && !req.supersede && !test && (given === undefined || codeMatches(this.d.keys.hash, pending.id, given, pending.code_hash))) {
        const refusal = this.resendRefusal(pending, now);
        if (refusal) return { refusal };
        code = openCode(this.d.keys.seal, pending.code_sealed);
        verification = { ...pending, send_count: pending.send_count + 1, last_sent_at: now, updated_at: now, channel: req.channel };
      } else {
        // A different caller-supplied code replaces the pending verification rather than mixing two
        // codes; the replaced one is canceled only once this send is sure to go (after the charge),
        // since a refusal (402, unsupported destination) must leave everything as it was.
        replaced = pending;
        code = fresh;
        verification = this.newVerification(req, e164, locale, template, code, now, ttlMs);
      }
      // A new verification with the code rendered above sends that text; a resend (its own code
      // and expiry) or a test number's fixed code is rendered for what it is.
      const { text, info } =
        verification.send_count === 1 && code === generated
          ? first
          : this.rendered(req, locale, template, code, Math.round((verification.expires_at - now) / 60000));
      const listed = this.price(req.account.currency, e164, req.channel, info.segments);
      if (listed === undefined) return { refusal: this.noPrice(req.account.currency, e164, req.channel) };
      const price = test ? 0 : listed;
      const message = queuedMessage(
        this.d.config.dispatch.deadline_seconds,
        { accountId: req.account.id, family: req.family, from: req.from, channel: req.channel, verificationId: verification.id, to: e164, locale: verification.locale, meta: req.voice ? { voice: req.voice } : undefined },
        maskCode(text, code),
        info,
        price,
        now,
      );
      if (test) Object.assign(message, testDelivered(now));
      // The charge first: a refusal (402) must leave everything as it was.
      if (!(await charge(ctx, message))) return { refusal: insufficient(price) };
      if (replaced && (await V.setVerificationStatus(ctx, replaced, 'pending', 'canceled', now))) await cancelQueued(ctx, replaced.id, now);
      if (verification.send_count === 1) await V.insertVerification(ctx, verification);
      else if (!(await V.recordResend(trx, pending!, now, config.verify.resend_cooldown_seconds * 1000)))
        throw this.resendRefusal(pending!, now) ?? new VerifyError('resend_conflict', 409, 'a concurrent resend won; retry', 'to');
      await insertMessage(ctx, message);
      const stored: Stored = { verification, message };
      if (req.idempotency)
        await V.putIdempotent(trx, {
          account_id: req.account.id,
          key: req.idempotency.key,
          request_hash: requestHash,
          response: JSON.stringify(stored),
          created_at: now,
        });
      // The plain code goes back beside the rows (never into the idempotency record): opening the
      // sealed copy again after the commit was 2% of an accept's CPU.
      return { ...stored, code };
    }).catch(async (e: unknown) => {
      await ticket?.undo();
      throw e;
    });

    if ('refusal' in outcome || 'replay' in outcome) await ticket?.undo();
    if ('refusal' in outcome) throw outcome.refusal;
    if ('replay' in outcome) {
      const stored = JSON.parse(outcome.replay) as Stored;
      return { ...stored, code: openCode(this.d.keys.seal, stored.verification.code_sealed), replayed: true };
    }
    this.recent.remember(outcome.verification);
    return { ...outcome, replayed: false };
  }

  /**
   * channel "auto", its second step: the same code by voice on the same verification, counted as a
   * send and charged as a call. Claimed with a guarded UPDATE (once across instances); when the
   * call has no price or the balance does not cover it, the verification stays an SMS one.
   */
  async voiceFallback(v: Verification): Promise<Message | VerifyError | undefined> {
    const now = this.d.now();
    const code = openCode(this.d.keys.seal, v.code_sealed);
    const text = voiceScript({ locale: v.locale as Locale, code, appName: v.app_name ?? undefined });
    const currency = (await getAccount(this.d.db, v.account_id))?.currency ?? this.d.config.pricing_currency;
    const price = this.price(currency, v.to_number, 'voice', 1);
    return this.d.writer.run(async (ctx) => {
      if (!(await claimVoiceFallback(ctx.trx, v.id, now))) return undefined;
      if (price === undefined) {
        await dropVoiceFallback(ctx.trx, v, now);
        return this.noPrice(currency, v.to_number, 'voice');
      }
      const message = queuedMessage(
        this.d.config.dispatch.deadline_seconds,
        { accountId: v.account_id, family: v.family, channel: 'voice', verificationId: v.id, to: v.to_number, locale: v.locale },
        maskCode(text, code),
        { encoding: 'ucs2', segments: 1 },
        price,
        now,
      );
      if (!(await chargeAndQueue(ctx, message))) {
        await dropVoiceFallback(ctx.trx, v, now);
        return insufficient(price);
      }
      return message;
    });
  }

  /** A plain message with no code (Bitel's sms/single): same pricing, outbox and receipts. */
  async sendText(req: {
    account: Account;
    family: string;
    to: string;
    text: string;
    channel?: Channel;
    from?: string;
    locale?: string;
    defaultRegion?: string;
    meta?: Record<string, unknown>;
    apiKeyId?: string;
  }): Promise<Message> {
    const now = this.d.now();
    const channel = req.channel ?? 'sms';
    const e164 = this.normalize(req.to, req.defaultRegion ?? req.account.default_region, channel);
    const info = channel === 'sms' ? analyzeText(req.text) : { encoding: 'ucs2' as const, segments: 1 };
    const listed = this.price(req.account.currency, e164, channel, info.segments);
    if (listed === undefined) throw this.noPrice(req.account.currency, e164, channel);
    const ticket = await screen(this.d.abuse, { account: req.account, to: e164, channel, apiKeyId: req.apiKeyId, price: listed });
    const test = ticket?.testCode !== undefined;
    const price = test ? 0 : listed;
    const message = queuedMessage(
        this.d.config.dispatch.deadline_seconds,
      { accountId: req.account.id, family: req.family, from: req.from, channel, verificationId: null, to: e164, locale: req.locale ?? 'en', meta: req.meta },
      req.text,
      info,
      price,
      now,
    );
    if (test) Object.assign(message, testDelivered(now));
    const ok = await this.d.writer
      .run((ctx) => chargeAndQueue(ctx, message))
      .catch(async (e: unknown) => {
        await ticket?.undo();
        throw e;
      });
    if (!ok) {
      await ticket?.undo();
      throw insufficient(price);
    }
    return message;
  }

  async check(account: Account, input: { id?: string; to?: string; code: string; defaultRegion?: string }): Promise<CheckResult> {
    const now = this.d.now();
    // A verification this process sent needs no read first: the counting UPDATE below judges its
    // status (a refused count reads the row then), and its number is known.
    let id = input.id;
    let to = id === undefined ? undefined : this.recent.numberOf(account.id, id);
    if (to === undefined) {
      let v: Verification | undefined;
      if (input.id) {
        v = await V.getVerification(this.d.db, account.id, input.id);
        if (!v) throw notFound('verification', input.id);
      } else {
        const e164 = this.normalize(input.to ?? '', input.defaultRegion ?? account.default_region, 'voice');
        v = await V.latestFor(this.d.db, account.id, e164);
        if (!v) throw new VerifyError('verification_not_found', 404, `no verification was sent to ${e164}; send one first`, 'to');
      }
      if (v.status !== 'pending') throw notPending(v.id, v.status);
      id = v.id;
      to = v.to_number;
    }
    const vid = id!;
    await this.d.abuse?.beforeCheck(account, to);

    const result = await this.d.writer.run(async (ctx): Promise<CheckResult | Refusal> => {
      const counted = await V.countAttempt(ctx.trx, account.id, vid, now);
      if (!counted) {
        const cur = await V.getVerification(ctx.trx, account.id, vid);
        if (!cur) return { refusal: notFound('verification', vid) };
        let status = cur.status as VerificationStatus;
        if (status === 'pending' && cur.expires_at <= now) {
          await V.setVerificationStatus(ctx, cur, 'pending', 'expired', now);
          status = 'expired';
        } else if (status === 'pending') {
          await V.setVerificationStatus(ctx, cur, 'pending', 'max_attempts_reached', now);
          status = 'max_attempts_reached';
        }
        return { refusal: notPending(cur.id, status) };
      }
      const attemptsLeft = counted.max_attempts - counted.attempts;
      const valid = codeMatches(this.d.keys.hash, vid, input.code, counted.code_hash);
      let status: VerificationStatus = 'pending';
      if (valid) {
        if (!(await V.setVerificationStatus(ctx, counted, 'pending', 'approved', now)))
          return { refusal: notPending(vid, 'approved') };
        status = 'approved';
        await cancelQueued(ctx, vid, now);
      } else if (attemptsLeft === 0) {
        await V.setVerificationStatus(ctx, counted, 'pending', 'max_attempts_reached', now);
        status = 'max_attempts_reached';
      }
      return { verification: { ...counted, status }, valid, attemptsLeft };
    });
    if ('refusal' in result) throw result.refusal;
    await this.d.abuse?.afterCheck(account, to, result.valid);
    return result;
  }

  /** Closes a pending verification: canceled, or approved without a code (Twilio's Status=approved). */
  async cancel(account: Account, id: string, to: 'canceled' | 'approved' = 'canceled'): Promise<Verification> {
    const now = this.d.now();
    const v = await V.getVerification(this.d.db, account.id, id);
    if (!v) throw notFound('verification', id);
    const ok = await this.d.writer.run(async (ctx) => {
      if (!(await V.setVerificationStatus(ctx, v, 'pending', to, now))) return false;
      await cancelQueued(ctx, v.id, now);
      return true;
    });
    if (!ok) throw notPending(id, (await V.getVerification(this.d.db, account.id, id))!.status);
    return { ...v, status: to, updated_at: now };
  }

  /** The caller checked the code itself and reports it used (src/verify/feedback.ts). */
  feedback(account: Account, id: string): Promise<Verification> {
    return reportApproved(this.d, account, id);
  }

  /** A verification as it is now; a pending one past its expiry reads as expired. */
  async get(account: Account, id: string): Promise<Verification> {
    const v = await V.getVerification(this.d.db, account.id, id);
    if (!v) throw notFound('verification', id);
    if (v.status === 'pending' && v.expires_at <= this.d.now()) return { ...v, status: 'expired' };
    return v;
  }

  /** The plain code of a verification, for vendor APIs that list it back to their caller. */
  revealCode(v: Pick<Verification, 'code_sealed'>): string {
    return openCode(this.d.keys.seal, v.code_sealed);
  }

  /** revealCode for lists: null for a row this secret cannot open, so one bad row never fails the page. */
  tryRevealCode(v: Pick<Verification, 'code_sealed'>): string | null {
    try {
      return this.revealCode(v);
    } catch {
      return null;
    }
  }

  normalize(input: string, region: string, channel: Channel): string {
    const r = normalizePhone(input, region, { allowFixedLine: channel === 'voice' });
    if (!r.ok) throw new VerifyError('invalid_phone_number', 400, r.message, 'to');
    return r.e164;
  }

  private locale(input: string | undefined): Locale {
    const l = input ?? this.d.config.verify.default_locale;
    const base = l.toLowerCase().split(/[-_]/)[0];
    if (!isLocale(base))
      throw new VerifyError('invalid_locale', 400, `locale "${l}" is not supported; use one of en, fa, ne, ar, hi, es, fr, de, ru, tr`, 'locale');
    return base;
  }

  private template(req: SendRequest, locale: Locale): string | undefined {
    if (req.templateId !== undefined) {
      // Own keys only: "toString" or "__proto__" is no template.
      const t = Object.hasOwn(this.d.config.templates, req.templateId) ? this.d.config.templates[req.templateId] : undefined;
      if (!t) throw new VerifyError('template_not_found', 400, `no template "${req.templateId}"; define it under "templates" in the config`, 'template_id');
      return t[locale] ?? t.en ?? Object.values(t)[0];
    }
    if (req.template !== undefined) {
      const problem = templateProblem(req.template);
      if (problem) throw new VerifyError('invalid_template', 400, problem, 'template');
    }
    return req.template;
  }

  private render(req: SendRequest, locale: Locale, template: string | undefined, code: string, minutes: number): string {
    if (req.render) return req.render(code);
    if (req.channel === 'voice') return voiceScript({ locale, code, appName: req.appName, repeat: req.voice?.repeat });
    return renderSms({ locale, code, appName: req.appName, minutes, template });
  }

  /** The message for `code` and its encoding and segments (a call is one unit, UCS-2). */
  private rendered(req: SendRequest, locale: Locale, template: string | undefined, code: string, minutes: number): { text: string; info: { encoding: string; segments: number } } {
    const text = this.render(req, locale, template, code, minutes);
    return { text, info: req.channel === 'sms' ? analyzeText(text) : { encoding: 'ucs2', segments: 1 } };
  }

  /** Micro-units of `currency` (the account's), per core/pricing.ts: its own price table, else a rate. */
  private price(currency: string, e164: string, channel: Channel, segments: number): number | undefined {
    const { prices, pricing_currency: base, currency_rates: rates } = this.d.config;
    return priceFor(prices, e164, channel, segments, { currency, base, rates });
  }

  private noPrice(currency: string, e164: string, channel: Channel): VerifyError {
    const fix = currency === this.d.config.pricing_currency
      ? 'add a price rule for its prefix'
      : `add a price rule with "currency": "${currency}" for its prefix, or a rate under currency_rates.${currency}`;
    return new VerifyError('unsupported_destination', 400, `no ${channel} price in ${currency} is configured for ${e164}; ${fix}`, 'to');
  }

  private resendRefusal(v: Verification, now: number): VerifyError | undefined {
    if (v.send_count >= v.max_sends)
      return new VerifyError('max_sends_reached', 429, `verification ${v.id} was sent ${v.send_count} times, the most allowed; wait until it expires (${new Date(v.expires_at).toISOString()})`, 'to', Math.ceil((v.expires_at - now) / 1000));
    const wait = v.last_sent_at + this.d.config.verify.resend_cooldown_seconds * 1000 - now;
    if (wait > 0)
      return new VerifyError('resend_cooldown', 429, `a code was sent to this number ${Math.round((now - v.last_sent_at) / 1000)} s ago; retry after ${Math.ceil(wait / 1000)} s`, 'to', Math.ceil(wait / 1000));
    return undefined;
  }

  private newVerification(req: SendRequest, to: string, locale: Locale, template: string | undefined, code: string, now: number, ttlMs: number): Verification {
    const id = newId();
    const { verify } = this.d.config;
    return {
      id,
      account_id: req.account.id,
      family: req.family,
      to_number: to,
      channel: req.autoVoice ? 'auto' : req.channel,
      status: 'pending',
      code_hash: hashCode(this.d.keys.hash, id, code),
      code_sealed: sealCode(this.d.keys.seal, code),
      locale,
      app_name: req.appName ?? null,
      template: template ?? null,
      attempts: 0,
      max_attempts: verify.max_attempts,
      send_count: 1,
      max_sends: verify.max_sends,
      last_sent_at: now,
      expires_at: now + ttlMs,
      created_at: now,
      updated_at: now,
      meta: req.meta ? JSON.stringify(req.meta) : null,
    };
  }

}

/** 422: an Idempotency-Key sent again with another body. */
function reusedKey(): VerifyError {
  return new VerifyError('idempotency_key_reused', 422, 'this Idempotency-Key was used with a different request body; use a new key for a new request', 'Idempotency-Key');
}
