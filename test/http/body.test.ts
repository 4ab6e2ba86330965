// Bodies as real clients send them, over real HTTP: an empty JSON body on a route that takes none,
// and an oversized body whose 413 must reach clients that write the whole body first (Node's fetch).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { build } from '../helpers/gateway.ts';

const MB = 1024 * 1024;

test('an empty body with Content-Type: application/json is accepted on routes that take none; routes with a body still say invalid_json', async (t) => {
  const h = await build(t);
  const sent = await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(), payload: { to: '+14155550140', channel: 'sms' } });
  const id = sent.json().id;
  for (const ct of ['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON']) {
    for (const payload of ['', ' ', '\r\n']) {
      const res = await h.app.inject({ method: 'POST', url: `/v1/verifications/${id}/cancel`, headers: { ...h.auth(), 'content-type': ct }, payload });
      // The first cancels; the next ones find it canceled: either way an answer about the verification, not the body.
      assert.ok(res.statusCode === 200 || res.json().error.code === 'verification_canceled', `${ct} ${JSON.stringify(payload)}: ${res.body}`);
    }
  }
  const other = await h.app.inject({ method: 'POST', url: `/v1/verifications/${'0'.repeat(32)}/cancel`, headers: { ...h.auth(), 'content-type': 'application/json' }, payload: '' });
  assert.deepEqual([other.statusCode, other.json().error.code], [404, 'verification_not_found']);
  // Retry of a webhook delivery takes no body either.
  const retry = await h.app.inject({ method: 'POST', url: `/v1/webhook/deliveries/${'0'.repeat(32)}/retry`, headers: { ...h.auth(), 'content-type': 'application/json' }, payload: '' });
  assert.notEqual(retry.json().error?.code, 'invalid_json', retry.body);
  // Bad JSON on a body-less route is still bad JSON.
  const bad = await h.app.inject({ method: 'POST', url: `/v1/verifications/${id}/cancel`, headers: { ...h.auth(), 'content-type': 'application/json' }, payload: '{' });
  assert.deepEqual([bad.statusCode, bad.json().error.code], [400, 'invalid_json']);
  for (const url of ['/v1/verifications', '/v1/verifications/check']) {
    const res = await h.app.inject({ method: 'POST', url, headers: { ...h.auth(), 'content-type': 'application/json' }, payload: '' });
    assert.deepEqual([res.statusCode, res.json().error.code], [400, 'invalid_json'], url);
  }
});

test('a 5 MB body gets the named 413 through Node’s fetch (Content-Length and chunked), on every family, and the server keeps serving', async (t) => {
  const h = await build(t);
  const base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  const big = `{"to":"${'1'.repeat(5 * MB)}"}`;
  const cases: Array<[string, (body: unknown) => void]> = [
    ['/v1/verifications', (b) => assert.equal((b as { error: { code: string } }).error.code, 'body_too_large')],
    ['/v1/verifications/check', (b) => assert.equal((b as { error: { code: string } }).error.code, 'body_too_large')],
    [`/v1/verifications/${'0'.repeat(32)}/cancel`, (b) => assert.equal((b as { error: { code: string } }).error.code, 'body_too_large')],
    ['/api/v2/sms/otp', (b) => assert.deepEqual(b, { result: null, error: 'InvalidRequest' })],
    ['/api/v1/auths/send/otp/', (b) => assert.equal((b as { status: number }).status, 413)],
  ];
  for (const [path, shape] of cases) {
    const res = await fetch(base + path, { method: 'POST', headers: { ...h.auth(), 'content-type': 'application/json' }, body: big });
    assert.equal(res.status, 413, path);
    shape(await res.json());
    // Chunked: no Content-Length, the limit is found while reading.
    const chunk = new TextEncoder().encode('1'.repeat(64 * 1024));
    let sentBytes = 0;
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"to":"'));
      },
      pull(c) {
        if (sentBytes >= 5 * MB) return c.close();
        sentBytes += chunk.length;
        c.enqueue(chunk);
      },
    });
    const chunked = await fetch(base + path, { method: 'POST', headers: { ...h.auth(), 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit);
    assert.equal(chunked.status, 413, `${path} chunked`);
    shape(await chunked.json());
  }
  const after = await fetch(`${base}/v1/verifications`, { method: 'POST', headers: { ...h.auth(), 'content-type': 'application/json' }, body: JSON.stringify({ to: '+14155550141', channel: 'sms' }) });
  assert.equal(after.status, 201);
});

test('a body announced far over the drain bound is refused without reading it; the client gets the 413 or a closed socket, never a hang', async (t) => {
  const h = await build(t);
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = h.app.server.address() as { port: number };
  const status = await new Promise<number | string>((resolve) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/verifications', headers: { ...h.auth(), 'content-type': 'application/json', 'content-length': String(1024 * MB) } });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (e) => resolve((e as NodeJS.ErrnoException).code ?? 'error'));
    req.write('{"to":"');
  });
  assert.ok(status === 413 || status === 'ECONNRESET' || status === 'EPIPE', String(status));
});

test('a client that writes the whole oversized body before reading (slowly, as over a real network) still reads the 413', async (t) => {
  const h = await build(t);
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = h.app.server.address() as { port: number };
  for (const framing of ['content-length', 'chunked'] as const) {
    const sock = connect(port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    let answer = '';
    let writeError: string | undefined;
    let written = false;
    let closedEarly = false;
    sock.on('data', (d) => (answer += d.toString('latin1')));
    sock.on('error', (e: NodeJS.ErrnoException) => (writeError ??= e.code));
    const ended = new Promise((r) => {
      sock.once('end', () => {
        closedEarly = !written;
        r(null);
      });
      sock.once('close', r);
    });
    const size = 5 * MB;
    const head = framing === 'content-length' ? `content-length: ${size}` : 'transfer-encoding: chunked';
    sock.write(`POST /v1/verifications HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${h.token}\r\ncontent-type: application/json\r\n${head}\r\n\r\n`);
    // Give the server time to answer early: a server that closes before reading the body is caught here.
    await new Promise((r) => setTimeout(r, 300));
    const piece = Buffer.alloc(256 * 1024, 0x31);
    for (let sent = 0; sent < size && !writeError && !sock.destroyed; sent += piece.length) {
      const data = framing === 'chunked' ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece;
      if (!sock.write(data)) await Promise.race([new Promise((r) => sock.once('drain', r)), ended]);
    }
    if (framing === 'chunked' && !writeError && !sock.destroyed) sock.write('0\r\n\r\n');
    written = true;
    await ended;
    sock.destroy();
    assert.equal(writeError, undefined, `${framing}: the client's write failed (${writeError}) before it could read the answer`);
    assert.equal(closedEarly, false, `${framing}: the server closed the connection before the client had sent its body (a client like fetch fails with EPIPE)`);
    assert.match(answer, /^HTTP\/1\.1 413 /, framing);
    assert.match(answer, /"code":"body_too_large"/, framing);
  }
});
