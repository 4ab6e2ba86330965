/**
 * The dev inbox page in a real browser: a listening server, headless Debian Chromium via
 * playwright-core. Messages sent through the API appear live (no reload) with the code marked,
 * Persian reads right to left, a voice call plays (or says how to get espeak-ng), Clear empties
 * this page and every other open one.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import Fastify from 'fastify';
import pino from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import { VoiceAudio } from '../../src/http/inbox/audio.ts';
import { inboxRoutes } from '../../src/http/inbox/routes.ts';
import { build, type Harness } from '../helpers/gateway.ts';
import { hasCommand } from '../helpers/machine.ts';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = '/tmp/inbox.png';

const hasEspeak = hasCommand('espeak-ng');

// One browser for the file (a launch costs seconds), a fresh page per test.
let browser: Promise<Browser> | undefined;
after(async () => (await browser)?.close());

function launch(): Promise<Browser> {
  // A missing browser is a broken machine, not a reason to skip: CI installs it (.ci/run).
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Chromium (Debian: apt-get install chromium) to run the browser tests`);
  browser ??= chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return browser;
}

async function sendOverHttp(base: string, h: Harness, payload: Record<string, unknown>): Promise<{ message: { id: string } }> {
  const res = await fetch(`${base}/v1/verifications`, { method: 'POST', headers: { ...h.auth(), 'content-type': 'application/json' }, body: JSON.stringify(payload) });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()) as { message: { id: string } };
}

async function codeOf(base: string, messageId: string): Promise<string> {
  const { data } = (await (await fetch(`${base}/inbox/api/messages`)).json()) as { data: Array<{ message_id: string; code: string }> };
  const item = data.find((m) => m.message_id === messageId);
  assert.ok(item, `message ${messageId} is in the inbox`);
  return item.code;
}

const cardOf = (page: Page, messageId: string) => page.locator(`article[data-message-id="${messageId}"]`);

test('the inbox page: live arrivals with the code marked, RTL Persian, voice audio, Clear', async (t) => {
  const h = await build(t);
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(h.app.server.address() as { port: number }).port}`;
  const page = await (await launch()).newPage({ viewport: { width: 1100, height: 900 } });
  t.after(() => page.close());
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));

  await page.goto(`${base}/inbox`);
  await page.locator('#live.on').waitFor({ timeout: 5000 });
  assert.match(await page.locator('.empty h2').innerText(), /No messages yet/);
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

  // An English SMS arrives live, its code marked, its status following the receipts.
  const sms = await sendOverHttp(base, h, { to: '+14155552671', channel: 'sms', app_name: 'Acme' });
  await h.settle();
  const smsCard = cardOf(page, sms.message.id);
  await smsCard.waitFor({ timeout: 5000 });
  assert.equal(await smsCard.locator('mark.code').innerText(), await codeOf(base, sms.message.id));
  await smsCard.locator('.status.delivered').waitFor({ timeout: 5000 });
  assert.match(await smsCard.locator('.head').innerText(), /\+14155552671[\s\S]*SMS[\s\S]*GSM-7 · 1 segment/);

  // Persian reads right to left; the code inside keeps its digit order.
  const fa = await sendOverHttp(base, h, { to: '+989121234567', channel: 'sms', locale: 'fa' });
  await h.settle();
  const faCard = cardOf(page, fa.message.id);
  await faCard.waitFor({ timeout: 5000 });
  assert.equal(await faCard.locator('.text').evaluate((el) => getComputedStyle(el).direction), 'rtl');
  assert.equal(await faCard.locator('mark.code').innerText(), await codeOf(base, fa.message.id));
  assert.match(await faCard.locator('.head').innerText(), /UCS-2/);

  // A voice call shows its script with the digits marked, and a player (or how to get one).
  const voice = await sendOverHttp(base, h, { to: '+442071234567', channel: 'voice' });
  await h.settle();
  const voiceCard = cardOf(page, voice.message.id);
  await voiceCard.waitFor({ timeout: 5000 });
  assert.match(await voiceCard.locator('.label').innerText(), /voice script/i);
  assert.equal(await voiceCard.locator('mark.code').first().innerText(), (await codeOf(base, voice.message.id)).split('').join(' '));
  if (hasEspeak) {
    const seconds = await voiceCard.locator('audio').evaluate(
      (a: HTMLAudioElement) =>
        new Promise<number>((resolve, reject) => {
          a.addEventListener('loadedmetadata', () => resolve(a.duration));
          a.addEventListener('error', () => reject(new Error(`audio error ${a.error?.code}`)));
          a.preload = 'auto';
          a.load();
        }),
    );
    assert.ok(seconds > 1 && Number.isFinite(seconds), `a call of a few seconds, got ${seconds}`);
  } else {
    assert.match(await voiceCard.locator('.hint').innerText(), /apt-get install espeak-ng/);
  }

  // Newest first, all without a reload.
  const order = await page.locator('article').evaluateAll((els) => els.map((e) => e.getAttribute('data-message-id')));
  assert.deepEqual(order, [voice.message.id, fa.message.id, sms.message.id]);
  assert.equal(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded), true);
  assert.match(await page.locator('#count').innerText(), /^3 messages$/);
  await page.waitForTimeout(1700); // let the arrival highlight fade before the picture
  await page.screenshot({ path: SCREENSHOT, fullPage: true });

  // Clear empties the page and the inbox.
  await page.locator('#clear').click();
  await page.locator('.empty h2').waitFor({ timeout: 5000 });
  assert.equal(await page.locator('article').count(), 0);
  const after = (await (await fetch(`${base}/inbox/api/messages`)).json()) as { data: unknown[] };
  assert.equal(after.data.length, 0);
  assert.deepEqual(pageErrors, []);
});

test('without espeak-ng a call says how to get it; a clear on one page empties the others', async (t) => {
  const h = await build(t);
  // The inbox routes over the same gateway with an espeak-ng that is not there.
  const app = Fastify({ loggerInstance: pino({ level: 'silent' }) });
  await app.register(inboxRoutes, { gw: h.gw, audio: new VoiceAudio({ binary: '/nonexistent/espeak-ng' }) });
  t.after(() => app.close());
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const context = await (await launch()).newContext();
  t.after(() => context.close());
  const sent = await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(), payload: { to: '+14155552671', channel: 'voice' } });
  assert.equal(sent.statusCode, 201, sent.body);
  await h.settle();
  const [a, b] = [await context.newPage(), await context.newPage()];
  for (const p of [a, b]) {
    await p.goto(`${base}/inbox`);
    await cardOf(p, sent.json().message.id).waitFor({ timeout: 5000 });
    await p.locator('#live.on').waitFor({ timeout: 5000 });
  }
  assert.equal(await a.locator('audio').count(), 0);
  assert.match(await a.locator('article .hint').innerText(), /apt-get install espeak-ng/);
  await a.locator('#clear').click();
  await b.locator('.empty h2').waitFor({ timeout: 5000 });
  assert.equal(await b.locator('article').count(), 0);
});

test('a list answer that reaches the page after a live arrival does not undo it', async (t) => {
  // On a busy machine the page's first list answer (read empty, before the send) reached it after
  // the message's live `new`, and replacing the items with it dropped the card for good (the
  // `update` then found no item): inbox.test.ts timed out waiting for its status. Held here on purpose.
  const h = await build(t);
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(h.app.server.address() as { port: number }).port}`;
  const page = await (await launch()).newPage();
  t.after(() => page.close());
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let answered!: () => void;
  const listAnswered = new Promise<void>((r) => (answered = r));
  await page.route('**/inbox/api/messages?limit=*', async (route) => {
    const res = await route.fetch(); // read now: empty
    await released;
    await route.fulfill({ response: res });
    answered();
  });
  await page.goto(`${base}/inbox`);
  await page.locator('#live.on').waitFor({ timeout: 5000 });
  const first = await sendOverHttp(base, h, { to: '+14155552671', channel: 'sms' });
  await h.settle();
  await cardOf(page, first.message.id).locator('.status.delivered').waitFor({ timeout: 5000 });
  release();
  await listAnswered;
  await page.unroute('**/inbox/api/messages?limit=*');
  // A later arrival goes through the same live feed after the stale answer was applied.
  const second = await sendOverHttp(base, h, { to: '+14155552672', channel: 'sms' });
  await h.settle();
  await cardOf(page, second.message.id).waitFor({ timeout: 5000 });
  assert.equal(await cardOf(page, first.message.id).locator('.status.delivered').count(), 1, 'the first card and its status survived the stale list');
  assert.match(await page.locator('#count').innerText(), /^2 messages$/);
});
