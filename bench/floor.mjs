/**
 * The benchmark floor: a bare ssh2 script with no orchestration at all. It opens one connection per
 * host, all at once, and runs the triage commands in sequence on each. firebreak is measured against it.
 *
 * Plain JavaScript on purpose: no TypeScript loader, so its start-up cost is the real minimum.
 * Usage: node bench/floor.mjs HOSTS_JSON   (a JSON array of {address, port, user, privateKeyFile})
 * FIREBREAK_BENCH_READY_TIMEOUT_MS: how long a connection may take to be ready (default 30000).
 */
import { readFileSync } from 'node:fs';
import { Client } from 'ssh2';
import { TRIAGE_COMMANDS } from './workload.mjs';

const READY_TIMEOUT_MS = Number(process.env.FIREBREAK_BENCH_READY_TIMEOUT_MS) || 30000;

function runOn(target, key) {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let failures = 0;
    const next = (i) => {
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
        stream.on('close', (code) => {
          if (code !== 0) failures++;
          next(i + 1);
        });
      });
    };
    client.on('ready', () => next(0));
    client.on('error', reject);
    // The floor skips host-key checks: it is the cheapest possible client, not a safe one.
    client.connect({
      host: target.address,
      port: target.port,
      username: target.user,
      privateKey: key,
      readyTimeout: READY_TIMEOUT_MS,
    });
  });
}

async function main() {
  const file = process.argv[2];
  if (!file) throw new Error('usage: floor.mjs HOSTS_JSON');
  const targets = JSON.parse(readFileSync(file, 'utf8'));
  const keys = new Map();
  const keyOf = (path) => {
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
