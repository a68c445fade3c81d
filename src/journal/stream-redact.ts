/**
 * Redaction of a byte stream, for output that goes to disk as it arrives (a step printing more than
 * fits in memory): the same secrets and forms as the text redactor, matched on bytes, holding back
 * the last bytes of each chunk that could be the start of a secret the next chunk completes.
 */

export class StreamRedactor {
  private tail = '';
  private readonly keep: number;
  /** `secrets`: the redactor's list as UTF-8 bytes in latin1 strings (one char per byte), longest first. */
  constructor(private readonly secrets: readonly string[]) {
    this.keep = Math.max(0, ...secrets.map((s) => s.length - 1));
  }

  /** The bytes of `chunk` (and what was held back) that can be written now, redacted. */
  push(chunk: Buffer): Buffer {
    let s = this.tail + chunk.toString('latin1');
    for (const secret of this.secrets) if (s.includes(secret)) s = s.split(secret).join('***');
    // A secret cut by the chunk's end starts within its last `keep` bytes: hold them for the next one.
    const cut = Math.max(0, s.length - this.keep);
    this.tail = s.slice(cut);
    return Buffer.from(s.slice(0, cut), 'latin1');
  }

  /** At the end of the stream: what was held back (it completed no secret). */
  end(): Buffer {
    const rest = this.tail;
    this.tail = '';
    return Buffer.from(rest, 'latin1');
  }
}
