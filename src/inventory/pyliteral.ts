/**
 * The subset of Python's `ast.literal_eval` that Ansible's INI plugin applies to every value:
 * numbers, strings (any quote style, implicit concatenation), True/False/None, lists, tuples,
 * sets and dicts, a sign on a number, comments. Anything else is "not a literal" and the raw text
 * is kept, exactly as Ansible does (`yes` stays the string "yes", `010` stays "010").
 */

/** Result of evaluating an INI value: the literal if it is one, else the original text. */
export function iniValue(text: string): unknown {
  try {
    return literalEval(text);
  } catch (e) {
    if (e instanceof NotLiteral) return text;
    throw e;
  }
}

class NotLiteral extends Error {}

/**
 * Most INI values are not literals (`ansible_host=10.0.0.5`, paths, user names), so "not a literal"
 * is the common outcome, once per value of every host line: one shared error, because building a
 * new one captures a stack trace each time (~4 ms per 50 hosts, on the start-up path of every run).
 */
const NOT_LITERAL = new NotLiteral('not a Python literal');

const fail = (_why: string): never => {
  throw NOT_LITERAL;
};

/** Evaluates `text` as a Python literal; throws NotLiteral when Python would raise ValueError/SyntaxError. */
export function literalEval(text: string): unknown {
  const p = new Parser(text.replace(/^[ \t]+/, ''));
  const v = p.expr();
  p.ws();
  if (!p.done()) fail('trailing input');
  return v;
}

