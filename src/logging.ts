/**
 * The process logger: human-readable lines (pino-pretty, as Fastify users expect) when stdout is
 * a terminal, JSON lines (one object per line, for log shippers and the tests that read them)
 * when it is not, or when LOG_FORMAT=json. LOG_FORMAT=pretty forces the readable form.
 * Pretty-printing runs in this thread (a stream, not a worker transport), so it works the same
 * from the start bundle and from the TypeScript sources.
 */
import { createRequire } from 'node:module';
import pino, { type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';

export type LogFormat = 'json' | 'pretty';

/** Which format a process with this environment and stdout writes. */
export function logFormat(env: NodeJS.ProcessEnv = process.env, isTTY: boolean = process.stdout.isTTY === true): LogFormat {
  const asked = env.LOG_FORMAT?.trim().toLowerCase();
  if (asked === 'json' || asked === 'pretty') return asked;
  return isTTY ? 'pretty' : 'json';
}

export function createLogger(level: string, format: LogFormat = logFormat()): Logger {
  if (format === 'json') return pino({ level });
  // Loaded only for the readable form (~10 MB of RSS a JSON-logging server does not need);
  // synchronously, since createLogger is (pino-pretty is CommonJS).
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
  return pino({ level }, pretty({ colorize: process.stdout.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true }));
}
