/**
 * `rkhunter --check --sk --rwo`: only the warnings, each `Warning: …` line followed by indented
 * continuation lines (file, hashes, inodes). The log file format (`[19:24:39] Warning: …`) is read
 * too. Severity by what the warning says: a rootkit or a preloaded library high, changed file
 * properties medium (package updates cause them as well), hidden files and out-of-date software
 * low, configuration mismatches info.
 */
import type { Finding, FindingSeverity } from '../core/index.js';
import { defineFact } from './fact.js';
import { finding, lines } from './text.js';

export interface RkhunterWarning {
  message: string;
  details: string[];
  severity: FindingSeverity;
}

const RULES: Array<[RegExp, FindingSeverity]> = [
  [
    /rootkit|Possible .*(?:backdoor|malware|sniffer)|preloaded shared library|hidden (?:process|port)|backdoor|promiscuous mode|process .*deleted/i,
    'high',
  ],
  [
    /file properties have changed|has been replaced by a script|suspicious file|enabled inetd service|listening on a port|packet capturing|user '.*' has been added|group '.*' has been added|root equivalent|passwordless/i,
    'medium',
  ],
  [/hidden (?:file|directory) found|out of date|possibly a security risk/i, 'low'],
  [/configuration options should be the same|syslog|SSH protocol/i, 'info'],
];

function severityOf(message: string): FindingSeverity {
  return RULES.find(([re]) => re.test(message))?.[1] ?? 'medium';
}

export function parseRkhunter(text: string): RkhunterWarning[] {
  const out: RkhunterWarning[] = [];
  let current: RkhunterWarning | undefined;
  for (const raw of lines(text)) {
    const line = raw.replace(/^\[\d\d:\d\d:\d\d\] ?/, ''); // log file timestamps
    const w = /^Warning:\s*(.*)$/.exec(line);
    if (w) {
      current = { message: (w[1] as string).trim(), details: [], severity: 'info' };
      out.push(current);
      continue;
    }
    // continuation lines are indented deeper than the log's own `  Checking …  [ Warning ]` lines
    if (current && /^\s{5,}\S/.test(line) && !/\[ [^\]]+ \]$/.test(line)) current.details.push(line.trim());
    else current = undefined;
  }
  for (const w of out) w.severity = severityOf(w.message);
  return out;
}

export function rkhunterFindings(host: string, warnings: readonly RkhunterWarning[]): Finding[] {
  return warnings.map((w) => {
    const file = w.details.map((d) => /^File: (.*)$/.exec(d)?.[1]).find(Boolean);
    const summary = `rkhunter: ${w.message}${file ? ` ${file}` : ''}`;
    const detail: Finding['detail'] = { tool: 'rkhunter', message: w.message, details: w.details.slice(0, 50) };
    if (file) detail.file = file;
    return finding(host, 'rootkit.warning', w.severity, summary, detail);
  });
}

export const rkhunterFact = defineFact({
  label: 'rootkit/rkhunter',
  command: 'LC_ALL=C rkhunter --check --sk --rwo --nocolors 2>&1',
  requires: 'rkhunter',
  parse: parseRkhunter,
  findings: rkhunterFindings,
});
