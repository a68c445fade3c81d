/**
 * Looking at lab hosts' networks from the outside, for the isolate and harden tests: a host's rules
 * (counters and comments stripped), TCP reachability between lab hosts, and a fresh login from the
 * controller with the system OpenSSH client (not firebreak's transport, so it cannot hide its own bugs).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LabState } from '../../src/lab/index.js';
import { onHost } from '../helpers/lab.js';
import { onlyRunDir, readJournal, runCli } from './run-cli.js';

let runs = 0;

/**
 * Write a one-step runbook into `work` and run it with the CLI on one lab host. Returns the CLI
 * result, the run's journal, and the step's whole stdout (the terminal shows only its head).
 * `become`: through sudo, which drops $SSH_CONNECTION.
 */
export async function runStep(
  lab: LabState,
  work: string,
  host: string,
  step: string,
  params: object,
  opts: { extra?: string[]; become?: boolean } = {},
) {
  const runbook = path.join(work, `rb${++runs}.yaml`);
  writeFileSync(
    runbook,
    `name: ir-${step}-${runs}\nphases:\n  isolate:\n    - name: ${step}\n      become: ${opts.become ?? false}\n      ${step}: ${JSON.stringify(params)}\n`,
  );
  const runsDir = path.join(work, `runs${runs}`);
  const r = await runCli(
    ['run', runbook, '-i', lab.files.inventory, '--limit', host, '--runs-dir', runsDir, ...(opts.extra ?? [])],
    { timeoutMs: 60_000 },
  );
  const runDir = onlyRunDir(runsDir);
  const journal = readJournal(runDir);
  // Every output of the step, in order (the isolate step's first outputs are its evidence snapshots).
  const files = journal
    .map((e) => (e.outcome as { stdoutFile?: string } | undefined)?.stdoutFile)
    .filter((f): f is string => Boolean(f));
  return { ...r, journal, out: files.map((f) => readFileSync(path.join(runDir, f), 'utf8')).join('') };
}

/** The rules of a host as iptables-save, ip6tables-save and nft show them, without counters and comments. */
export async function firewallOf(lab: LabState, host: string): Promise<string> {
  const r = await onHost(lab, host, 'iptables-save; echo ==; ip6tables-save; echo ==; nft list ruleset');
  assert.equal(r.code, 0, r.stderr);
  return r.stdout
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) => l.replace(/\[\d+:\d+\]/g, '[0:0]').replace(/counter packets \d+ bytes \d+/g, 'counter'))
    .join('\n');
}

/** Can `from` open a TCP connection to addr:port (bash /dev/tcp, 2 s)? */
export async function reaches(lab: LabState, from: string, addr: string, port: number): Promise<boolean> {
  const r = await onHost(
    lab,
    from,
    `timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' ${addr} ${port} 2>/dev/null && echo open || echo closed`,
  );
  return r.stdout.trim() === 'open';
}

/** A fresh login from the controller with the system OpenSSH client (not firebreak's transport). */
export function sshWorks(lab: LabState, host: string, port = 22): Promise<boolean> {
  const addr = lab.hosts.find((h) => h.name === host)!.address;
  const args = [
    '-F',
    '/dev/null',
    '-o',
    'BatchMode=yes',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'IdentityAgent=none',
    '-o',
    'ConnectTimeout=3',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `UserKnownHostsFile=${lab.files.knownHosts}`,
    '-o',
    `HostKeyAlias=${addr}`,
    '-i',
    lab.files.clientKey,
    '-p',
    String(port),
    `root@${addr}`,
    'true',
  ];
  return new Promise((resolve) => execFile('ssh', args, { timeout: 10_000 }, (err) => resolve(!err)));
}
