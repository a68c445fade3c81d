/**
 * The benchmark floor: a bare ssh2 script with no orchestration at all. It opens one connection per
 * host, all at once, and runs the triage commands in sequence on each. firebreak is measured against it.
 *
 * Usage: tsx bench/floor.ts HOSTS_JSON   (a JSON array of {address, port, user, privateKeyFile})
 */
import { readFileSync } from 'node:fs';
import { Client } from 'ssh2';
import { TRIAGE_COMMANDS } from './workload.js';

interface Target {
  address: string;
  port: number;
  user: string;
  privateKeyFile: string;
}

function runOn(target: Target, key: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let failures = 0;
    const next = (i: number): void => {
      const command = TRIAGE_COMMANDS[i];
      if (command === undefined) {
        client.end();
        resolve(failures);
        return;
      }
      client.exec(command, (err, stream) => {
        if (err) return reject(err);
        stream.on('data', () => {});
        stream.stderr.on('data', () => {});
        stream.on('close', (code: number | null) => {
          if (code !== 0) failures++;
          next(i + 1);
        });
      });
    };
    client.on('ready', () => next(0));
    client.on('error', reject);
    // The floor skips host-key checks: it is the cheapest possible client, not a safe one.
    client.connect({ host: target.address, port: target.port, username: target.user, privateKey: key, readyTimeout: 30000 });
  });
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: floor.ts HOSTS_JSON');
  const targets = JSON.parse(readFileSync(file, 'utf8')) as Target[];
  const keys = new Map<string, Buffer>();
  const keyOf = (path: string): Buffer => {
    let key = keys.get(path);
    if (!key) keys.set(path, (key = readFileSync(path)));
    return key;
  };
  const failures = await Promise.all(targets.map((t) => runOn(t, keyOf(t.privateKeyFile))));
  const failed = failures.reduce((a, b) => a + b, 0);
  if (failed > 0) {
    console.error(`floor: ${failed} commands failed`);
    process.exitCode = 1;
  }
}

await main();
