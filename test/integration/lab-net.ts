/**
 * Looking at lab hosts' networks from the outside, for the isolate and harden tests: a host's rules
 * (counters and comments stripped), TCP reachability between lab hosts, and a fresh login from the
 * controller with the system OpenSSH client (not firebreak's transport, so it cannot hide its own bugs).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import type { LabState } from '../../src/lab/index.js';
import { onHost } from '../helpers/lab.js';

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
  const r = await onHost(lab, from, `timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' ${addr} ${port} 2>/dev/null && echo open || echo closed`);
  return r.stdout.trim() === 'open';
}

/** A fresh login from the controller with the system OpenSSH client (not firebreak's transport). */
export function sshWorks(lab: LabState, host: string, port = 22): Promise<boolean> {
  const addr = lab.hosts.find((h) => h.name === host)!.address;
  const args = [
    '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'IdentityAgent=none', '-o', 'ConnectTimeout=3',
    '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${lab.files.knownHosts}`, '-o', `HostKeyAlias=${addr}`,
    '-i', lab.files.clientKey, '-p', String(port), `root@${addr}`, 'true',
  ];
  return new Promise((resolve) => execFile('ssh', args, { timeout: 10_000 }, (err) => resolve(!err)));
}
