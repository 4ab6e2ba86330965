// The simulator as its own process (`tools/smsc/main.ts`, as bench:e2e runs it): --report writes
// what it received when it is stopped, so a bench can count messages that never arrived.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pdu, smpp, type Pdu } from '../../src/providers/smpp/lib.ts';

test('--report writes the stats and every received destination, duplicates included, on SIGTERM', { timeout: 15_000 }, async (t) => {
  const report = join(mkdtempSync(join(tmpdir(), 'smsc-cli-')), 'report.json');
  const cli = join(import.meta.dirname, '..', '..', 'tools', 'smsc', 'main.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', cli, '--port', '0', '--report', report], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => void child.kill('SIGKILL'));
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  while (!/listening on [\d.]+:\d+/.test(out)) await once(child.stdout, 'data');
  const port = Number(/:(\d+) \(/.exec(out)![1]);

  const s = smpp.connect({ host: '127.0.0.1', port });
  s.on('error', () => undefined);
  await once(s, 'connect');
  const answers: Pdu[] = [];
  s.on('pdu', (p: Pdu) => void (p.isResponse() ? answers.push(p) : s.send(p.response())));
  s.send(pdu('bind_transceiver', { system_id: 'otpgate', password: 'secret', interface_version: 0x34 }));
  for (const to of ['9779841000001', '9779841000002', '9779841000001'])
    s.send(pdu('submit_sm', { source_addr: 'OTP', destination_addr: to, short_message: Buffer.from('code 1234') }));
  while (answers.length < 4) await new Promise((r) => setTimeout(r, 10));
  s.close();

  child.kill('SIGTERM');
  await once(child, 'exit');
  const written = JSON.parse(readFileSync(report, 'utf8')) as { stats: { accepted: number }; to: string[] };
  assert.equal(written.stats.accepted, 3);
  assert.deepEqual(written.to, ['9779841000001', '9779841000002', '9779841000001']);
  assert.match(out, /stopped: 3 accepted/);
});
