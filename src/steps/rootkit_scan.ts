/**
 * `rootkit_scan`: chkrootkit and rkhunter when the host has them (saying so when it does not), plus
 * cross-checks that need no tool: PIDs present in /proc but hidden from `ps` (a userland rootkit's
 * tell), /etc/ld.so.preload entries, and processes running deleted executables.
 */
import { z } from 'zod';
import { wrapEvidence, type Action, type CollectedOutput, type Finding } from '../core/index.js';
import { analyzeOutputs } from './collect-analyze.js';
import { defineStepType } from './define.js';

export const CROSSCHECK_LABEL = 'rootkit/crosscheck';

/** One line per observation: `hidden-pid PID COMM`, `preload PATH`, `deleted-exe PID PATH`. */
export const CROSSCHECK_SCRIPT = [
  `ps_pids=" $(ps -eo pid= | tr -s ' \\n' '  ') "`,
  `for d in /proc/[0-9]*; do p=\${d#/proc/}; [ "$p" = "$$" ] && continue; case "$ps_pids" in *" $p "*) continue ;; esac;`,
  ` [ -d "$d" ] || continue; ps -p "$p" >/dev/null 2>&1 && continue; echo "hidden-pid $p $(cat "$d/comm" 2>/dev/null)"; done`,
  `[ -s /etc/ld.so.preload ] && grep -v '^[[:space:]]*#' /etc/ld.so.preload | grep . | sed 's/^/preload /'`,
  `for d in /proc/[0-9]*; do e=$(readlink "$d/exe" 2>/dev/null) || continue; case "$e" in *" (deleted)") echo "deleted-exe \${d#/proc/} $e" ;; esac; done`,
  `true`,
].join('\n');

function tool(name: string, command: string): Action {
  const script = `if command -v ${name} >/dev/null 2>&1; then ${command}; else echo "# absent: ${name} is not installed on this host"; fi`;
  return {
    kind: 'evidence',
    label: `rootkit/${name}`,
    source: { kind: 'command', value: script },
    command: wrapEvidence(script, true),
  };
}

/** Pure parser of the cross-check output. */
export function crosscheckFindings(host: string, text: string): Finding[] {
  const out: Finding[] = [];
  for (const line of text.split('\n')) {
    const [what, a = '', ...rest] = line.trim().split(' ');
    const b = rest.join(' ');
    if (what === 'hidden-pid')
      out.push({
        host,
        kind: 'rootkit.warning',
        severity: 'critical',
        summary: `PID ${a} (${b || '?'}) is in /proc but hidden from ps`,
        detail: { check: 'hidden-pid', pid: Number(a), comm: b },
      });
    if (what === 'preload')
      out.push({
        host,
        kind: 'persistence.preload',
        severity: 'high',
        summary: `/etc/ld.so.preload loads ${[a, b].filter(Boolean).join(' ')} into every program`,
        detail: { path: [a, b].filter(Boolean).join(' ') },
      });
    if (what === 'deleted-exe')
      out.push({
        host,
        kind: 'rootkit.warning',
        severity: 'high',
        summary: `PID ${a} runs a deleted executable: ${b}`,
        detail: { check: 'deleted-exe', pid: Number(a), exe: b },
      });
  }
  return out;
}

/** Tools that are absent are said so, once, as info findings. */
function absentTools(host: string, outputs: CollectedOutput[]): Finding[] {
  return outputs
    .filter((o) => o.text.startsWith('# absent: '))
    .map((o) => ({
      host,
      kind: 'rootkit.warning' as const,
      severity: 'info' as const,
      summary: o.text.slice(2).trim(),
      detail: { check: 'tool-absent', tool: o.label.replace('rootkit/', '') },
    }));
}

export const rootkitScan = defineStepType({
  type: 'rootkit_scan',
  description: 'chkrootkit / rkhunter when present, plus hidden-PID, ld.so.preload and deleted-executable cross-checks',
  schema: z.union([
    z.strictObject({
      tools: z.boolean().default(true).describe('Run chkrootkit and rkhunter when installed'),
    }),
    z.literal(true).transform(() => ({ tools: true })),
  ]),
  shellFields: [],
  changes: false,
  plan(p) {
    return [
      {
        kind: 'evidence',
        label: CROSSCHECK_LABEL,
        source: { kind: 'command', value: CROSSCHECK_SCRIPT },
        command: wrapEvidence(CROSSCHECK_SCRIPT, true),
      },
      ...(p.tools
        ? [tool('chkrootkit', 'chkrootkit -q'), tool('rkhunter', 'rkhunter --check --sk --rwo --nocolors')]
        : []),
    ];
  },
  analyze(_p, outputs, ctx) {
    const cross = outputs.find((o) => o.label === CROSSCHECK_LABEL);
    const tools = outputs.filter((o) => o.label !== CROSSCHECK_LABEL && !o.text.startsWith('# absent: '));
    return [
      ...(cross ? crosscheckFindings(ctx.host, cross.text).map((f) => ({ ...f, evidence: cross.sha256 })) : []),
      ...absentTools(ctx.host, outputs),
      ...analyzeOutputs(ctx.host, tools),
    ];
  },
});