const NUM =
  /^(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|(?:(?:[0-9](?:_?[0-9])*)?\.[0-9](?:_?[0-9])*|[0-9](?:_?[0-9])*\.?)(?:[eE][+-]?[0-9](?:_?[0-9])*)?)[jJ]?/;

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly s: string) {}

  done(): boolean {
    return this.i >= this.s.length;
  }

  /** Skips whitespace, line continuations and comments, as Python's tokenizer does. */
  ws(): void {
    for (;;) {
      const c = this.s[this.i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') this.i++;
      else if (c === '\\' && this.s[this.i + 1] === '\n') this.i += 2;
      else if (c === '#') {
        const nl = this.s.indexOf('\n', this.i);
        this.i = nl < 0 ? this.s.length : nl;
      } else return;
    }
  }

  private peek(): string {
    this.ws();
    return this.s[this.i] ?? '';
  }

  private eat(ch: string): boolean {
    if (this.peek() === ch) {
      this.i++;
      return true;
    }
    return false;
  }

  /** A top-level expression: a bare tuple `1, 2` is allowed too. */
  expr(): unknown {
    const first = this.atom();
    if (this.peek() !== ',') return first;
    const items = [first];
    while (this.eat(',')) {
      const c = this.peek();
      if (c === '' || c === ')' || c === ']' || c === '}') break;
      items.push(this.atom());
    }
    return items;
  }

  private atom(): unknown {
    if (++this.depth > 100) fail('too deep');
    try {
      return this.atomInner();
    } finally {
      this.depth--;
    }
  }

  private atomInner(): unknown {
    const c = this.peek();
    if (c === '[') return this.seq(']');
    if (c === '(') return this.paren();
    if (c === '{') return this.brace();
    if (c === '+' || c === '-') {
      this.i++;
      this.ws();
      const m = NUM.exec(this.s.slice(this.i));
      if (!m) fail('sign on a non-number');
      const v = this.number();
      return c === '-' ? -(v as number) : v;
    }
    if (/[0-9.]/.test(c)) return this.number();
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i)) as RegExpExecArray;
      const word = m[0];
      const q = this.s[this.i + word.length];
      if ((q === '"' || q === "'") && /^(?:[rRuUbB]|[bB][rR]|[rR][bB])$/.test(word)) return this.strings();
      this.i += word.length;
      if (word === 'True') return true;
      if (word === 'False') return false;
      if (word === 'None') return null;
      if (word === 'set' && this.eat('(')) {
        if (this.eat(')')) return [];
        fail('set() with arguments');
      }
      return fail(`name ${word}`);
    }
    if (c === '"' || c === "'") return this.strings();
    return fail(`unexpected ${c || 'end'}`);
  }

  private number(): unknown {
    const m = NUM.exec(this.s.slice(this.i));
    if (!m || m[0] === '.') return fail('bad number');
    let t = m[0];
    this.i += t.length;
    if (/[A-Za-z0-9_.]/.test(this.s[this.i] ?? '')) fail('bad number suffix');
    if (/[jJ]$/.test(t)) fail('complex numbers are not supported');
    t = t.replace(/_/g, '');
    if (/^0[xXoObB]/.test(t)) return Number(t);
    if (/[.eE]/.test(t)) return Number.parseFloat(t);
    if (/^0+[1-9]/.test(t)) fail('leading zeros');
    return Number(t);
  }

  /** One or more adjacent string literals, concatenated (`'a' 'b'` is "ab"). */
  private strings(): string {
    let out = '';
    for (;;) {
      const m = /^([rRuUbB]{0,2})('''|"""|'|")/.exec(this.s.slice(this.i));
      if (!m) break;
      const raw = /[rR]/.test(m[1] as string);
      const q = m[2] as string;
      this.i += m[0].length;
      let body = '';
      for (;;) {
        if (this.i >= this.s.length) fail('unterminated string');
        if (this.s.startsWith(q, this.i)) {
          this.i += q.length;
          break;
        }
        const ch = this.s[this.i] as string;
        if (ch === '\n' && q.length === 1) fail('newline in string');
        if (ch === '\\' && this.i + 1 < this.s.length) {
          body += this.s.slice(this.i, this.i + 2);
          this.i += 2;
          continue;
        }
        body += ch;
        this.i++;
      }
      out += raw ? body : unescape(body);
      this.ws();
    }
    return out;
  }

  private seq(close: string): unknown[] {
    this.i++;
    const items: unknown[] = [];
    while (!this.eat(close)) {
      if (this.done()) fail('unterminated');
      items.push(this.atom());
      if (!this.eat(',')) {
        if (!this.eat(close)) fail(`expected ${close}`);
        break;
      }
    }
    return items;
  }

  private paren(): unknown {
    this.i++;
    if (this.eat(')')) return [];
    const first = this.atom();
    if (this.eat(')')) return first;
    if (!this.eat(',')) fail('expected , or )');
    const items = [first];
    while (!this.eat(')')) {
      if (this.done()) fail('unterminated');
      items.push(this.atom());
      if (!this.eat(',')) {
        if (!this.eat(')')) fail('expected )');
        break;
      }
    }
    return items;
  }

  private brace(): unknown {
    this.i++;
    if (this.eat('}')) return {};
    const first = this.atom();
    if (this.peek() !== ':') {
      // A set literal: JSON has no sets, so it becomes a list.
      const items = [first];
      while (this.eat(',')) {
        if (this.eat('}')) return items;
        items.push(this.atom());
      }
      if (!this.eat('}')) fail('expected }');
      return items;
    }
    const out: Record<string, unknown> = {};
    let key = first;
    for (;;) {
      if (!this.eat(':')) fail('expected :');
      if (typeof key === 'object' && key !== null && !Array.isArray(key)) fail('unhashable key');
      out[keyString(key)] = this.atom();
      if (this.eat('}')) return out;
      if (!this.eat(',')) fail('expected , or }');
      if (this.eat('}')) return out;
      key = this.atom();
    }
  }
}

/** How Python's json module writes a dict key. */
function keyString(k: unknown): string {
  if (k === null) return 'null';
  return String(k);
}

const SIMPLE: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\n': '',
};

/** Python string escapes; an unknown escape keeps its backslash, as Python does. */
function unescape(body: string): string {
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|[\s\S])/g, (whole, e: string) => {
    const s = SIMPLE[e];
    if (s !== undefined) return s;
    if (/^[0-7]+$/.test(e)) return String.fromCodePoint(Number.parseInt(e, 8));
    if (/^[xuU]/.test(e) && e.length > 1) return String.fromCodePoint(Number.parseInt(e.slice(1), 16));
    return whole;
  });
}
