/**
 * The operator console in a real browser (Debian Chromium via playwright-core) against a
 * listening gateway with a real SMPP bind (tools/smsc): sign-in (a wrong token refused, the token
 * never in the URL or storage, the cookie out of script's reach), a send appearing live and its
 * history, carriers live over SSE, Persian text right to left, times in the browser's zone,
 * a key created (shown once) and revoked, a request without the CSRF token refused, and the
 * ledger and blocks actions when the build has those admin endpoints. Screenshots of every
 * page go to /tmp/otpgate-shots/; with OTPGATE_DOCS_SCREENSHOT=1 the overview is also written to
 * docs/console-overview.png (the README's picture), so CI never rewrites it.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startSmsc } from '../../tools/smsc/server.ts';
import { build, type Harness } from '../helpers/gateway.ts';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = '/tmp/otpgate-shots';
const DOCS_SHOT = fileURLToPath(new URL('../../docs/console-overview.png', import.meta.url));
const ADMIN = 'browser-admin-token-0123456789abcdef';
const ZONE = 'Asia/Tehran';

let browser: Promise<Browser> | undefined;
after(async () => (await browser)?.close());
function launch(): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Chromium (Debian: apt-get install chromium) to run the browser tests`);
  browser ??= chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  return browser;
}

async function send(h: Harness, to: string, extra: Record<string, unknown> = {}): Promise<{ id: string; message: { id: string } }> {
  const res = await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(), payload: { to, channel: 'sms', ...extra } });
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

/** Waits (real time) until the message's receipt has arrived, so the clock moves on only after it. */
async function final(h: Harness, id: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    await h.gw.writer.flush();
    const m = await h.gw.store.db.selectFrom('messages').select('status').where('id', '=', id).executeTakeFirstOrThrow();
    if (m.status === 'delivered' || m.status === 'undelivered') return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`message ${id} got no receipt`);
}

async function approve(h: Harness, id: string): Promise<void> {
  const v = await h.gw.store.db.selectFrom('verifications').select('code_sealed').where('id', '=', id).executeTakeFirstOrThrow();
  const res = await h.app.inject({ method: 'POST', url: '/v1/verifications/check', headers: h.auth(), payload: { id, code: h.gw.verify.revealCode(v) } });
  assert.equal(res.json().valid, true, res.body);
}

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.waitForTimeout(300);
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

/** Does this build have the admin endpoint (another module's)? Probed through the console's bridge. */
async function hasAdmin(h: Harness, cookie: string, path: string): Promise<boolean> {
  const res = await h.app.inject({ method: 'GET', url: `/dashboard/api/admin${path}`, headers: { cookie } });
  return !(res.statusCode === 404 && res.json().error?.code === 'not_found');
}

