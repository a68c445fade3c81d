/**
 * A small incremental lexer of POSIX sh (plus bash's `[[ ]]`, `(( ))` and `$'…'`), just enough to know
 * where a template value lands: a bare word, `"…"`, `'…'`, a here-document body, `$(( ))`, a comment —
 * or a place no quoting makes safe (backticks, `${…}`, `$'…'`, a here-document's delimiter, right after
 * `$` or a backslash). Text is fed in pieces: the template's literal text, and each value as quoted for
 * its landing. The value goes through the lexer too, so one that would still change the structure (end
 * a here-document, close a quote) is reported instead of trusted. It is not a parser: it tracks quotes,
 * substitutions, here-documents and the words of simple commands, which is what quoting depends on.
 */
import { CommandWords, type Word } from './shell-words.js';

/** Where a value lands, and so how it must be quoted (quote-context.ts). */
export type Landing =
  /**
   * An unquoted word. `quoteAlways`: where a command name would be (`NAME=x` or `if` would be syntax)
   * or inside `[[ ]]` (an unquoted `-n` or `!` would be an operator).
   */
  | { kind: 'bare'; quoteAlways: boolean }
  | { kind: 'double' }
  | { kind: 'single' }
  /** A here-document body; `quoted`: its delimiter was quoted (`<<'EOF'`), so nothing in it expands. */
  | { kind: 'heredoc'; quoted: boolean }
  /** `$(( ))` or `(( ))`: the text is evaluated as arithmetic. */
  | { kind: 'arithmetic' }
  | { kind: 'comment' }
  /** No quoting is reliable here: `where` says what the place is, `fix` what to write instead. */
  | { kind: 'refused'; where: string; fix: string };

interface Heredoc {
  delimiter: string;
  quoted: boolean;
  stripTabs: boolean;
}

type Frame =
  | {
      kind: 'cmd';
      /** `$( )` (ends at its `)`), or the top level. */
      sub: boolean;
      parens: number;
      words: CommandWords;
      word: Word | undefined;
      heredocs: Heredoc[];
      delimiterNext: { stripTabs: boolean } | undefined;
      redirectNext: boolean;
    }
  | { kind: 'double' | 'single' | 'ansi' | 'backtick' | 'comment' }
  | { kind: 'param'; braces: number }
  /** `$(( ))` and `(( ))`; `bracket` is set for bash's older `$[ ]`, which ends at its `]`. */
  | { kind: 'arith'; parens: number; bracket?: number }
  | { kind: 'heredoc'; doc: Heredoc; line: string; lineHasValue: boolean };

type CmdFrame = Extract<Frame, { kind: 'cmd' }>;

/** A value the lexer refuses after seeing it (or the words around it). */
export interface LexProblem {
  value: number;
  message: string;
}

export class ShellLexer {
  readonly problems: LexProblem[] = [];
  private readonly frames: Frame[];
  /** A character that needs the next one to decide (`$`, `<`, `<<`, `(`, `$(`, `)` in arithmetic). */
  private pending = '';
  /** The next character is escaped by a backslash. */
  private escaped = false;
  private readonly raws = new Map<number, string | undefined>();
  /** Variables the script made integers (`declare -i n`): bash evaluates what is assigned to them later. */
  private readonly integers = new Set<string>();
  private current: number | undefined;

  constructor() {
    this.frames = [this.cmdFrame(false)];
  }

  /** Literal template text. */
  feed(text: string): void {
    for (const ch of text) this.step(ch);
  }

