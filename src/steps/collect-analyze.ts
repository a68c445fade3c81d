/**
 * Which parser reads which collected artifact. The parsers live in src/facts; this table is the only
 * place that knows both the labels (collect-sets.ts, verify_packages, rootkit_scan) and the parsers.
 */
import type { CollectedOutput, Finding } from '../core/index.js';
import {
  accountFindings,
  activeLoginFindings,
  authLogFindings,
  authorizedKeyFindings,
  chkrootkitFindings,
  conntrackFindings,
  cronFindings,
  diskFindings,
  integrityFindings,
  joinProcesses,
  lastbFindings,
  lastFindings,
  listenerFindings,
  outboundSshFindings,
  parseAccounts,
  parseAuthLog,
  parseAuthorizedKeys,
  parseChkrootkit,
  parseConntrack,
  parseCron,
  parseDebsums,
  parseDf,
  parseLast,
  parsePasswd,
  parsePreload,
  parseProc,
  parsePs,
  parseRkhunter,
  parseSs,
  parseSystemd,
  parseVerify,
  parseW,
  preloadFindings,
  processFindings,
  rkhunterFindings,
  systemdFindings,
} from '../facts/index.js';

/** host, this artifact's text, every artifact of the step by label. */
type Analyzer = (host: string, text: string, all: ReadonlyMap<string, string>) => Finding[];

/** Failed logins from the auth log when the host has one, else from btmp (never both: one count per source). */
function failedLogins(host: string, all: ReadonlyMap<string, string>): Finding[] {
  const log = (all.get('logs/auth.log') ?? '') + (all.get('logs/secure') ?? '');
  if (log.trim()) return authLogFindings(host, parseAuthLog(log));
  return lastbFindings(host, parseLast(all.get('users/lastb') ?? ''));
}

function packageFindings(host: string, text: string): Finding[] {
  const tool = /^# tool: (\S+)/.exec(text)?.[1];
  if (tool === 'debsums') return integrityFindings(host, parseDebsums(text));
  if (tool === 'rpm' || tool === 'dpkg') return integrityFindings(host, parseVerify(text, tool));
  return [];
}

export const ANALYZERS: Record<string, Analyzer> = {
  'processes/proc': (host, text, all) =>
    processFindings(host, joinProcesses(parsePs(all.get('processes/ps') ?? ''), parseProc(text))),
  // One process holding 3+ connections to other hosts' port 22 at one instant is not an admin's ssh.
  'network/ss-tanp': (host, text) => outboundSshFindings(host, parseSs(text), { highConnections: 3 }),
  'network/listeners': (host, text) => listenerFindings(host, parseSs(text)),
  'network/conntrack': (host, text) => conntrackFindings(host, parseConntrack(text)),
  'users/w': (host, text) => activeLoginFindings(host, parseW(text)),
  'users/last': (host, text) => lastFindings(host, parseLast(text)),
  'users/lastb': (host, _text, all) =>
    all.has('logs/auth.log') || all.has('logs/secure') ? [] : failedLogins(host, all),
  'logs/auth.log': (host, _text, all) => failedLogins(host, all),
  'users/accounts': (host, text) => accountFindings(host, parseAccounts(text)),
  'system/df': (host, text) => diskFindings(host, parseDf(text)),
  'persistence/crontabs': (host, text) => cronFindings(host, parseCron(text)),
  'persistence/systemd': (host, text) => systemdFindings(host, parseSystemd(text)),
  'persistence/authorized_keys': (host, text, all) =>
    authorizedKeyFindings(host, parseAuthorizedKeys(text), { passwd: parsePasswd(all.get('users/passwd') ?? '') }),
  'persistence/ld.so.preload': (host, text) => preloadFindings(host, parsePreload(text)),
  'packages/verify': packageFindings,
  'rootkit/chkrootkit': (host, text) => chkrootkitFindings(host, parseChkrootkit(text)),
  'rootkit/rkhunter': (host, text) => rkhunterFindings(host, parseRkhunter(text)),
};

export function analyzeOutputs(host: string, outputs: CollectedOutput[]): Finding[] {
  const all = new Map(outputs.map((o) => [o.label, o.text]));
  const findings: Finding[] = [];
  for (const o of outputs) {
    const analyzer = ANALYZERS[o.label];
    if (!analyzer) continue;
    for (const f of analyzer(host, o.text, all)) findings.push({ ...f, evidence: f.evidence ?? o.sha256 });
  }
  return findings;
}
