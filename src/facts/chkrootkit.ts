/**
 * `chkrootkit` output. Each test prints `Checking \`name'... result` or `Searching for thing...
 * result`; newer versions (0.55+) pad the result into a column and print details in a block
 * (`WARNING: …` and the lines after it), older ones print details on the following lines, and
 * `-q` prints only the problems. Results that mean nothing was found (`not infected`, `not found`,
 * `nothing found`, `not tested`, …) are dropped; `INFECTED` is high, everything else (warnings,
 * "possible …", hidden processes, promiscuous interfaces) medium, `Vulnerable but disabled` low.
 */
import type { Finding, FindingSeverity } from '../core/index.js';
import { defineFact } from './fact.js';
import { finding, lines } from './text.js';

export interface ChkrootkitResult {
  /** `ls`, `sniffer`, `Linux BPF Door`, … */
  check: string;
  /** The result text (`INFECTED`, `WARNING`, `You have 2 process hidden for ps command`). */
  result: string;
  /** Lines printed after the result that belong to it (files found, warning text). */
  details: string[];
  severity: FindingSeverity;
}

const TEST = /^(?:Checking `([^']+)'|Searching for (.+?))\.\.\.\s*(.*)$/;
/** Results that report nothing wrong. */
const CLEAN =
  /^(?:not infected|not found|nothing found|nothing detected|nothing deleted|not tested|no suspect files|started|finished|done|ok|not promisc.*|.*\bnot tested)$/i;

/** Detail lines that matter even under a clean-looking result (old versions print `INFECTED` on the next line). */
const ALARM = /INFECTED|WARNING|Warning:|[Pp]ossible|hidden|PACKET SNIFFER|deletion/;

function severityOf(result: string, details: readonly string[]): FindingSeverity {
  const all = [result, ...details].join('\n');
  if (/INFECTED/.test(all)) return 'high';
  if (/^vulnerable but disabled$/i.test(result)) return 'low';
  return 'medium';
}

export function parseChkrootkit(text: string): ChkrootkitResult[] {
  const results: Array<{ check: string; result: string; details: string[] }> = [];
  let current: { check: string; result: string; details: string[] } | undefined;
  for (const raw of lines(text)) {
    const line = raw.trim();
    if (line === '' || /^ROOTDIR is/.test(line)) continue;
    const m = TEST.exec(line);
    if (m) {
      current = {
        check: (m[1] ?? m[2] ?? '').replace(/,? it may take a while$/, ''),
        result: (m[3] as string).trim(),
        details: [],
      };
      results.push(current);
      continue;
    }
    // `chkrootkit -q` prints problems without their test line: a WARNING block that no `… WARNING` result announced stands alone
    const orphan = /^WARNING:/.test(line)
      ? current?.result !== 'WARNING'
      : !current && /INFECTED|Warning|[Pp]ossible/.test(line);
    if (orphan) {
      current = { check: 'chkrootkit', result: line, details: [] };
      results.push(current);
    } else current?.details.push(line);
  }
  return results
    .filter((r) => {
      if (r.details.some((d) => ALARM.test(d))) return true;
      return r.result !== '' ? !CLEAN.test(r.result) : r.details.length > 0;
    })
    .map((r) => ({ ...r, severity: severityOf(r.result, r.details) }));
}

export function chkrootkitFindings(host: string, results: readonly ChkrootkitResult[]): Finding[] {
  return results.map((r) => {
    const first = r.details.find((d) => /^WARNING:|^Warning:/.test(d)) ?? r.details[0];
    const summary = `chkrootkit ${r.check}: ${r.result || first || 'reported'}${r.result && first ? ` — ${first}` : ''}`;
    return finding(host, 'rootkit.warning', r.severity, summary, {
      tool: 'chkrootkit',
      check: r.check,
      result: r.result,
      details: r.details.slice(0, 50),
    });
  });
}

/** Expert mode off, quiet off: every test with its result, so that context survives. */
export const chkrootkitFact = defineFact({
  label: 'rootkit/chkrootkit',
  command: 'LC_ALL=C chkrootkit 2>&1',
  requires: 'chkrootkit',
  parse: parseChkrootkit,
  findings: chkrootkitFindings,
});
