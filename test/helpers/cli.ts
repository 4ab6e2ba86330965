/**
 * The `otpgate` command as a real child process on a temp data dir, for the CLI tests. The child
 * always gets the dir's test database (databaseEnv): on a PostgreSQL run a child left without
 * DATABASE_URL would quietly fall back to a SQLite file in the dir, so a test that starts a
 * gateway on PostgreSQL and then lists its messages with the CLI would read an empty database.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { BIN, childEnv } from '../e2e/server-process.ts';
import { databaseEnv } from './db.ts';

/** What a finished `otpgate …` run left: its exit code and both streams. */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A stack trace line: a CLI error is a sentence for the user, never one of these. */
export const STACK = /^\s+at .+:\d+:\d+\)?$/m;

/**
 * Runs `otpgate ...args` in `dir` (its data dir) on the dir's test database and resolves when it
 * exits (never rejects: a non-zero exit is a result the test asserts on). `env` wins over the
 * database's own variables, so a test can still point a child elsewhere on purpose.
 */
export async function otpgate(dir: string, args: string[], env: Record<string, string> = {}, timeoutMs = 90_000): Promise<Run> {
  const dbEnv = await databaseEnv(dir);
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: dir, env: childEnv(dir, { ...dbEnv, ...env }), timeout: timeoutMs }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A TCP port nothing listens on (bound, then released), for "cannot reach" answers. */
export async function closedPort(): Promise<number> {
  const srv = createServer().listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}
