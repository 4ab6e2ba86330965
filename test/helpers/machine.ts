/** What this machine has installed, for tests whose expected answer depends on it (not to skip). */
import { execFileSync } from 'node:child_process';

export function hasCommand(command: string, args: string[] = ['--version']): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