test('the console in Chromium: sign in, live sends and history, carriers, RTL, keys, CSRF', async (t) => {
  const smsc = await startSmsc({ receipt_delay_ms: 50, outcomes: {} }); // every number delivered
  t.after(() => smsc.close());
  const h = await build(t, {
    admin_token: ADMIN,
    providers: [
      { name: 'devinbox', kind: 'devinbox' },
      { name: 'carrier', kind: 'smpp', host: '127.0.0.1', port: smsc.port, system_id: 'otpgate', password: 'secret', window: 10 },
    ],
    routes: [{ prefix: '977', providers: [{ name: 'carrier' }] }, { prefix: '98', providers: [{ name: 'carrier' }] }, { providers: [{ name: 'devinbox' }] }],
    verify: { resend_cooldown_seconds: 0 },
    dispatch: { poll_ms: 50 },
  });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(h.app.server.address() as { port: number }).port}`;

  // Traffic spread over the last half hour: the overview has curves and a funnel to show.
  const start = h.clock.now;
  h.advance(-30 * 60_000);
  // Each send its own number (so its own verification): [country, number prefix, E.164 length].
  const kinds: Array<[string, string, number]> = [['US', '+14155552', 12], ['NP', '+97798012345', 14], ['IR', '+98912123', 13], ['GB', '+447400123', 13], ['US', '+14155553', 12], ['NP', '+97798123456', 14]];
  const tally = new Map<string, { sent: number; approved: number }>();
  const waits: number[] = [];
  for (let i = 0; i < 18; i++) {
    const [country, prefix, length] = kinds[i % kinds.length];
    const v = await send(h, `${prefix}${String(10 + i).padStart(length - prefix.length, '0')}`);
    waits.push(800 + (i % 4) * 700);
    h.advance(waits[i]); // the carrier takes a moment: accept → delivered is not 0
    await h.settle();
    await final(h, v.message.id);
    const t = tally.get(country) ?? { sent: 0, approved: 0 };
    t.sent++;
    if (i % 3 !== 2) {
      await approve(h, v.id);
      t.approved++;
    }
    tally.set(country, t);
    h.advance(90_000);
  }
  h.clock.now = Math.max(h.clock.now, start);

  const context = await (await launch()).newContext({ viewport: { width: 1360, height: 900 }, timezoneId: ZONE, locale: 'en-US' });
  t.after(() => context.close());
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));

  // Signed out: the form. A wrong token is refused with a line saying what the token is.
  await page.goto(`${base}/dashboard`);
  await page.fill('#token', 'not-the-token');
  await page.click('button[type=submit]');
  assert.match(await page.locator('.error').innerText(), /not the admin token/);
  assert.equal((await context.cookies()).length, 0, 'no session for a wrong token');
  await shot(page, '0-signin-refused');

  await page.fill('#token', ADMIN);
  await page.click('button[type=submit]');
  await page.locator('#page-overview .tile').first().waitFor({ timeout: 10_000 });
  const [cookie] = await context.cookies();
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.equal(await page.evaluate(() => document.cookie), '', 'scripts cannot read the session');
  assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length), 0);
  assert.ok(requests.every((u) => !u.includes(ADMIN)), 'the token never appears in a URL');
  assert.ok(requests.every((u) => u.startsWith(base)), `no request leaves the gateway (CDN): ${requests.filter((u) => !u.startsWith(base))}`);
  const session = `${cookie.name}=${cookie.value}`;

  // Overview: figures, two uPlot charts, funnels per country and provider.
  await page.locator('#live.on').waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('#zone').innerText(), ZONE);
  assert.equal(await page.locator('#page-overview .uplot').count(), 2);
  assert.equal(await page.locator('[data-tile="sends, last hour"] .v').innerText(), '18');
  const rank = (q: number) => [...waits].sort((a, b) => a - b)[Math.ceil(q * waits.length) - 1];
  assert.equal(await page.locator('[data-tile="accept → delivered, median"] .v').innerText(), `${(rank(0.5) / 1000).toFixed(2)} s`);
  assert.equal(await page.locator('[data-tile="accept → delivered, p95"] .v').innerText(), `${(rank(0.95) / 1000).toFixed(2)} s`);
  const approved = [...tally.values()].reduce((a, t) => a + t.approved, 0);
  assert.equal(await page.locator('[data-tile="approved, last hour"] .v').innerText(), String(approved));
  const np = tally.get('NP')!;
  assert.deepEqual(await page.locator('#funnel-country tr[data-key="NP"] td').allInnerTexts(), ['NP', `${np.sent}`, `${np.sent}`, `${np.approved}`, '100.0%', `${((np.approved / np.sent) * 100).toFixed(1)}%`]);
  const viaCarrier = np.sent + tally.get('IR')!.sent;
  assert.match(await page.locator('#funnel-provider tr[data-key="carrier"]').innerText(), new RegExp(`carrier\\s+${viaCarrier}\\s+${viaCarrier}\\s+${np.approved + tally.get('IR')!.approved}\\s`));
  await page.mouse.move(700, 330); // a cursor over the chart shows its legend values
  await shot(page, '1-overview');
  if (process.env.OTPGATE_DOCS_SCREENSHOT === '1') {
    mkdirSync(fileURLToPath(new URL('../../docs/', import.meta.url)), { recursive: true });
    await page.screenshot({ path: DOCS_SHOT, fullPage: true });
  }

  // Messages: a send appears live (no reload), its status follows, its history opens.
  await page.click('nav a[data-page=messages]');
  await page.locator('#messages tbody tr.row').first().waitFor();
  await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
  const fa = await send(h, '+989121234599', { locale: 'fa' });
  const row = page.locator(`#messages tr[data-id="${fa.message.id}"]`);
  await row.waitFor({ timeout: 10_000 });
  await row.locator('.status.delivered').waitFor({ timeout: 15_000 });
  assert.equal(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed), true, 'arrived without a reload');
  const created = (await h.gw.store.db.selectFrom('messages').select('created_at').where('id', '=', fa.message.id).executeTakeFirstOrThrow()).created_at;
  const expectedTime = new Date(created).toLocaleString('en-US', { timeZone: ZONE, dateStyle: 'short', timeStyle: 'medium' });
  assert.equal(await row.locator('td').first().innerText(), expectedTime, "the time reads in the browser's zone");
  await row.click();
  const history = page.locator('#history li');
  await page.locator('#detail').waitFor();
  assert.deepEqual(await history.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.status)), ['queued', 'sending', 'sent', 'delivered']);
  assert.equal(await page.locator('#detail .body').evaluate((el) => getComputedStyle(el).direction), 'rtl', 'Persian reads right to left');
  assert.ok(!/\d{4,}/.test(await page.locator('#detail .body').innerText().then((s) => s.replace(/[۰-۹]/g, '0'))), 'the code is masked');
  assert.equal(await page.locator('#detail dd bdi').first().evaluate((el) => getComputedStyle(el).direction), 'ltr', 'numbers keep their order');
  await shot(page, '2-messages');

  // Search and filters.
  await page.fill('#filters input[name=q]', '97798012345'); // three NP numbers of the traffic above
  await page.click('#filters button[type=submit]');
  await page.waitForFunction(() => document.querySelectorAll('#messages tbody tr.row').length === 3);
  await page.fill('#filters input[name=q]', '');
  await page.selectOption('#filters select[name=status]', 'delivered');
  await page.fill('#filters input[name=country]', 'GB');
  await page.click('#filters button[type=submit]');
  await page.waitForFunction(() => document.querySelectorAll('#messages tbody tr.row').length === 3);

  // Carriers: the SMPP bind, live.
  await page.click('nav a[data-page=carriers]');
  const bind = page.locator('[data-provider="carrier"] tr[data-bind="1"]');
  await bind.locator('.status.bound').waitFor({ timeout: 10_000 });
  assert.match(await bind.locator('.window').innerText(), /^0 \/ 10$/);
  assert.match(await page.locator('[data-provider="devinbox"] h2').innerText(), /devinbox/);
  await shot(page, '3-carriers');

  // Abuse: refusals by limit from this instance's counters (send to one number until a limit says no).
  let refusal: { status: number; label?: string } = { status: 0 };
  for (let i = 0; i < 15 && refusal.status !== 429; i++) {
    const r = await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(), payload: { to: '+14155550000', channel: 'sms' } });
    refusal = { status: r.statusCode, label: r.json().error?.limit ?? r.json().error?.code };
  }
  assert.equal(refusal.status, 429, 'a limit refuses the flood');
  await page.click('nav a[data-page=abuse]');
  await page.locator('#refusals tbody tr').first().waitFor();
  assert.match(await page.locator('#refusals').innerText(), new RegExp(`${refusal.label}\\s+native\\s+1`));
  // Blocks (the abuse module's admin API): a pumping block on a prefix, lifted from the page.
  if (await hasAdmin(h, session, '/blocks')) {
    const id = 'b'.repeat(32);
    const now = h.clock.now;
    await sql`insert into abuse_blocks (id, account_id, prefix, reason, figures, created_at, expires_at, lifted_at, lifted_by)
      values (${id}, ${h.account.id}, ${'9779851'}, ${'low_conversion'}, ${JSON.stringify({ sent: 40, approved: 1, conversion: 0.025 })}, ${now}, ${now + 43_200_000}, ${null}, ${null})`.execute(h.gw.store.db);
    await page.click('nav a[data-page=overview]');
    await page.click('nav a[data-page=abuse]');
    const block = page.locator(`#blocks tr[data-block="${id}"]`);
    await block.waitFor();
    assert.match(await block.innerText(), /9779851[\s\S]*low_conversion[\s\S]*sent 40 · approved 1 · conversion 0\.025/);
    await shot(page, '4-abuse');
    await block.locator('button.lift').click();
    await page.locator('#toast').filter({ hasText: 'lifted' }).waitFor();
    await block.waitFor({ state: 'detached' });
    const all = await h.app.inject({ method: 'GET', url: '/dashboard/api/admin/blocks?all=true', headers: { cookie: session } });
    assert.ok(all.json().data.find((b: { id: string; lifted_at: string | null }) => b.id === id)?.lifted_at, 'the block is recorded as lifted');
  } else {
    await shot(page, '4-abuse');
  }

  // Accounts: a key created (shown once), then revoked; the API refuses it afterwards.
  await page.click('nav a[data-page=accounts]');
  const card = page.locator(`#accounts [data-account="${h.account.id}"]`);
  await card.waitFor();
  await card.locator('button.newkey').click();
  const token = await card.locator('.once .token').innerText();
  assert.match(token, /^otpg_/);
  const keyRow = card.locator('table.keys tbody tr').last();
  await page.evaluate(() => location.reload());
  await card.waitFor();
  assert.equal(await card.locator('.once:not([hidden])').count(), 0, 'a new key is shown once');
  assert.equal(await card.locator('table.keys tbody tr').count(), 2);
  await keyRow.locator('button.revoke').click();
  await keyRow.locator('.status.revoked').waitFor();
  const refused = await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(token), payload: { to: '+14155552679', channel: 'sms' } });
  assert.equal(refused.statusCode, 401, 'the revoked key is refused');
  // Test numbers (the abuse module's admin API): added with a fixed code, then removed.
  if (await hasAdmin(h, session, `/accounts/${h.account.id}/test-numbers`)) {
    const form = card.locator('form.add-test-number');
    await form.locator('input[name=number]').fill('+14155550199');
    await form.locator('input[name=code]').fill('424242');
    await form.locator('button[type=submit]').click();
    const tn = card.locator('.testnumbers tr[data-number="+14155550199"]');
    await tn.waitFor();
    assert.match(await tn.innerText(), /424242/);
    await tn.locator('button.remove').click();
    await tn.waitFor({ state: 'detached' });
  }
  if (await hasAdmin(h, session, `/accounts/${h.account.id}/ledger`)) {
    const before = await card.locator('.balance').innerText();
    await card.locator('input[name=amount]').fill('25');
    await card.locator('input[name=reason]').fill('top-up by bank transfer');
    await card.locator('button.credit').click();
    await page.waitForFunction((b) => document.querySelector('.balance')?.textContent !== b, before);
  }
  await shot(page, '5-accounts');

  // The page's own session without the CSRF header: refused.
  const forged = await page.evaluate(async (id) => {
    const r = await fetch(`/dashboard/api/accounts/${id}/keys`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    return { status: r.status, code: (await r.json()).error.code };
  }, h.account.id);
  assert.deepEqual(forged, { status: 403, code: 'csrf_token_missing' });
  assert.deepEqual(errors, []);
});
