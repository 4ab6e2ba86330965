/**
 * The abuse decision (DESIGN.md "Abuse"): one call before anything is written or charged.
 *
 *   decide(send) → a Ticket (allowed; undo() gives its counts back if the send is refused later)
 *                | throws AbuseRefusal (rate_limited | suspected_fraud | spend_cap_reached | geo_permission_denied)
 *
 * In order: test number (nothing else applies) → geo permissions → active pumping block → one
 * batch of counter updates (every named limit, the spend caps, the prefix's pumping window),
 * issued together so Redis sees one round trip → the verdicts. Checks: beforeCheck() refuses
 * once a number has had too many wrong codes; afterCheck() counts a wrong code or an approval.
 */
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AbuseConfig, LimitRuleConfig } from '../config.ts';
import { countryOf, destinationPrefix, geoDecision } from '../core/geo.ts';
import { judgePrefix, type PumpingRules } from '../core/pumping.ts';
import type { EventHub, StoreEvent } from '../store/events.ts';
import type { Account, Database } from '../store/schema.ts';
import type { GroupWriter } from '../store/writer.ts';
import { BlockBook } from './blocks.ts';
import { MemoryPumpCounters, type PumpCounters, RedisPumpCounters, type WindowState } from './counters.ts';
import { abuseEvent } from './events.ts';
import { Limiters, type Outcome, scopeOf } from './limits.ts';
import { geoDenied, rateLimited, spendCapReached, suspectedFraud } from './refusal.ts';
import { type AccountView, SettingsCache } from './settings.ts';
import { type Cap, capRule, capsFor, consumeCap, crossedAlert, msToMidnight } from './spend.ts';
import { ReceiptTally } from './receipts.ts';

export interface AbuseDeps {
  config: AbuseConfig;
  db: Kysely<Database>;
  writer: GroupWriter;
  hub: EventHub;
  log: Logger;
  now: () => number;
  /** Shared client (auto-pipelining on); absent = counters in this process's memory. */
  redis?: Redis;
}

export interface SendFacts {
  account: Account;
  /** E.164. */
  to: string;
  channel: 'sms' | 'voice';
  keyId?: string;
  /** End-user IP, when the caller passes it. */
  ip?: string;
  /** Estimated price of the send (micro-units), for the spend caps. */
  price?: number;
}

/** An allowed send. */
export interface Ticket {
  /** Set for a test number: the fixed code, no carrier, no charge. */
  testCode?: string;
  /** Gives back what the decision counted (the send was refused or replayed after all). */
  undo(): Promise<void>;
}

const NOTHING: Ticket = { undo: async () => undefined };

type Counted = { space: string; rule: LimitRuleConfig; key: string; points: number; outcome: Promise<Outcome> };

export class Abuse {
  readonly limiters: Limiters;
  readonly counters: PumpCounters;
  readonly blocks: BlockBook;
  readonly settings: SettingsCache;
  private readonly rules: PumpingRules;
  private readonly tally: ReceiptTally;
  private readonly off: () => void;
  private lastFault = -Infinity;

  constructor(private readonly d: AbuseDeps) {
    const c = d.config;
    this.limiters = new Limiters(d.redis, c.redis_prefix);
    const w = { windowMs: c.pumping.window_seconds * 1000, bucketMs: c.pumping.bucket_seconds * 1000, reportingMs: c.pumping.reporting_days * 86_400_000 };
    this.counters = d.redis ? new RedisPumpCounters(d.redis, c.redis_prefix, w) : new MemoryPumpCounters(w);
    this.blocks = new BlockBook({ db: d.db, writer: d.writer, log: d.log, now: d.now, cacheMs: c.cache_ms, blockMs: c.pumping.block_seconds * 1000, globalAfter: c.pumping.global_after_accounts,
      onGone: (b) => {
        if (b.account_id !== '*') void this.counters.reset(b.account_id, b.prefix).catch((e) => this.fault(e));
      },
    });
    this.settings = new SettingsCache(d.db, c.cache_ms, d.now);
    const p = c.pumping;
    this.rules = { floor: p.floor, threshold: p.threshold, failureFloor: p.failure_floor, failureThreshold: p.failure_threshold, velocityMax: p.velocity_max };
    this.tally = new ReceiptTally(d.db, (accountId, to, kind) => this.countReceipt(accountId, to, kind), d.log);
    this.off = d.hub.on((e: StoreEvent) => this.tally.onEvent(e));
  }

