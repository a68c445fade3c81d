/**
 * The files a lab hands to its users: an Ansible INI inventory (all hosts, plus a group per
 * scenario) and an OpenSSH known_hosts. Pure text builders; lab.ts writes them.
 */
import type { LabState } from './state.js';

/** Ansible group names may not contain dashes: `outbound-ssh-bruteforce` → `outbound_ssh_bruteforce`. */
export function scenarioGroup(scenario: string): string {
  return scenario.replace(/[^A-Za-z0-9_]/g, '_');
}

function iniValue(v: string): string {
  return /[\s'"#;=]/.test(v) ? `"${v.replace(/(["\\])/g, '\\$1')}"` : v;
}

export function inventoryText(state: LabState): string {
  const lines = [
    `# firebreak lab ${state.id} (${state.network.cidr}): written by \`firebreak lab up\`, removed by \`firebreak lab down\`.`,
    '[lab]',
    ...state.hosts.map((h) => `${h.name} ansible_host=${h.address}`),
  ];
  const groups = new Map<string, string[]>();
  for (const h of state.hosts) {
    for (const s of h.scenarios) groups.set(s.scenario, [...(groups.get(s.scenario) ?? []), h.name]);
  }
  for (const [scenario, names] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push('', `[${scenarioGroup(scenario)}]`, ...names);
  }
  lines.push(
    '',
    '[all:vars]',
    'ansible_user=root',
    `ansible_ssh_private_key_file=${iniValue(state.files.clientKey)}`,
    `ansible_ssh_common_args=${iniValue(`-o UserKnownHostsFile=${state.files.knownHosts}`)}`,
    `lab_controller=${state.network.controller}`,
    '',
  );
  return lines.join('\n');
}

export function knownHostsText(state: LabState): string {
  return state.hosts.map((h) => `${h.address} ${h.hostKey}\n`).join('');
}

/** /etc/hosts lines every lab host gets: the controller, the attacker and all lab hosts. */
export function hostsFileLines(state: Pick<LabState, 'network'>, hosts: { name: string; address: string }[]): string[] {
  return [
    `${state.network.controller}\tcontroller`,
    `${state.network.attacker}\tattacker`,
    ...hosts.map((h) => `${h.address}\t${h.name}`),
  ];
}
