/**
 * A renderer for tests: turns events into short, stable text (no timestamps, no durations), so a test
 * can assert on a whole run with one string comparison.
 */
import type { EventSink, RunEvent } from '../core/index.js';

/** One stable line per event. Pure. */
export function testLine(e: RunEvent): string {
  switch (e.type) {
    case 'run.started':
      return `run.started ${e.runbook} hosts=${e.hosts.join(',')} phases=${e.phases.join(',')}`;
    case 'phase.started':
      return `phase.started ${e.phase} ${e.batch}/${e.batches} ${e.hosts.join(',')}`;
    case 'phase.finished':
      return `phase.finished ${e.phase} ${e.batch}/${e.batches} ok=${e.ok.join(',')} failed=${e.failed.join(',')}`;
    case 'host.started':
      return `host.started ${e.host} ${e.phase}`;
    case 'host.finished':
      return `host.finished ${e.host} ${e.phase} ${e.state}`;
    case 'host.waiting':
      return `host.waiting ${e.host} ${e.phase} ${e.segment}`;
    case 'host.unreachable':
      return `host.unreachable ${e.host} ${e.phase} ${e.reason}`;
    case 'host.failed':
      return `host.failed ${e.host} ${e.phase} ${e.step}`;
    case 'host.ended':
      return `host.ended ${e.host} ${e.phase} ${e.step}: ${e.reason}`;
    case 'step.started':
      return `step.started ${e.host} ${e.phase}/${e.step}`;
    case 'step.output':
      return `step.output ${e.host} ${e.phase}/${e.step} ${e.stream}: ${e.text}`;
    case 'step.retrying':
      return `step.retrying ${e.host} ${e.phase}/${e.step} ${e.attempt}/${e.of}`;
    case 'step.skipped':
      return `step.skipped ${e.host} ${e.phase}/${e.step}: ${e.reason}`;
    case 'step.finished':
      return `step.finished ${e.host} ${e.phase}/${e.step} ${e.outcome.status}${e.outcome.rc !== undefined ? ` rc=${e.outcome.rc}` : ''}`;
    case 'evidence.stored':
      return `evidence.stored ${e.host} ${e.phase}/${e.step} ${e.artifact.label} match=${String(e.artifact.match)}`;
    case 'finding':
      return `finding ${e.host} ${e.phase}/${e.step} ${e.finding.kind} ${e.finding.severity}`;
    case 'hostkey.replaced':
      return `hostkey.replaced ${e.host} ${e.phase}/${e.step}`;
    case 'run.inputs':
      return `run.inputs`;
    case 'run.resumed':
      return `run.resumed ${e.resume} ${e.inFlight.map((f) => `${f.host}:${f.index}`).join(',')}`;
    case 'run.aborted':
      return `run.aborted ${e.reason}`;
    case 'run.finished':
      return `run.finished exit=${e.exitCode}`;
  }
}

export class TestRenderer implements EventSink {
  readonly lines: string[] = [];
  constructor(private readonly filter: (e: RunEvent) => boolean = () => true) {}
  emit(e: RunEvent): void {
    if (this.filter(e)) this.lines.push(testLine(e));
  }
  get text(): string {
    return this.lines.join('\n');
  }
}
