/**
 * `otpgate start`: the gateway process, with a graceful drain on SIGTERM/SIGINT (src/http/drain.ts
 * says what the HTTP side does meanwhile). A second signal exits at once.
 */
import type { Config } from './config.ts';
import { createGateway } from './gateway.ts';
import { buildApp } from './http/app.ts';
import { youngGenerationGrows } from './cli/heap.ts';

export async function startServer(config: Config): Promise<void> {
  const started = performance.now();
  const gw = await createGateway(config, { processMetrics: true });
  const app = await buildApp(gw);
  const address = await app.listen({ host: config.host, port: config.port });
  // Start-up is over: the young generation may grow again under load (src/cli/heap.ts).
  youngGenerationGrows();
  const base = address.replace('[::1]', 'localhost');
  if (gw.bootstrap)
    gw.log.info(
      { account_id: gw.bootstrap.accountId, api_key: gw.bootstrap.token },
      `created the dev account; its API key (shown once): ${gw.bootstrap.token}`,
    );
  if (config.dev_inbox.enabled) gw.log.info({ inbox_url: `${base}/inbox` }, `dev inbox: ${base}/inbox`);
  if (config.admin_token) gw.log.info({ dashboard_url: `${base}/dashboard` }, `operator console: ${base}/dashboard (sign in with the admin token)`);
  else gw.log.info('operator console and /admin are off: set "admin_token" in the config (or OTPGATE_ADMIN_TOKEN, at least 24 characters) to turn on /dashboard');
  // `url` marks the ready line for scripts and tests that start the process (PORT=0 picks the port).
  gw.log.info({ url: base, ms: Math.round(performance.now() - started) }, `otpgate ready on ${base} (API docs: ${base}/docs)`);

  let draining = false;
  /**
   * The drain, in order: /readyz 503 and new sends 503 + Retry-After at once; the listener stays
   * open for shutdown.grace_ms so load balancers see the 503 and stop routing here; then the
   * listener closes (in-flight requests finish), the dispatcher finishes its in-flight submits,
   * SMPP binds unbind, the writer flushes, webhooks stop, the database closes (gateway close()).
   * Past shutdown.timeout_ms the process exits 1 whatever is left.
   */
  const drain = async (signal: string) => {
    if (draining) {
      gw.log.warn({ signal }, 'second signal: exiting now without finishing the drain');
      process.exit(1);
    }
    draining = true;
    gw.draining = true;
    const { grace_ms, timeout_ms } = config.shutdown;
    gw.log.info({ signal, grace_ms }, `draining: /readyz answers 503 and new sends are refused; closing in ${grace_ms} ms (send the signal again to exit now)`);
    setTimeout(() => {
      gw.log.error({ timeout_ms }, 'the drain did not finish within shutdown.timeout_ms; exiting');
      process.exit(1);
    }, timeout_ms).unref();
    try {
      await new Promise((r) => setTimeout(r, grace_ms));
      await app.close();
      await gw.close();
      gw.log.info({ signal }, 'drained: every in-flight send finished, binds closed, writes flushed');
      process.exit(0);
    } catch (err) {
      gw.log.error({ err }, 'the drain failed');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void drain('SIGINT'));
  process.on('SIGTERM', () => void drain('SIGTERM'));
}
