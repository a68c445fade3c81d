/**
 * Live output throttle. 500 hosts streaming megabytes would drown renderers and the journal, so only
 * whole lines become `step.output` events, each cut to a width, at most N per step and host; then one
 * marker says where the rest is. Full outputs are written to files by the executor, not here.
 */
import type { OutputLimits } from './executor-types.js';

export type OutputLine = (stream: 'stdout' | 'stderr', text: string) => void;

/** Feeds chunks in, calls `emit` for each whole line while under the cap. One per step attempt. */
export class OutputThrottle {
  private readonly partial = { stdout: '', stderr: '' };
  private emitted = 0;
  private capped = false;

  constructor(
    private readonly limits: Pick<OutputLimits, 'linesPerStep' | 'lineChars'>,
    private readonly emit: OutputLine,
    /** Where the full output is, for the marker line. */
    private readonly fullOutputHint: string,
  ) {}

  push(stream: 'stdout' | 'stderr', chunk: Buffer | string): void {
    if (this.capped) return;
    // Keep at most one line's worth of an unterminated line: a 1 GB line must not grow memory.
    const text = this.partial[stream] + chunk.toString();
    const lines = text.split('\n');
    const rest = lines.pop() ?? '';
    this.partial[stream] = rest.slice(0, this.limits.lineChars + 1);
    for (const line of lines) {
      if (!this.line(stream, line)) return;
    }
  }

  /** Flush unterminated last lines (call when the command ended). */
  end(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.partial[stream];
      this.partial[stream] = '';
      if (rest) this.line(stream, rest);
    }
  }

  private line(stream: 'stdout' | 'stderr', raw: string): boolean {
    if (this.capped) return false;
    if (this.emitted >= this.limits.linesPerStep) {
      this.capped = true;
      this.emit(stream, `… output capped at ${this.limits.linesPerStep} lines; full output in ${this.fullOutputHint}`);
      return false;
    }
    this.emitted++;
    const line = raw.replace(/\r$/, '');
    this.emit(stream, line.length > this.limits.lineChars ? `${line.slice(0, this.limits.lineChars)}…` : line);
    return true;
  }
}

/** Keep the head of a text, saying how much was cut. */
export function head(text: string, max: number): string {
  return text.length <= max
    ? text
    : `${text.slice(0, max)}\n… (${text.length - max} more characters in the output file)`;
}
