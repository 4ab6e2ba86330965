/** `node --import tsx tools/smsc/main.ts --port 2775 …`: the SMSC simulator as its own process (bench:e2e, tests). */
import { smscCommand } from './cli.ts';

await smscCommand().parseAsync(process.argv);
