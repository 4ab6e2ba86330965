/**
 * The dev inbox API: the JSON listing with status and direction, DELETE, the live SSE feed read
 * off a real socket, the voice call as a WAV (espeak-ng) or a 503 naming the fix, and that
 * production turns it all off.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import pino from 'pino';
import { loadConfig } from '../../src/config.ts';
import { createGateway } from '../../src/gateway.ts';
import { buildApp } from '../../src/http/app.ts';
import { VoiceAudio, fixWavSizes, languagesOf } from '../../src/http/inbox/audio.ts';
import { inboxRoutes } from '../../src/http/inbox/routes.ts';
import { build, type Harness } from '../helpers/gateway.ts';
import { testDatabase } from '../helpers/db.ts';
import { hasCommand } from '../helpers/machine.ts';

const hasEspeak = hasCommand('espeak-ng');

async function send(h: Harness, payload: Record<string, unknown>) {
  const res = await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(), payload });
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

async function listing(h: Harness, query = '') {
  const res = await h.app.inject({ method: 'GET', url: `/inbox/api/messages${query}` });
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

test('listing: newest first, with code, direction, encoding, segments, delivery status and audio link', async (t) => {
  const h = await build(t);
  const sms = await send(h, { to: '+14155552671', channel: 'sms' });
  await h.settle();
  h.advance(1000);
  await send(h, { to: '+989121234567', channel: 'sms', locale: 'fa' });
  await send(h, { to: '+442071234567', channel: 'voice', locale: 'en' });
  await h.settle();
  const body = await listing(h);
  assert.deepEqual(body.audio.available, hasEspeak);
  const [voice, fa, en] = body.data;
  assert.deepEqual(
    body.data.map((m: { to: string }) => m.to),
    ['+442071234567', '+989121234567', '+14155552671'],
  );
  assert.equal(en.message_id, sms.message.id);
  assert.equal(en.direction, 'ltr');
  assert.equal(en.encoding, 'gsm7');
  assert.equal(en.segments, 1);
  assert.equal(en.status, 'delivered');
  assert.match(en.code, /^[0-9]{6}$/);
  assert.ok(en.text.includes(en.code));
  assert.equal(en.audio_url, null);
  assert.equal(fa.direction, 'rtl');
  assert.equal(fa.encoding, 'ucs2');
  assert.equal(voice.channel, 'voice');
  assert.ok(voice.text.includes(voice.code.split('').join(' ')), 'the script says the digits one by one');
  assert.equal(voice.audio_url, `/inbox/api/messages/${voice.id}/audio.wav`);

  assert.deepEqual((await listing(h, '?limit=1')).data.map((m: { id: number }) => m.id), [voice.id]);
  assert.deepEqual((await listing(h, `?to=${encodeURIComponent('+989121234567')}`)).data.map((m: { id: number }) => m.id), [fa.id]);
  const bad = await h.app.inject({ method: 'GET', url: '/inbox/api/messages?limit=0' });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().error.field, 'limit');
});

test('DELETE clears the inbox; the messages themselves stay', async (t) => {
  const h = await build(t);
  const sent = await send(h, { to: '+14155552671', channel: 'sms' });
  await h.settle();
  assert.equal((await listing(h)).data.length, 1);
  const del = await h.app.inject({ method: 'DELETE', url: '/inbox/api/messages' });
  assert.equal(del.statusCode, 200);
  assert.deepEqual(del.json(), { cleared: true });
  assert.equal((await listing(h)).data.length, 0);
  const msg = await h.app.inject({ method: 'GET', url: `/v1/messages/${sent.message.id}`, headers: h.auth() });
  assert.equal(msg.json().status, 'delivered');
});

test('SSE over a real socket: `new` carries the item, `update` its status, `cleared` the clear', async (t) => {
  const h = await build(t);
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = h.app.server.address() as { port: number };
  const ac = new AbortController();
  t.after(() => ac.abort());
  const res = await fetch(`http://127.0.0.1:${port}/inbox/api/events`, { signal: ac.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const events = readEvents(res.body!);

  const sent = await send(h, { to: '+14155552671', channel: 'sms' });
  await h.settle();
  const first = await events.until((e) => e.event === 'new');
  assert.equal(first.data.message_id, sent.message.id);
  assert.match(first.data.code, /^[0-9]{6}$/);
  assert.ok(first.data.text.includes(first.data.code));
  await events.until((e) => e.event === 'update' && e.data.message_id === sent.message.id && e.data.status === 'delivered');

  await h.app.inject({ method: 'DELETE', url: '/inbox/api/messages' });
  await events.until((e) => e.event === 'cleared');
});

test('the app closes with a live page still connected', { timeout: 10_000 }, async (t) => {
  const h = await build(t);
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = h.app.server.address() as { port: number };
  const res = await fetch(`http://127.0.0.1:${port}/inbox/api/events`);
  const reader = res.body!.getReader();
  await reader.read(); // ": connected"
  await h.app.close();
  for (;;) if ((await reader.read()).done) break; // the server ended the stream
});

test(`voice audio: ${hasEspeak ? 'espeak-ng renders a RIFF/WAVE file' : 'espeak-ng is missing: 503 audio_unavailable'}`, async (t) => {
  const h = await build(t);
  await send(h, { to: '+989121234567', channel: 'voice', locale: 'fa' });
  await h.settle();
  const [item] = (await listing(h)).data;
  const res = await h.app.inject({ method: 'GET', url: item.audio_url });
  if (hasEspeak) {
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['content-type'], 'audio/wav');
    const wav = res.rawPayload;
    assert.equal(wav.toString('ascii', 0, 4), 'RIFF');
    assert.equal(wav.toString('ascii', 8, 12), 'WAVE');
    assert.equal(wav.readUInt32LE(4), wav.length - 8, 'the RIFF size is the real one, not "unknown"');
    assert.ok(wav.length > 44 + 22050, 'at least half a second of 22 kHz 16-bit sound');
    const again = await h.app.inject({ method: 'GET', url: item.audio_url });
    assert.ok(again.rawPayload.equals(wav));
  } else {
    assert.equal(res.statusCode, 503, res.body);
    assert.equal(res.json().error.code, 'audio_unavailable');
    assert.match(res.json().error.message, /apt-get install espeak-ng/);
  }
});

test('voice audio errors: unknown id 404, SMS 404 no_audio, bad id 400 naming the field', async (t) => {
  const h = await build(t);
  await send(h, { to: '+14155552671', channel: 'sms' });
  await h.settle();
  const [sms] = (await listing(h)).data;
  const cases: Array<[string, number, string]> = [
    ['/inbox/api/messages/999999/audio.wav', 404, 'inbox_message_not_found'],
    [`/inbox/api/messages/${sms.id}/audio.wav`, 404, 'no_audio'],
    ['/inbox/api/messages/abc/audio.wav', 400, 'invalid_value'],
    [`/inbox/api/messages/${'9'.repeat(40)}/audio.wav`, 400, 'invalid_value'],
  ];
  for (const [url, status, code] of cases) {
    const res = await h.app.inject({ method: 'GET', url });
    assert.equal(res.statusCode, status, `${url}: ${res.body}`);
    assert.equal(res.json().error.code, code, url);
    assert.equal(res.json().error.field, 'id', url);
  }
});

test('without espeak-ng: the listing says how to install it and the WAV is a 503 naming the fix', async (t) => {
  const h = await build(t);
  await send(h, { to: '+442071234567', channel: 'voice' });
  await h.settle();
  // The same routes over the same gateway, with an espeak-ng that is not there.
  const app = Fastify({ loggerInstance: pino({ level: 'silent' }) });
  await app.register(inboxRoutes, { gw: h.gw, audio: new VoiceAudio({ binary: '/nonexistent/espeak-ng' }) });
  t.after(() => app.close());
  const body = (await app.inject({ method: 'GET', url: '/inbox/api/messages' })).json();
  assert.equal(body.audio.available, false);
  assert.match(body.audio.hint, /apt-get install espeak-ng/);
  const res = await app.inject({ method: 'GET', url: body.data[0].audio_url });
  assert.equal(res.statusCode, 503);
  assert.equal(res.json().error.code, 'audio_unavailable');
  assert.match(res.json().error.message, /apt-get install espeak-ng/);
});

test('an espeak-ng that fails or prints no WAV: 503 audio_unavailable saying so, and nothing cached', async (t) => {
  const h = await build(t);
  await send(h, { to: '+442071234567', channel: 'voice' });
  await h.settle();
  const dir = mkdtempSync(join(tmpdir(), 'otpgate-espeak-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // Real executables standing in for a broken install: they list a voice, then fail to speak.
  const fakes = {
    failing: ['echo "voice data missing" >&2', 'exit 1', /espeak-ng failed \(voice data missing\)/],
    silent: ['printf "not a wav"', 'exit 0', /produced no WAV/],
  } as const;
  for (const [name, [speak, exit, expected]] of Object.entries(fakes)) {
    const bin = join(dir, name);
    writeFileSync(bin, `#!/bin/sh\nif [ "$1" = --voices ]; then echo "Pty Language Age/Gender VoiceName File"; echo " 5 en --/M English gmw/en"; exit 0; fi\ncat >/dev/null\n${speak}\n${exit}\n`, { mode: 0o755 });
    const app = Fastify({ loggerInstance: pino({ level: 'silent' }) });
    await app.register(inboxRoutes, { gw: h.gw, audio: new VoiceAudio({ binary: bin }) });
    t.after(() => app.close());
    const body = (await app.inject({ method: 'GET', url: '/inbox/api/messages' })).json();
    assert.equal(body.audio.available, true, name);
    for (let i = 0; i < 2; i++) {
      const res = await app.inject({ method: 'GET', url: body.data[0].audio_url });
      assert.equal(res.statusCode, 503, `${name}: ${res.body}`);
      assert.equal(res.json().error.code, 'audio_unavailable');
      assert.match(res.json().error.message, expected);
    }
  }
});

test('espeak helpers: voice languages from --voices, WAV sizes fixed from the real length', () => {
  const listing = [
    'Pty Language       Age/Gender VoiceName          File                 Other Languages',
    ' 2  en-gb           --/M      English_(Great_Britain) gmw/en               (en 2)',
    ' 5  fa              --/M      Persian            ira/fa',
    ' 1  hi              --/M      hindi-mbrola-1     mb/mb-in1',
  ].join('\n');
  assert.deepEqual([...languagesOf(listing)].sort(), ['en', 'en-gb', 'fa']);
  const wav = Buffer.alloc(44 + 10);
  wav.write('RIFF', 0, 'ascii');
  wav.writeUInt32LE(0x7ffff024, 4);
  wav.write('WAVEfmt ', 8, 'ascii');
  wav.writeUInt32LE(16, 16);
  wav.write('data', 36, 'ascii');
  wav.writeUInt32LE(0x7ffff000, 40);
  fixWavSizes(wav);
  assert.equal(wav.readUInt32LE(4), 46);
  assert.equal(wav.readUInt32LE(40), 10);
});

test('NODE_ENV=production: no dev inbox unless OTPGATE_DEV_INBOX=1', async (t) => {
  for (const [env, expected] of [
    [{ NODE_ENV: 'production' }, 404],
    [{ NODE_ENV: 'production', OTPGATE_DEV_INBOX: '1' }, 200],
  ] as const) {
    const database = await testDatabase();
    const config = loadConfig({ database_url: database.url, secret: 'test-secret-test-secret-test-secret-0123', log_level: 'silent' }, env);
    assert.equal(config.dev_inbox.enabled, expected === 200);
    const gw = await createGateway(config, { log: pino({ level: 'silent' }) });
    const app = await buildApp(gw, { logger: false });
    t.after(async () => {
      await app.close();
      await gw.close();
      await database.drop();
    });
    // (the enabled event stream never ends, so inject checks it only where it is absent)
    for (const url of expected === 404 ? ['/inbox', '/inbox/api/messages', '/inbox/api/events'] : ['/inbox', '/inbox/api/messages'])
      assert.equal((await app.inject({ method: 'GET', url })).statusCode, expected, `${JSON.stringify(env)} ${url}`);
  }
});

interface SseEvent {
  event: string;
  data: any;
}

/** Parses a text/event-stream body; until() resolves with the first event (seen or coming) that matches. */
function readEvents(body: ReadableStream<Uint8Array>) {
  const seen: SseEvent[] = [];
  let wake = () => {};
  let done = false;
  void (async () => {
    const decoder = new TextDecoder();
    let buf = '';
    try {
      const reader = body.getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) {
        buf += decoder.decode(r.value, { stream: true });
        let at: number;
        while ((at = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, at);
          buf = buf.slice(at + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event) seen.push({ event, data: JSON.parse(data ?? 'null') });
        }
        wake();
      }
    } catch {
      // aborted at the end of the test
    }
    done = true;
    wake();
  })();
  let from = 0;
  return {
    async until(match: (e: SseEvent) => boolean): Promise<SseEvent> {
      for (;;) {
        const i = seen.findIndex((e, k) => k >= from && match(e));
        if (i >= 0) {
          from = i + 1;
          return seen[i]!;
        }
        if (done) throw new Error(`stream ended; events so far: ${JSON.stringify(seen.map((e) => e.event))}`);
        await new Promise<void>((r) => (wake = r));
      }
    },
  };
}
