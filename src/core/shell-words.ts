/**
 * Word-level rules of one shell command line, for the shell lexer (shell-lexer.ts): which word is the
 * command name, where a `[ ]` / `[[ ]]` test starts and ends, and which words a command runs as code
 * (`sh -c SCRIPT`, `eval`, `su -c`, `ssh HOST CMD`, `watch`) or evaluates as arithmetic (`let`,
 * `declare -i`, the name of `printf -v`). Quoting a value delivers it byte for byte to the command;
 * these rules catch the commands that would then run or evaluate it.
 */

/** A word as the lexer saw it: its text after quote removal, whether any of it was quoted or expanded. */
export interface Word {
  text: string;
  /** Nothing quoted, escaped, expanded or templated: only such a word can be a keyword or operator. */
  plain: boolean;
  /** Length of the plain prefix of `text` (for `NAME=` assignments). */
  plainLength: number;
  /** Template values inside this word (their ids). */
  values: number[];
}

/** A value some rule refuses, with why and how to fix it. */
export type Report = (value: number, message: string) => void;

const RESERVED = new Set([
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'do',
  'done',
  'while',
  'until',
  'for',
  'in',
  '!',
  '{',
  '}',
  'time',
]);
const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'ksh', 'mksh', 'zsh', 'busybox']);
/** bash evaluates both operands of these as arithmetic, inside `[[ ]]` even when they are quoted. */
const ARITHMETIC_TESTS = new Set(['-eq', '-ne', '-lt', '-le', '-gt', '-ge']);
/** bash reads the operand of these as a variable name, whose array subscript it evaluates. */
const NAME_TESTS = new Set(['-v', '-R']);
const SSH_OPTIONS_WITH_ARG = new Set('BbcDEeFIiJLlmOoPpQRSWw'.split(''));
/** bash builtins that take `-i` to make a variable an integer, whose assigned values it then evaluates. */
const DECLARERS = new Set(['declare', 'typeset', 'local', 'export', 'readonly']);
/** Run the next word as the command: `builtin printf -v …`, `command -p let …`. */
const WRAPPERS = new Set(['builtin', 'command']);

const INTEGER = /^[+-]?[0-9]+$/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const basename = (text: string): string => text.slice(text.lastIndexOf('/') + 1);

type Interpreter =
  | { kind: 'shell'; name: string; sawC: boolean; skipNext: boolean }
  | { kind: 'all'; name: string }
  | { kind: 'su'; sawC: boolean }
  | { kind: 'ssh'; skipNext: boolean; host: boolean }
  /** Every later word is evaluated as arithmetic (`let`, `declare -i`): `what` names the command. */
  | { kind: 'arithmetic'; what: string; declares?: boolean }
  /** `declare`/`typeset`/`local` before any name: an `-i` among the options makes it arithmetic. */
  | { kind: 'declare'; name: string }
  /** `printf` before its format: the word after `-v` is a variable name. */
  | { kind: 'printf'; nameNext: boolean }
  | { kind: 'wrapper' };

/** The simple commands of one command-list level (the top, or one `$( )`). */
export class CommandWords {
  /** `case` … `esac` nesting: a `)` inside is a pattern's, not the end of a `$( )`. */
  cases = 0;
  private named = false;
  private test: { kind: '[' | '[['; words: Word[] } | undefined;
  private interpreter: Interpreter | undefined;

  constructor(
    private readonly report: Report,
    private readonly rawOf: (value: number) => string | undefined,
    /** Integer variables of the whole script (`declare -i n`), shared by every command level. */
    private readonly integers: Set<string> = new Set(),
  ) {}

  /** Inside `[[ ]]`, `&& || ( ) < >` are the test's own operators, not command separators. */
  get inDoubleBracket(): boolean {
    return this.test?.kind === '[[';
  }

  /** No command name yet: a word here can still be an assignment or a reserved word. */
  get atCommandPosition(): boolean {
    return !this.named && !this.test;
  }

  /** A word here may assign an array element (`a[i]=`, `declare a[i]=`): its subscript is arithmetic. */
  get assignmentPosition(): boolean {
    return this.atCommandPosition || this.interpreter?.kind === 'declare' || this.interpreter?.kind === 'arithmetic';
  }

  /** `((` at the start of a command is bash's arithmetic command. */
  arithmeticCommand(): void {
    this.named = true;
  }

  word(w: Word): void {
    if (this.test) {
      if (w.plain && w.text === (this.test.kind === '[[' ? ']]' : ']')) return this.finishTest();
      this.test.words.push(w);
      return;
    }
    if (!this.named) {
      if (w.plain && RESERVED.has(w.text)) return;
      if (w.plain && w.text === 'case') return void this.cases++;
      if (w.plain && w.text === 'esac') return void (this.cases = Math.max(0, this.cases - 1));
      const assignment = /^([A-Za-z_][A-Za-z0-9_]*)\+?=/.exec(w.text);
      if (assignment && assignment[0].length <= w.plainLength) return this.assigned(w, assignment[1] as string);

      this.named = true;
      if (w.plain && ['[[', '[', 'test'].includes(w.text)) {
        this.test = { kind: w.text === '[[' ? '[[' : '[', words: [] };
        return;
      }
      return this.interpret(w, true);
    }
    this.interpret(w, false);
  }

  /** End of a simple command (`;`, `&`, `|`, newline, `(`, `)`). */
  end(): void {
    if (this.test?.kind === '[') this.finishTest();
    if (this.inDoubleBracket) return;
    this.named = false;
    this.test = undefined;
    this.interpreter = undefined;
  }

