// Logs: readable lines on a terminal (pino-pretty), JSON when not a terminal or with LOG_FORMAT=json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { logFormat } from '../src/logging.ts';

const LOGGING = fileURLToPath(new URL('../src/logging.ts', import.meta.url));

test('the format follows the terminal unless LOG_FORMAT says otherwise', () => {
  assert.equal(logFormat({}, true), 'pretty');
  assert.equal(logFormat({}, false), 'json');
  assert.equal(logFormat({ LOG_FORMAT: 'json' }, true), 'json');
  assert.equal(logFormat({ LOG_FORMAT: ' JSON ' }, true), 'json');
  assert.equal(logFormat({ LOG_FORMAT: 'pretty' }, false), 'pretty');
  assert.equal(logFormat({ LOG_FORMAT: 'xml' }, false), 'json', 'an unknown value changes nothing');
  assert.equal(logFormat({ LOG_FORMAT: '' }, true), 'pretty');
});

test('a real process writes one JSON object per line, or readable lines when pretty', () => {
  const script = `import { createLogger, logFormat } from ${JSON.stringify(LOGGING)}; const log = createLogger('info', logFormat()); log.info({ url: 'http://x' }, 'otpgate ready');`;
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  const json = run({ LOG_FORMAT: 'json' });
  const line = JSON.parse(json.stdout.trim()) as { msg: string; url: string; level: number };
  assert.deepEqual([line.msg, line.url, line.level], ['otpgate ready', 'http://x', 30]);
  const piped = run({ LOG_FORMAT: '' });
  assert.equal((JSON.parse(piped.stdout.trim()) as { msg: string }).msg, 'otpgate ready', 'stdout is a pipe here: JSON');
  const pretty = run({ LOG_FORMAT: 'pretty' });
  assert.match(pretty.stdout, /INFO.*otpgate ready/);
  assert.match(pretty.stdout, /url: "http:\/\/x"/);
  assert.throws(() => JSON.parse(pretty.stdout.trim()));
});
