/**
 * Plain line renderer for non-TTY output (CI logs): one line per notable event — phase start and end,
 * each step's end per host, retries, skips, unreachable hosts, abort, end of run. Never step output
 * (that is in the run directory) and no cursor movement.
 */
import { describeHostEnd, terminalSafe, type EventSink, type RunEvent } from '../core/index.js';
import { compressHosts } from './hostlist.js';

export interface PlainOptions {
  write: (line: string) => void;
  /** Prefix lines with the event's UTC time (HH:MM:SS). Default true. */
  timestamps?: boolean;
}

/** The text of one event, or undefined when the event is not worth a line. Pure. */
export function plainLine(e: RunEvent): string | undefined {
  switch (e.type) {
    case 'run.started':
      return `run ${e.runId}: ${e.runbook} on ${e.hosts.length} host(s), forks ${e.forks}, phases ${e.phases.join(' → ')}; run dir ${e.runDir}`;
    case 'phase.started':
      return `== ${e.phase}${e.batches > 1 ? ` batch ${e.batch}/${e.batches}` : ''}: ${e.hosts.length} host(s) ==`;
    case 'phase.finished':
      return `== ${e.phase}${e.batches > 1 ? ` batch ${e.batch}/${e.batches}` : ''} done: ${e.ok.length} ok, ${e.failed.length} failed${e.failed.length ? ` (${compressHosts(e.failed)})` : ''} ==`;
    case 'step.finished': {
      const o = e.outcome;
      if (o.unreachable) return undefined; // the UNREACHABLE line right after says it once
      const rc = o.rc !== undefined && o.rc !== null && o.rc !== 0 ? ` rc=${o.rc}` : '';
      const tries = o.attempts && o.attempts > 1 ? ` after ${o.attempts} attempts` : '';
      const why =
        o.status === 'failed' || o.status === 'ignored' ? (o.message ? `: ${o.message.split('\n')[0]}` : '') : '';
      const capped = o.outputCapped ? ` [${o.outputCapped}]` : '';
      return `${e.host} | ${e.phase} | ${e.step} | ${o.status.toUpperCase()}${rc} ${(o.durationMs / 1000).toFixed(1)}s${tries}${why}${capped}`;
    }
    case 'step.retrying':
      return `${e.host} | ${e.phase} | ${e.step} | retry ${e.attempt}/${e.of - 1} in ${(e.delayMs / 1000).toFixed(1)}s: ${e.message.split('\n')[0]}`;
    case 'step.skipped':
      return `${e.host} | ${e.phase} | ${e.step} | SKIPPED: ${e.reason}`;
    case 'host.unreachable':
      return `${e.host} | ${e.phase} | UNREACHABLE: ${e.message}`;
    case 'host.ended':
      return `${e.host} | ${e.phase} | ${e.step} | ENDED: ${describeHostEnd(e)}`;
    case 'host.waiting':
      return `${e.host} | ${e.phase} | WAITING for a worker of segment ${e.segment}: ${e.message}`;
    case 'finding':
      // Info and low findings are in the journal and the report; the live view shows what needs eyes.
      return ['medium', 'high', 'critical'].includes(e.finding.severity)
        ? `${e.host} | ${e.phase} | ${e.step} | FINDING ${e.finding.severity}: ${e.finding.summary}`
        : undefined;
    case 'hostkey.replaced':
      return `${e.host} | ${e.phase} | ${e.step} | new host key accepted for the reinstalled host: ${e.newFingerprint}`;
    case 'run.aborted':
      return `!! run aborted: ${e.reason}`;
    case 'run.resumed':
      return `== run resumed (${e.resume}); in flight at the crash: ${e.inFlight.map((f) => `${f.host} step ${f.index} (${f.step})`).join(', ') || 'nothing'} ==`;
    case 'run.finished':
      return `run finished in ${(e.durationMs / 1000).toFixed(1)}s, exit code ${e.exitCode}`;
    default:
      return undefined;
  }
}

export class PlainRenderer implements EventSink {
  constructor(private readonly opts: PlainOptions) {}

  emit(e: RunEvent): void {
    const line = plainLine(e);
    if (line === undefined) return;
    const stamp = this.opts.timestamps === false ? '' : `${e.at.slice(11, 19)} `;
    this.opts.write(`${stamp}${terminalSafe(line)}\n`);
  }
}