  /** The pumping prefix of a number. */
  pumpPrefix(e164: string): string {
    return destinationPrefix(e164, this.d.config.pumping.prefix_digits);
  }

  /** The rule of a named limit for an account (its override on top of the config's). */
  rule(view: AccountView, name: string): LimitRuleConfig | undefined {
    const base = this.d.config.limits[name];
    if (!base) return undefined;
    const r = { ...base, ...view.settings.limits?.[name] };
    return r.points > 0 ? r : undefined;
  }

  async decide(s: SendFacts): Promise<Ticket> {
    const c = this.d.config;
    if (!c.enabled) return NOTHING;
    const [view] = await Promise.all([this.settings.get(s.account.id), this.blocks.refresh()]);
    const testCode = view.testNumbers.get(s.to);
    if (testCode !== undefined) return { testCode, undo: NOTHING.undo };

    const countries = view.settings.geo?.[s.channel] ?? [s.account.default_region, ...c.geo.countries];
    const geo = geoDecision(s.to, { countries, highRisk: c.geo.high_risk_prefixes, highRiskAllowed: view.settings.high_risk_allowed ?? [] });
    if (!geo.ok) throw geoDenied(geo.country, geo.reason === 'high_risk' ? geo.prefix : undefined, s.channel);

    const pumpPrefix = this.pumpPrefix(s.to);
    const now = this.d.now();
    const block = c.pumping.enabled ? this.blocks.find(s.account.id, pumpPrefix) : undefined;
    if (block) throw suspectedFraud(block.prefix, block.id, block.expires_at - now);

    // Everything below is issued without an await in between: one Redis round trip.
    const counted: Counted[] = [];
    const count = (space: string, rule: LimitRuleConfig, key: string, points = 1) =>
      counted.push({ space, rule, key, points, outcome: this.limiters.consume(space, rule, key, points) });
    for (const name of Object.keys(c.limits)) {
      const rule = this.rule(view, name);
      const key = rule && this.keyOf(name, s);
      if (rule && key !== undefined) count(name, rule, key);
    }
    const caps = s.price ? capsFor(s.account.id, geo.country ?? countryOf(s.to), now, { daily: view.settings.spend?.daily_cap ?? c.spend.daily_cap, countryDaily: view.settings.spend?.country_daily_cap ?? c.spend.country_daily_cap, countries: view.settings.spend?.countries }) : [];
    const spends = caps.map((cap) => ({ cap, outcome: consumeCap(this.limiters, cap, s.price!) }));
    const pump = c.pumping.enabled ? this.counters.add(s.account.id, pumpPrefix, 's', 1, now).catch((e) => this.fault(e)) : undefined;

    const outcomes = await Promise.all(counted.map((x) => x.outcome.catch((e) => this.fault(e))));
    const spent = await Promise.all(spends.map((x) => x.outcome.catch((e) => this.fault(e))));
    const win = await pump;
    const undo = async () => {
      await Promise.all([
        ...counted.map((x, i) => (outcomes[i]?.ok ? this.limiters.reward(x.space, x.rule, x.key, x.points).catch(() => undefined) : undefined)),
        ...spends.map((x, i) => (spent[i]?.ok ? this.limiters.reward('spend', capRule(x.cap), x.cap.key, s.price!).catch(() => undefined) : undefined)),
        win ? this.counters.add(s.account.id, pumpPrefix, 's', -1, now).catch(() => undefined) : undefined,
      ]);
    };

    // The refused limit with the longest wait is the one to name.
    let refused: { name: string; ms: number } | undefined;
    outcomes.forEach((o, i) => {
      if (o && !o.ok && (!refused || o.res.msBeforeNext > refused.ms)) refused = { name: counted[i].space, ms: o.res.msBeforeNext };
    });
    if (refused) {
      await undo();
      throw rateLimited(refused.name, refused.ms, this.describeKey(refused.name));
    }
    const over = spends.findIndex((_, i) => spent[i] && !spent[i]!.ok);
    if (over >= 0) {
      await undo();
      throw spendCapReached(spends[over].cap.name, spends[over].cap.micros, msToMidnight(now));
    }
    if (win) {
      const verdict = judgePrefix(win.counts, this.rules, win.reporter);
      if (verdict) {
        const b = await this.blocks.block(s.account.id, pumpPrefix, verdict);
        await undo();
        throw suspectedFraud(b.prefix, b.id, b.expires_at - now);
      }
    }
    spends.forEach((x, i) => {
      const o = spent[i];
      if (o?.ok && crossedAlert(o.res.consumedPoints, s.price!, x.cap, c.spend.alert_ratio)) void this.spendAlert(s.account.id, x.cap, o.res.consumedPoints);
    });
    return { undo };
  }

