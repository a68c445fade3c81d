/**
 * Interactive questions: confirmation of destructive phases and secrets (become password, key passphrase).
 * Asked on the controlling terminal before parallel output starts, so no prompt interleaves with progress.
 */
import { createInterface } from 'node:readline';
import { AbortError } from '../core/index.js';

/** Ask yes/no on the TTY. Without a TTY and without --yes we refuse rather than guess. */
export async function confirm(question: string, opts: { yes: boolean }): Promise<boolean> {
  if (opts.yes) return true;
  if (!process.stdin.isTTY) {
    throw new AbortError(`${question} — refusing: no terminal to ask on. Re-run with --yes to confirm.`);
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await new Promise<string>((resolve) => rl.question(`${question} [y/N] `, resolve));
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/** Read a secret from the TTY without echoing it. */
export async function askSecret(question: string): Promise<string> {
  if (!process.stdin.isTTY) throw new AbortError(`${question} — no terminal to ask on`);
  const stdin = process.stdin;
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = '';
      const onData = (buf: Buffer): void => {
        for (const ch of buf.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            stdin.off('data', onData);
            process.stderr.write('\n');
            return resolve(value);
          }
          if (ch === '\u0003') {
            stdin.off('data', onData);
            return reject(new AbortError('interrupted'));
          }
          if (ch === '\u007f') value = value.slice(0, -1);
          else value += ch;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
  }
}