  /** Where a value would land now. */
  landing(): Landing {
    if (this.escaped) return refused('right after a backslash', 'put a space or quote between the backslash and {{x}}');
    this.settlePending();
    if (this.pending === '$')
      return refused('right after `$`', 'write {{x}} on its own; to expand a variable, use ${name}, not a template');
    if (this.pending === '<<') return refused('a here-document delimiter', 'use a fixed delimiter word (<<EOF)');
    if (this.frames.some((f) => f.kind === 'backtick'))
      return refused(
        'inside backticks, where backslashes and backticks are processed before quotes',
        'write $( … ) instead of backticks',
      );
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const f = this.frames[i] as Frame;
      if (f.kind === 'cmd' || f.kind === 'heredoc') break;
      if (f.kind === 'param')
        return refused(
          'inside ${…}',
          'put the value in its own word, or set a variable from it first: v={{x}}; … "${v…}"',
        );
      if (f.kind === 'arith') return { kind: 'arithmetic' };
    }
    const top = this.top();
    switch (top.kind) {
      case 'cmd':
        if (top.delimiterNext) return refused('a here-document delimiter', 'use a fixed delimiter word (<<EOF)');
        // `a[…]=` (or `declare a[…]`): bash evaluates an indexed array's subscript as arithmetic.
        if (this.inSubscript(top)) return { kind: 'arithmetic' };
        return {
          kind: 'bare',
          quoteAlways: (top.words.atCommandPosition && !this.assignmentValue(top)) || top.words.inDoubleBracket,
        };
      case 'double':
        return { kind: 'double' };
      case 'single':
        return { kind: 'single' };
      case 'heredoc':
        return { kind: 'heredoc', quoted: top.doc.quoted };
      case 'arith':
        return { kind: 'arithmetic' };
      case 'comment':
        return { kind: 'comment' };
      default:
        return refused("inside $'…'", "use '…' or \"…\" around {{x}}, not $'…'");
    }
  }

  /**
   * A value, already quoted for `landing()`. `raw` is the value itself (undefined when checking a
   * template without values): rules about the words around it (a test's operands) look at it.
   */
  feedValue(id: number, raw: string | undefined, quoted: string): void {
    this.raws.set(id, raw);
    const cmd = this.wordOwner();
    if (cmd) {
      const w = (cmd.word ??= newWord());
      w.values.push(id);
      w.plain = false;
    }
    const before = this.state();
    this.current = id;
    try {
      for (const ch of quoted) this.step(ch);
    } finally {
      this.current = undefined;
    }
    if (this.state() !== before) this.problem(id, 'it would change the structure of the command around it');
  }

  /** The end of the command text: finish the last word and command. */
  end(): void {
    this.settlePending();
    const top = this.top();
    if (top.kind === 'cmd') {
      this.endWord(top);
      top.words.end();
    }
  }

  /** The nesting of quotes, substitutions and here-documents: equal before and after a balanced piece. */
  state(): string {
    const kinds = this.frames.map((f) => (f.kind === 'heredoc' ? `heredoc:${f.doc.delimiter}` : f.kind));
    return `${kinds.join('/')}|${this.pending}|${this.escaped}`;
  }

  private problem(value: number, message: string): void {
    if (!this.problems.some((p) => p.value === value && p.message === message)) this.problems.push({ value, message });
  }

  private cmdFrame(sub: boolean): CmdFrame {
    return {
      kind: 'cmd',
      sub,
      parens: 0,
      words: new CommandWords(
        (v, m) => this.problem(v, m),
        (v) => this.raws.get(v),
        this.integers,
      ),
      word: undefined,
      heredocs: [],
      delimiterNext: undefined,
      redirectNext: false,
    };
  }

  private top(): Frame {
    return this.frames[this.frames.length - 1] as Frame;
  }

  /** The command frame whose current word a character belongs to (directly, or through "…" / '…'). */
  private wordOwner(): CmdFrame | undefined {
    const top = this.top();
    if (top.kind === 'cmd') return top;
    const below = this.frames[this.frames.length - 2];
    return below?.kind === 'cmd' && top.kind !== 'comment' && top.kind !== 'heredoc' ? below : undefined;
  }

  /** `NAME={{x}}`: the value is an assignment's, not a command name. */
  /** Inside the `[…]` of an array element being assigned or declared, its `]` not reached yet. */
  private inSubscript(f: CmdFrame): boolean {
    const m = f.word ? /^[A-Za-z_][A-Za-z0-9_]*\[[^\]]*$/.exec(f.word.text) : null;
    return !!m && !!f.word && f.word.text.indexOf('[') < f.word.plainLength && f.words.assignmentPosition;
  }

  private assignmentValue(f: CmdFrame): boolean {
    const m = f.word ? /^[A-Za-z_][A-Za-z0-9_]*=/.exec(f.word.text) : null;
    return !!m && !!f.word && m[0].length <= f.word.plainLength;
  }

  private appendToWord(ch: string, plain: boolean): void {
    const f = this.wordOwner();
    if (!f) return;
    const w = (f.word ??= newWord());
    w.text += ch;
    if (!plain || this.current !== undefined) w.plain = false;
    if (w.plain) w.plainLength = w.text.length;
  }

  private push(frame: Frame): void {
    this.appendToWord('', false);
    this.frames.push(frame);
  }

  private pop(): void {
    if (this.frames.length > 1) this.frames.pop();
  }

  /** Decide a pending character as if a neutral one followed (a value is about to start). */
  private settlePending(): void {
    const p = this.pending;
    if (!['<', '(', '$(', ')'].includes(p)) return;
    this.pending = '';
    this.resolve(p, ' ', true);
  }

  private step(ch: string): void {
    this.trackHeredocLine(ch);
    if (this.pending) {
      const p = this.pending;
      this.pending = '';
      if (this.resolve(p, ch)) return;
    }
    if (this.escaped) {
      this.escaped = false;
      if (ch !== '\n') this.appendToWord(ch, false);
      return;
    }
    const top = this.top();
    switch (top.kind) {
      case 'cmd':
        return this.stepCmd(top, ch);
      case 'double':
        if (ch === '"') return this.pop();
        if (ch === '\\' || ch === '$' || ch === '`') return this.special(ch);
        return this.appendToWord(ch, false);
      case 'single':
        if (ch === "'") return this.pop();
        return this.appendToWord(ch, false);
      case 'ansi':
      case 'backtick':
        if (ch === '\\') this.escaped = true;
        else if (ch === (top.kind === 'ansi' ? "'" : '`')) this.pop();
        return;
      case 'comment':
        if (ch === '\n') {
          this.pop();
          this.step(ch);
        }
        return;
      case 'param':
        if (ch === '{') top.braces++;
        else if (ch === '}') {
          if (top.braces-- === 0) this.pop();
        } else if (ch === "'") this.frames.push({ kind: 'single' });
        else if (ch === '"') this.frames.push({ kind: 'double' });
        else this.special(ch);
        return;
      case 'arith':
        if (top.bracket !== undefined && ch === '[') top.bracket++;
        else if (top.bracket !== undefined && ch === ']') {
          if (top.bracket-- === 0) this.pop();
        } else if (ch === '(') top.parens++;
        else if (ch === ')') {
          if (top.parens > 0) top.parens--;
          else this.pending = ')';
        } else if (ch === "'") this.frames.push({ kind: 'single' });
        else if (ch === '"') this.frames.push({ kind: 'double' });
        else this.special(ch);
        return;
      case 'heredoc':
        if (!top.doc.quoted) this.special(ch);
        return;
    }
  }

  /** Backslash, `$` and backtick: special in words, "…", unquoted here-documents, ${…} and $(( )). */
  private special(ch: string): void {
    if (ch === '\\') this.escaped = true;
    else if (ch === '$') this.pending = '$';
    else if (ch === '`') this.push({ kind: 'backtick' });
    else this.appendToWord(ch, false);
  }

  /** Resolve a pending character given the next one; true when `ch` was consumed. */
  private resolve(p: string, ch: string, neutral = false): boolean {
    const top = this.top();
    if (p === '$') {
      if (ch === '(') return (void (this.pending = '$('), true);
      if (ch === '{') return (this.push({ kind: 'param', braces: 0 }), true);
      if (ch === '[') return (this.push({ kind: 'arith', parens: 0, bracket: 0 }), true);
      if (ch === "'" && top.kind !== 'double' && top.kind !== 'heredoc') return (this.push({ kind: 'ansi' }), true);
      this.appendToWord('$', false);
      return false;
    }
    if (p === '$(') {
      if (ch === '(' && !neutral) return (this.push({ kind: 'arith', parens: 0 }), true);
      this.push(this.cmdFrame(true));
      return false;
    }
    if (p === ')') {
      this.pop(); // `))` ends $(( )); a lone `)` there is a mistake the shell reports
      return ch === ')' && !neutral;
    }
    if (top.kind !== 'cmd') return false;
    if (p === '(') {
      if (ch === '(' && !neutral) {
        top.words.arithmeticCommand();
        this.frames.push({ kind: 'arith', parens: 0 });
        return true;
      }
      top.parens++;
      return false;
    }
    if (p === '<') {
      if (ch === '<') return (void (this.pending = '<<'), true);
      top.redirectNext = true;
      return false;
    }
    if (p === '<<') {
      if (ch === '<') return (void (top.redirectNext = false), true); // bash's <<< here-string: its word is a plain word
      top.delimiterNext = { stripTabs: ch === '-' };
      return ch === '-';
    }
    return false;
  }

  private stepCmd(f: CmdFrame, ch: string): void {
    const bracket = f.words.inDoubleBracket;
    if (ch === ' ' || ch === '\t') return this.endWord(f);
    if (ch === '\n') {
      this.endWord(f);
      if (!bracket) f.words.end();
      for (const doc of f.heredocs.reverse()) this.frames.push({ kind: 'heredoc', doc, line: '', lineHasValue: false });
      f.heredocs = [];
      return;
    }
    if (ch === '#' && !f.word) return void this.frames.push({ kind: 'comment' });
    if (ch === "'" || ch === '"') return this.push({ kind: ch === "'" ? 'single' : 'double' });
    if (ch === '\\' || ch === '$' || ch === '`') return this.special(ch);
    if (bracket && '&|()<>'.includes(ch)) {
      this.endWord(f);
      return;
    }
    if (ch === ';' || ch === '&' || ch === '|') {
      this.endWord(f);
      f.words.end();
      return;
    }
    if (ch === '(') {
      this.endWord(f);
      if (f.words.atCommandPosition) this.pending = '(';
      else f.parens++;
      return;
    }
    if (ch === ')') {
      this.endWord(f);
      f.words.end();
      if (f.parens > 0) f.parens--;
      else if (f.words.cases === 0 && f.sub) this.pop();
      return;
    }
    if (ch === '<' || ch === '>') {
      this.endWord(f);
      if (ch === '<') this.pending = '<';
      else f.redirectNext = true;
      return;
    }
    this.appendToWord(ch, true);
  }

  private endWord(f: CmdFrame): void {
    const w = f.word;
    if (!w) return;
    f.word = undefined;
    if (f.delimiterNext) {
      f.heredocs.push({ delimiter: w.text, quoted: !w.plain, stripTabs: f.delimiterNext.stripTabs });
      f.delimiterNext = undefined;
    } else if (f.redirectNext) f.redirectNext = false;
    else f.words.word(w);
  }

  /** Here-document bodies are read line by line before anything in them is parsed. */
  private trackHeredocLine(ch: string): void {
    let i = this.frames.length - 1;
    while (i >= 0 && this.frames[i]?.kind !== 'heredoc') i--;
    const h = this.frames[i];
    if (!h || h.kind !== 'heredoc') return;
    const inValue = this.current !== undefined;
    if (ch !== '\n') {
      if (h.doc.stripTabs && ch === '\t' && inValue && h.line.length === h.line.search(/[^\t]|$/))
        this.problem(this.current as number, 'a tab at the start of a line, which <<- strips');
      h.line += ch;
      h.lineHasValue ||= inValue;
      return;
    }
    const line = h.doc.stripTabs ? h.line.replace(/^\t+/, '') : h.line;
    const hadValue = h.lineHasValue || inValue;
    h.line = '';
    h.lineHasValue = false;
    if (line !== h.doc.delimiter) return;
    if (hadValue) {
      const id = this.current ?? [...this.raws.keys()].pop() ?? 0;
      this.problem(id, `a line that is the here-document's delimiter (${h.doc.delimiter}), which would end it early`);
    }
    this.frames.length = i;
    this.pending = '';
    this.escaped = false;
  }
}

function refused(where: string, fix: string): Landing {
  return { kind: 'refused', where, fix };
}

function newWord(): Word {
  return { text: '', plain: true, plainLength: 0, values: [] };
}