  private finishTest(): void {
    const words = this.test?.words ?? [];
    this.test = undefined;
    words.forEach((w, i) => {
      if (!w.plain) return;
      if (ARITHMETIC_TESTS.has(w.text)) {
        for (const operand of [words[i - 1], words[i + 1]])
          this.check(
            operand,
            INTEGER,
            `an operand of ${w.text} in a test, which bash evaluates as arithmetic: it must be an integer`,
          );
      }
      if (NAME_TESTS.has(w.text))
        this.check(
          words[i + 1],
          NAME,
          `the operand of ${w.text} in a test, which bash reads as a variable name: it must be a name`,
        );
    });
  }

  /** `NAME=…` (an assignment word, or an argument of declare/local/export): arithmetic if NAME is an integer. */
  private assigned(w: Word, name: string): void {
    if (this.integers.has(name))
      this.check(
        w,
        INTEGER,
        `assigned to \`${name}\`, which the script made an integer (declare -i): bash evaluates it as arithmetic, it must be an integer`,
      );
  }

  private check(w: Word | undefined, pattern: RegExp, message: string): void {
    for (const id of w?.values ?? []) {
      const raw = this.rawOf(id);
      if (raw !== undefined && !pattern.test(raw)) this.report(id, message);
    }
  }

  private refuseValues(w: Word, message: string): void {
    for (const id of w.values) this.report(id, message);
  }

  /** `commandName`: `w` is the word the shell runs (a builtin such as `let` counts only there). */
  private interpret(w: Word, commandName: boolean): void {
    const it = this.interpreter;
    const name = w.plain ? basename(w.text) : '';
    if (!it) {
      // Any word, not only the command name: `sudo sh -c`, `timeout 5 bash -c`, `find … -exec sh -c`.
      if (SHELLS.has(name)) this.interpreter = { kind: 'shell', name, sawC: false, skipNext: false };
      else if (name === 'eval' || name === 'watch') this.interpreter = { kind: 'all', name };
      else if (name === 'su' || name === 'runuser') this.interpreter = { kind: 'su', sawC: false };
      else if (name === 'ssh') this.interpreter = { kind: 'ssh', skipNext: false, host: false };
      else if (commandName) this.interpreter = builtinInterpreter(w);
      return;
    }
    const option = w.plain && /^[-+]/.test(w.text);
    switch (it.kind) {
      case 'wrapper':
        if (option) return;
        this.interpreter = undefined;
        return this.interpret(w, true);
      case 'arithmetic':
        if (it.declares) {
          const declared = /^([A-Za-z_][A-Za-z0-9_]*)(\+?=|$)/.exec(w.text);
          if (declared && declared[1]!.length <= w.plainLength) this.integers.add(declared[1] as string);
        }
        return this.check(
          w,
          INTEGER,
          `an argument of \`${it.what}\`, which bash evaluates as arithmetic (running any $(…) in an array subscript): it must be an integer`,
        );
      case 'declare': {
        if (option && /^-[A-Za-z]*i[A-Za-z]*$/.test(w.text))
          this.interpreter = { kind: 'arithmetic', what: `${it.name} -i`, declares: true };
        else if (!option) {
          // `declare n=…`, `export n=…` of a variable made an integer earlier: evaluated too.
          const named = /^([A-Za-z_][A-Za-z0-9_]*)\+?=/.exec(w.text);
          if (named && named[0].length <= w.plainLength) this.assigned(w, named[1] as string);
        }
        return;
      }
      case 'printf':
        if (it.nameNext) {
          this.check(
            w,
            NAME,
            'the variable name of `printf -v`, whose array subscript bash evaluates as arithmetic: it must be a name',
          );
          this.interpreter = undefined;
        } else if (w.plain && w.text === '-v') it.nameNext = true;
        else this.interpreter = undefined;
        return;
      case 'shell':
        if (it.skipNext) it.skipNext = false;
        else if (option && /^[-+]o$/.test(w.text)) it.skipNext = true;
        else if (option && /^-[A-Za-z]*c[A-Za-z]*$/.test(w.text)) it.sawC = true;
        else if (!option) {
          if (it.sawC)
            this.refuseValues(
              w,
              `inside the script of \`${it.name} -c\`, which runs it as code; pass it as an argument instead: ${it.name} -c '… "$1" …' ${it.name} {{x}}`,
            );
          this.interpreter = undefined;
        }
        return;
      case 'all':
        return this.refuseValues(
          w,
          `an argument of \`${it.name}\`, which runs its arguments as shell code; run the command without ${it.name}`,
        );
      case 'su':
        if (it.sawC) {
          this.refuseValues(
            w,
            'the command of `su -c`, which runs it as shell code; pass the value in the environment or as an argument to a script',
          );
          this.interpreter = undefined;
        } else if (w.plain && (w.text === '-c' || w.text === '--command')) it.sawC = true;
        return;
      case 'ssh':
        if (it.host)
          return this.refuseValues(
            w,
            'the remote command of `ssh`, which a remote shell runs as code; copy a script over and pass the value as its argument',
          );
        if (it.skipNext) it.skipNext = false;
        else if (option) it.skipNext = w.text.length === 2 && SSH_OPTIONS_WITH_ARG.has(w.text[1] ?? '');
        else it.host = true;
        return;
    }
  }
}

/** What a command name makes of the words after it: bash builtins that evaluate their arguments. */
function builtinInterpreter(w: Word): Interpreter | undefined {
  if (!w.plain) return undefined;
  if (w.text === 'let') return { kind: 'arithmetic', what: 'let' };
  if (DECLARERS.has(w.text)) return { kind: 'declare', name: w.text };
  if (w.text === 'printf') return { kind: 'printf', nameNext: false };
  if (WRAPPERS.has(w.text)) return { kind: 'wrapper' };
  return undefined;
}
