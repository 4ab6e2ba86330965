/**
 * `otpgate smsc --port 2775 --password secret …` (and tools/smsc/main.ts as its own process):
 * run the SMSC simulator until interrupted. `smscCommand()` is the same command for a parent
 * commander program.
 */
import { writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ID_FORMATS } from './ids.ts';
import { startSmsc, type SmscOptions } from './server.ts';

const int = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
};

const outcome = (value: string, previous: Record<string, string> | undefined): Record<string, string> => {
  const m = /^(\d+)=([A-Z]+)$/.exec(value);
  if (!m) throw new InvalidArgumentError('expected SUFFIX=STAT, e.g. 0=UNDELIV');
  return { ...(previous ?? {}), [m[1]]: m[2] };
};

export function smscCommand(name = 'smsc'): Command {
  return new Command(name)
    .description('run the SMPP v3.4 SMSC simulator (receipts, throttling, link drops, bind refusal)')
    .option('--port <n>', 'TCP port (0 = any free port)', int, 2775)
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--system-id <id>', 'system_id clients must bind with', 'otpgate')
    .option('--password <pw>', 'password clients must bind with', 'secret')
    .option('--receipt-delay <ms>', 'delay before each delivery receipt', int, 0)
    .option('--outcome <suffix=STAT>', 'receipt stat for destinations ending in suffix (repeatable; replaces the default 0=UNDELIV 9=REJECTD)', outcome)
    .option('--throttle-every <n>', 'answer every Nth submit_sm with ESME_RTHROTTLED (0 = never)', int, 0)
    .option('--drop-after <n>', 'cut the connection at every Nth submit_sm (0 = never)', int, 0)
    .option('--invalid-prefix <digits>', 'answer ESME_RINVDSTADR for destinations starting with these digits (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--response-delay <ms>', 'delay before each submit_sm_resp', int, 0)
    .addOption(new Option('--id-format <f>', 'message id format').choices(ID_FORMATS).default('hex'))
    .addOption(new Option('--receipt-id-format <f>', 'id format in the receipt text (default: --id-format)').choices(ID_FORMATS))
    .addOption(new Option('--receipt-format <f>', 'receipt as text, TLVs, both, or both with the TLV id in another case/padding').choices(['text', 'tlv', 'both', 'mixed']).default('both'))
    .option('--id-start <n>', 'first message id number (default random)', int)
    .option('--same-write', 'write each receipt in the same TCP write as its submit_sm_resp')
    .option('--verbose', 'print every received message')
    .option('--report <file>', 'when stopped, write the stats and every received destination as JSON to this file (benches count losses with it)')
    .action(async (o) => {
      const opts: SmscOptions = {
        port: o.port, host: o.host, system_id: o.systemId, password: o.password, receipt_delay_ms: o.receiptDelay,
        outcomes: o.outcome, throttle_every: o.throttleEvery, drop_after: o.dropAfter, response_delay_ms: o.responseDelay, invalid_prefixes: o.invalidPrefix,
        id_format: o.idFormat, receipt_id_format: o.receiptIdFormat, receipt_format: o.receiptFormat, id_start: o.idStart, same_write: o.sameWrite,
        max_messages: o.report ? 10_000_000 : o.verbose ? 100_000 : 1000,
      };
      const smsc = await startSmsc(opts);
      console.log(`SMSC simulator listening on ${o.host}:${smsc.port} (system_id "${o.systemId}", password "${o.password}")`);
      let shown = 0;
      const ticker = setInterval(() => {
        if (o.verbose)
          for (const m of smsc.messages.slice(Math.min(shown, smsc.messages.length)))
            console.log(`${m.id} ${m.from} → ${m.to} [${m.parts} part${m.parts > 1 ? 's' : ''}, dc ${m.data_coding}] ${m.text}`);
        shown = smsc.messages.length;
      }, 500);
      const stop = async () => {
        clearInterval(ticker);
        const st = smsc.stats();
        await smsc.close();
        if (o.report) writeFileSync(o.report, JSON.stringify({ stats: st, to: smsc.messages.map((m) => m.to) }));
        console.log(`SMSC simulator stopped: ${st.accepted} accepted, ${st.receipts_sent} receipts sent`);
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