  /** Before a check is counted: refuses once the number has had too many wrong codes. */
  async beforeCheck(account: Account, to: string): Promise<void> {
    if (!this.d.config.enabled) return;
    const view = await this.settings.get(account.id);
    if (view.testNumbers.has(to)) return;
    const rule = this.rule(view, 'wrong_checks_per_number_1h');
    if (!rule) return;
    const used = await this.limiters.used('wrong_checks_per_number_1h', rule, `${account.id}:${to}`).catch(() => null);
    if (used && used.consumedPoints >= rule.points) throw rateLimited('wrong_checks_per_number_1h', used.msBeforeNext, 'wrong codes for this number');
  }

  /** After a check: a wrong code counts toward the number's limit; an approval toward conversion. */
  async afterCheck(account: Account, to: string, valid: boolean): Promise<void> {
    if (!this.d.config.enabled) return;
    const view = await this.settings.get(account.id);
    if (view.testNumbers.has(to)) return;
    if (valid) return this.approved(account.id, to);
    const rule = this.rule(view, 'wrong_checks_per_number_1h');
    if (rule) await this.limiters.consume('wrong_checks_per_number_1h', rule, `${account.id}:${to}`).catch((e) => this.fault(e));
  }

  /** A code used (native check or feedback): counts toward its prefix's conversion. */
  async approved(accountId: string, to: string): Promise<void> {
    if (!this.d.config.enabled || !this.d.config.pumping.enabled) return;
    await this.counters.add(accountId, this.pumpPrefix(to), 'a', 1, this.d.now()).catch((e) => this.fault(e));
  }

  /** Lifts a block and forgets its prefix's window, so it is judged afresh. */
  async lift(id: string, by: string) {
    const b = await this.blocks.lift(id, by);
    if (b && b.account_id !== '*') await this.counters.reset(b.account_id, b.prefix).catch((e) => this.fault(e));
    return b;
  }

  async start(): Promise<void> {
    await this.blocks.refresh(true);
  }

  /** Counts the receipts that arrived so far (they are batched off the send path). */
  flushReceipts(): Promise<void> {
    return this.tally.flush();
  }

  async close(): Promise<void> {
    this.off();
    await this.tally.flush();
  }

  private countReceipt(accountId: string, to: string, kind: 'd' | 'f'): Promise<WindowState | undefined> {
    return this.counters.add(accountId, this.pumpPrefix(to), kind, 1, this.d.now()).catch((e) => this.fault(e));
  }

  private keyOf(name: string, s: SendFacts): string | undefined {
    switch (scopeOf(name)) {
      case 'number':
        return `${s.account.id}:${s.to}`;
      case 'account':
        return s.account.id;
      case 'key':
        return s.keyId;
      case 'prefix':
        return `${s.account.id}:${destinationPrefix(s.to, this.d.config.prefix_digits)}`;
      case 'ip':
        return s.ip === undefined ? undefined : `${s.account.id}:${s.ip}`;
      case 'check':
        return undefined;
    }
  }

  private describeKey(name: string): string {
    const what: Record<string, string> = { number: 'sends to this number', account: 'sends from this account', key: 'sends with this API key', prefix: `sends to this ${this.d.config.prefix_digits}-digit prefix`, ip: 'sends for this end-user IP', check: 'wrong codes' };
    return what[scopeOf(name)];
  }

  private async spendAlert(accountId: string, cap: Cap, used: number): Promise<void> {
    const now = this.d.now();
    const data = { cap: cap.name, cap_micros: cap.micros, used_micros: used, ratio: Math.round((used / cap.micros) * 1000) / 1000 };
    this.d.log.warn({ account_id: accountId, ...data }, `abuse: account ${accountId} used ${data.ratio * 100}% of spend cap ${cap.name}`);
    await this.d.writer.run(({ trx }) => abuseEvent(trx, accountId, 'abuse.spend_alert', data, now)).catch((e) => this.fault(e));
  }

  /** A counter store fault never refuses a send: logged (at most every 10 s), and the check is skipped. */
  private fault(e: unknown): undefined {
    const t = Date.now();
    if (t - this.lastFault >= 10_000) {
      this.lastFault = t;
      this.d.log.error({ err: e }, 'abuse: counter store failed; check skipped');
    }
    return undefined;
  }
}
