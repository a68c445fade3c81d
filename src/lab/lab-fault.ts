/**
 * `lab fault HOST down|up|slow MS|flaky PCT|heal`. down/up stop and start the host's sshd. slow and
 * flaky shape the host's link with tc netem on the machine-side veth (outside the host, like a real
 * network fault). Kernels built without netem (CONFIG_NET_SCH_NETEM unset) get packet loss from an
 * nftables table inside the host instead (`firebreak_lab_fault`, visible in its ruleset) and no delay:
 * there is no honest way to delay packets without netem, so `slow` says so.
 */
import { EnvironmentError, InputError } from '../core/index.js';
import { findHost, readLabState, withLabLock, type LabHostState } from './state.js';
import { inHost, sys, sysOk } from './sys.js';
import { writeLabFiles } from './lab-write.js';

export type Fault =
  { kind: 'down' } | { kind: 'up' } | { kind: 'slow'; ms: number } | { kind: 'flaky'; pct: number } | { kind: 'heal' };

export function parseFault(args: string[]): Fault {
  const [kind, value] = args;
  const num = (what: string, max: number): number => {
    const n = Number(value);
    if (value === undefined || !Number.isFinite(n) || n < 0 || n > max)
      throw new InputError(`lab fault ${kind}: ${what} must be a number 0..${max}`);
    return n;
  };
  switch (kind) {
    case 'down':
    case 'up':
    case 'heal':
      if (value !== undefined) throw new InputError(`lab fault ${kind} takes no value`);
      return { kind };
    case 'slow':
      return { kind, ms: num('MS', 60_000) };
    case 'flaky':
      return { kind, pct: num('PCT', 100) };
    default:
      throw new InputError(`unknown fault "${kind ?? ''}": use down, up, slow MS, flaky PCT or heal`);
  }
}

const FAULT_TABLE = 'firebreak_lab_fault';

async function hasNetem(veth: string): Promise<boolean> {
  const r = await sys('tc', ['qdisc', 'replace', 'dev', veth, 'root', 'netem', 'delay', '0ms']);
  if (r.code === 0) await sys('tc', ['qdisc', 'del', 'dev', veth, 'root']);
  return r.code === 0;
}

async function shapeLink(host: LabHostState): Promise<void> {
  const { slowMs, lossPct } = host.faults;
  const netem = await hasNetem(host.veth);
  if (slowMs && !netem)
    throw new EnvironmentError(
      `lab fault slow needs tc netem, and this kernel has none (CONFIG_NET_SCH_NETEM is not set): packets cannot be delayed here`,
    );
  await sys('tc', ['qdisc', 'del', 'dev', host.veth, 'root']);
  await inHost(host.initPid, `nft delete table inet ${FAULT_TABLE} 2>/dev/null || true`);
  if (!slowMs && !lossPct) return;
  if (netem) {
    const args = ['qdisc', 'replace', 'dev', host.veth, 'root', 'netem'];
    if (slowMs) args.push('delay', `${slowMs}ms`);
    if (lossPct) args.push('loss', `${lossPct}%`);
    await sysOk('tc', args);
    return;
  }
  const when = (lossPct ?? 0) >= 100 ? '' : `numgen random mod 100 < ${lossPct} `;
  const rules = [
    `add table inet ${FAULT_TABLE}`,
    `add chain inet ${FAULT_TABLE} in { type filter hook input priority -300; }`,
    `add chain inet ${FAULT_TABLE} out { type filter hook output priority -300; }`,
    `add rule inet ${FAULT_TABLE} in iifname "eth0" ${when}drop`,
    `add rule inet ${FAULT_TABLE} out oifname "eth0" ${when}drop`,
  ].join('\n');
  const r = await inHost(host.initPid, `nft -f - <<'EOF'\n${rules}\nEOF`);
  if (r.code !== 0) throw new Error(`could not add packet loss on ${host.name}: ${r.stderr.trim()}`);
}

async function sshd(host: LabHostState, run: boolean): Promise<void> {
  const script = run
    ? '[ -s /run/sshd.pid ] && kill -0 "$(cat /run/sshd.pid)" 2>/dev/null || /usr/sbin/sshd'
    : '[ -s /run/sshd.pid ] && kill "$(cat /run/sshd.pid)" 2>/dev/null; rm -f /run/sshd.pid; true';
  const r = await inHost(host.initPid, script);
  if (r.code !== 0) throw new Error(`could not ${run ? 'start' : 'stop'} sshd on ${host.name}: ${r.stderr.trim()}`);
}

export async function applyFault(dir: string, name: string, fault: Fault): Promise<LabHostState> {
  return withLabLock(dir, async () => {
    const state = readLabState(dir);
    const host = findHost(state, name);
    if (fault.kind === 'down' || fault.kind === 'up') {
      await sshd(host, fault.kind === 'up');
      host.faults.down = fault.kind === 'down' || undefined;
    } else {
      if (fault.kind === 'heal') host.faults = {};
      if (fault.kind === 'slow') host.faults.slowMs = fault.ms || undefined;
      if (fault.kind === 'flaky') host.faults.lossPct = fault.pct || undefined;
      if (fault.kind === 'heal') await sshd(host, true);
      await shapeLink(host);
    }
    writeLabFiles(state);
    return host;
  });
}
