/**
 * Rootkit cross-checks that need no tool, in one sh script: PIDs present in /proc but hidden from
 * `ps` (a userland rootkit's tell; each is asked again with `ps -p`, so a process that merely
 * started between the two listings is not reported) and processes running deleted executables.
 * The ld.so.preload check is the `persistence/ld.so.preload` fact, run beside this one.
 */
import type { Finding } from '../core/index.js';
import { defineFact } from './fact.js';
import { finding, lines } from './text.js';

/** One line per observation: `hidden-pid PID COMM`, `deleted-exe PID PATH`. */
const CROSSCHECK_SCRIPT = [
  `ps_pids=" $(ps -eo pid= | tr -s ' \\n' '  ') "`,
  `for d in /proc/[0-9]*; do p=\${d#/proc/}; [ "$p" = "$$" ] && continue; case "$ps_pids" in *" $p "*) continue ;; esac;`,
  // asked again after ps -p: a process that exited meanwhile is not hiding
  ` [ -d "$d" ] || continue; ps -p "$p" >/dev/null 2>&1 && continue; [ -d "$d" ] || continue; echo "hidden-pid $p $(cat "$d/comm" 2>/dev/null)"; done`,
  `for d in /proc/[0-9]*; do e=$(readlink "$d/exe" 2>/dev/null) || continue; case "$e" in *" (deleted)") echo "deleted-exe \${d#/proc/} $e" ;; esac; done`,
  `true`,
].join('\n');

export interface CrosscheckObservation {
  check: 'hidden-pid' | 'deleted-exe';
  pid: number;
  /** `comm` for a hidden PID, the `/proc/PID/exe` target for a deleted executable. */
  value: string;
}

export function parseCrosscheck(text: string): CrosscheckObservation[] {
  const out: CrosscheckObservation[] = [];
  for (const line of lines(text)) {
    const [check, pid = '', ...rest] = line.trim().split(' ');
    if ((check === 'hidden-pid' || check === 'deleted-exe') && /^\d+$/.test(pid))
      out.push({ check, pid: Number(pid), value: rest.join(' ') });
  }
  return out;
}

/** The only hidden-PID finding: critical, because `ps -p` was asked again before reporting it. */
export function crosscheckFindings(host: string, observations: readonly CrosscheckObservation[]): Finding[] {
  return observations.map(({ check, pid, value }) =>
    check === 'hidden-pid'
      ? finding(host, 'rootkit.warning', 'critical', `PID ${pid} (${value || '?'}) is in /proc but hidden from ps`, {
          check,
          pid,
          comm: value,
        })
      : finding(host, 'rootkit.warning', 'high', `PID ${pid} runs a deleted executable: ${value}`, {
          check,
          pid,
          exe: value,
        }),
  );
}

export const crosscheckFact = defineFact({
  label: 'rootkit/crosscheck',
  command: CROSSCHECK_SCRIPT,
  parse: parseCrosscheck,
  findings: crosscheckFindings,
});
