/** `--json`: every event as one JSON line (NDJSON) on stdout, for machines. */
import type { EventSink, RunEvent } from '../core/index.js';

export class JsonRenderer implements EventSink {
  constructor(private readonly write: (text: string) => void = (t) => process.stdout.write(t)) {}

  emit(e: RunEvent): void {
    this.write(`${JSON.stringify(e)}\n`);
  }
}
