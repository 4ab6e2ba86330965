/**
 * The operator's console at /dashboard, on the gateway's own port: the sign-in form, the page
 * and its assets (uPlot from node_modules, no CDN), and the JSON/SSE API under /dashboard/api
 * (api.ts, live.ts). Off (404 saying how to enable it) without `admin_token`.
 *
 * Sign-in: the form POSTs the admin token (urlencoded, never in a URL); a right token sets the
 * session cookie (session.ts) and redirects to the page; wrong tokens are rate limited per IP.
 * Every /dashboard/api request needs the session; every one that changes something also needs
 * the CSRF header and, when the browser sends an Origin, our own origin.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Gateway } from '../../gateway.ts';
import { SweptRateLimiterMemory } from '../../abuse/memory-store.ts';
import { VerifyError } from '../../verify/errors.ts';
import { consoleApi } from './api.ts';
import { consoleLive } from './live.ts';
import { sameSecret } from './secret.ts';
import { ConsoleSessions, CSRF_HEADER, readCookie, sessionCookie } from './session.ts';

const WEB = (f: string) => fileURLToPath(new URL(`../../../web/dashboard/${f}`, import.meta.url));
const UPLOT = (f: string) => createRequire(import.meta.url).resolve(`uplot/dist/${f}`);

const ASSETS: Record<string, { file: () => string; type: string }> = {
  'app.js': { file: () => WEB('app.js'), type: 'text/javascript; charset=utf-8' },
  'app.css': { file: () => WEB('app.css'), type: 'text/css; charset=utf-8' },
  'uPlot.min.js': { file: () => UPLOT('uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  'uPlot.min.css': { file: () => UPLOT('uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

/** Content-Security-Policy of the console's pages: our own scripts and styles only. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

declare module 'fastify' {
  interface FastifyRequest {
    consoleSession?: string;
  }
}

export async function consoleRoutes(app: FastifyInstance, opts: { gw: Gateway }): Promise<void> {
  const { gw } = opts;
  const token = gw.config.admin_token;
  if (!token) {
    app.get('/dashboard', { schema: { hide: true } }, async (_req, reply) =>
      reply.status(404).type('text/plain; charset=utf-8').send('The operator console is off. Set "admin_token" (at least 24 characters) in the config, or OTPGATE_ADMIN_TOKEN, and restart to turn on /dashboard.\n'),
    );
    return;
  }
  const sessions = new ConsoleSessions(token);
  const page = readFileSync(WEB('index.html'), 'utf8');
  const login = readFileSync(WEB('login.html'), 'utf8');
  const assets = new Map(Object.entries(ASSETS).map(([name, a]) => [name, { body: readFileSync(a.file()), type: a.type }]));
  // Ten wrong tokens a minute per address, then a five-minute wait: guessing a 24+ character token stays hopeless.
  const tries = new SweptRateLimiterMemory({ points: 10, duration: 60, blockDuration: 300 });
  const secure = (req: FastifyRequest) => req.protocol === 'https' || (gw.config.public_url ?? '').startsWith('https:');

  const html = (reply: FastifyReply, body: string, status = 200) =>
    reply.status(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').header('content-security-policy', CSP).header('x-frame-options', 'DENY').send(body);
  const loginPage = (error?: string) => login.replace('<!--error-->', error ? `<p class="error" role="alert">${error}</p>` : '');

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });

  app.get('/dashboard', { schema: { hide: true } }, async (req, reply) =>
    sessions.verify(readCookie(req.headers.cookie), gw.now()) ? html(reply, page) : html(reply, loginPage()),
  );

  app.get('/dashboard/assets/:name', { schema: { hide: true } }, async (req, reply) => {
    const a = assets.get((req.params as { name: string }).name);
    if (!a) throw new VerifyError('not_found', 404, 'no such console asset', 'name');
    return reply.type(a.type).header('cache-control', 'no-cache').send(a.body);
  });

  app.post('/dashboard/login', { schema: { hide: true } }, async (req, reply) => {
    const given = (req.body as { token?: unknown } | undefined)?.token;
    const limited = await tries.get(req.ip);
    if (limited && limited.consumedPoints >= 10)
      return html(reply, loginPage(`Too many wrong tokens from this address; try again in ${Math.ceil(limited.msBeforeNext / 1000)} s.`), 429);
    if (typeof given !== 'string' || !sameSecret(given, token)) {
      await tries.consume(req.ip).catch(() => undefined);
      req.log.warn({ ip: req.ip }, 'console sign-in refused: wrong admin token');
      return html(reply, loginPage('That is not the admin token. It is the "admin_token" of the config (or OTPGATE_ADMIN_TOKEN).'), 401);
    }
    await tries.delete(req.ip);
    return reply.header('set-cookie', sessionCookie(sessions.issue(gw.now()), secure(req))).redirect('/dashboard', 303);
  });

  app.post('/dashboard/logout', { schema: { hide: true } }, async (req, reply) =>
    reply.header('set-cookie', sessionCookie('', secure(req))).redirect('/dashboard', 303),
  );

  await app.register(async (api) => {
    api.addHook('onRequest', async (req) => {
      const nonce = sessions.verify(readCookie(req.headers.cookie), gw.now());
      if (!nonce) throw new VerifyError('console_signed_out', 401, 'sign in at /dashboard with the admin token', 'cookie');
      req.consoleSession = nonce;
      if (req.method === 'GET' || req.method === 'HEAD') return;
      const origin = req.headers.origin;
      if (origin && origin !== 'null' && new URL(origin).host !== req.headers.host)
        throw new VerifyError('csrf_origin_mismatch', 403, `a request from ${origin} may not act on this console`, 'Origin');
      const csrf = req.headers[CSRF_HEADER];
      if (typeof csrf !== 'string' || !csrf) throw new VerifyError('csrf_token_missing', 403, `send the token of GET /dashboard/api/session as the ${CSRF_HEADER} header`, CSRF_HEADER);
      if (!sameSecret(csrf, sessions.csrf(nonce))) throw new VerifyError('csrf_token_invalid', 403, 'the CSRF token does not belong to this session; reload the page', CSRF_HEADER);
    });
    api.get('/dashboard/api/session', { schema: { hide: true } }, async (req) => ({ csrf_token: sessions.csrf(req.consoleSession!) }));
    await api.register(consoleApi, { gw, adminToken: token });
    await api.register(consoleLive, { gw });
  });
}
