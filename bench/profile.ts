/**
 * CPU profile of otpgate's accept (or check) path under load: one otpgate pinned like bench:accept
 * (dispatcher off, abuse on, limits out of reach), run with --cpu-prof, loaded by autocannon for
 * BENCH_SECONDS (default 10), then stopped so the profile is written; prints the top functions by
 * self time. BENCH_PATH=check profiles the check of a wrong code instead; PROFILE_DISPATCH=1 keeps
 * the dispatcher on.
 *
 *   node --import tsx bench/profile.ts [dir]     (profiles land in dir, default a temp dir)
 */
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LIMIT_NAMES } from '../src/config.ts';
import { freePort, pinned, stop } from './servers.ts';

const dir = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'otpgate-prof-'));
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const check = process.env.BENCH_PATH === 'check';
const prices = [{ prefix: '', channel: 'sms', price: 1 }];
const abuse = { limits: Object.fromEntries(LIMIT_NAMES.map((name) => [name, { points: 1_000_000_000 }])), pumping: { velocity_max: 0 } };
// As bench/servers.ts startOtpgate, with --cpu-prof on node's command line (NODE_OPTIONS refuses it).
const config = { log_level: 'warn', prices, verify: { max_attempts: 100 }, dispatch: { enabled: process.env.PROFILE_DISPATCH === '1' }, abuse };
const dataDir = mkdtempSync(join(tmpdir(), 'otpgate-bench-'));
writeFileSync(join(dataDir, 'config.json'), JSON.stringify(config));
const port = await freePort();
const env = { PORT: String(port), OTPGATE_DATA_DIR: dataDir, OTPGATE_CONFIG: join(dataDir, 'config.json'), LOG_LEVEL: 'warn' };
const bin = join(import.meta.dirname, '..', 'bin', 'otpgate.mjs');
const child = pinned(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, bin, 'start'], env);
child.stdout!.resume();
child.stderr!.resume();
const url = `http://127.0.0.1:${port}`;
while ((await fetch(`${url}/readyz`).then((r) => r.status, () => 0)) !== 200) await new Promise((r) => setTimeout(r, 100));
const keys = spawnSync(process.execPath, [bin, 'keys', 'create'], { env: { ...process.env, ...env }, encoding: 'utf8' });
const og = { url, dataDir, key: /otpg_[A-Za-z0-9_-]+/.exec(keys.stdout)![0], stop: () => stop(child)().then(() => rmSync(dataDir, { recursive: true, force: true })) };
let n = 0;
const fire = (path: string, body: () => unknown) =>
  autocannon({
    url: og.url + path,
    method: 'POST',
    connections: 50,
    duration: seconds,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${og.key}` },
    requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify(body()) }) }],
  });
const sendBody = () => ({ to: `+977984${String(n++).padStart(7, '0')}`, channel: 'sms' });
let r = await fire('/v1/verifications', sendBody);
if (check) {
  const db = new Database(join(og.dataDir, 'otpgate.db'), { readonly: true });
  const ids = db.prepare('select id from verifications').pluck().all() as string[];
  db.close();
  let i = 0;
  r = await fire('/v1/verifications/check', () => ({ id: ids[i++ % ids.length], code: '000000' }));
}
console.log(`${check ? 'check' : 'accept'}: ${r.requests.average} req/s, p99 ${r.latency.p99} ms, non-2xx ${r.non2xx}`);
await og.stop();

// Self time per function (all of the run, start-up included: it is small beside the load).
const file = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f)).sort().at(-1)!;
const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>; samples: number[]; timeDeltas: number[] };
const byId = new Map(prof.nodes.map((x) => [x.id, x]));
const self = new Map<string, number>();
let total = 0;
prof.samples.forEach((id, i) => {
  const cf = byId.get(id)!.callFrame;
  const k = `${cf.functionName || '(anon)'}  ${cf.url.replace(/^.*\/(node_modules\/)?/, '')}:${cf.lineNumber + 1}`;
  const dt = prof.timeDeltas[i] ?? 0;
  total += dt;
  self.set(k, (self.get(k) ?? 0) + dt);
});
console.log(`profile ${file}, ${(total / 1e6).toFixed(1)} s sampled`);
for (const [k, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 30))) console.log(`${((100 * t) / total).toFixed(1).padStart(5)}%  ${k}`);
