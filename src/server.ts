/** `otpgate start`: the gateway process, with a clean shutdown on SIGINT/SIGTERM. */
import type { Config } from './config.ts';
import { createGateway } from './gateway.ts';
import { buildApp } from './http/app.ts';

export async function startServer(config: Config): Promise<void> {
  const started = performance.now();
  const gw = await createGateway(config);
  const app = await buildApp(gw);
  const address = await app.listen({ host: config.host, port: config.port });
  const base = address.replace('[::1]', 'localhost');
  if (gw.bootstrap)
    gw.log.info(
      { account_id: gw.bootstrap.accountId, api_key: gw.bootstrap.token },
      `created the dev account; its API key (shown once): ${gw.bootstrap.token}`,
    );
  if (config.dev_inbox.enabled) gw.log.info({ inbox_url: `${base}/inbox` }, `dev inbox: ${base}/inbox`);
  // `url` marks the ready line for scripts and tests that start the process (PORT=0 picks the port).
  gw.log.info({ url: base, ms: Math.round(performance.now() - started) }, `otpgate ready on ${base} (API docs: ${base}/docs)`);

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    gw.log.info({ signal }, 'shutting down');
    await app.close();
    await gw.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}
