/**
 * Hostile fragments the mutator inserts: the inputs issue 17 found crashing or hanging loaders
 * (alias bombs, deep nesting, huge ranges, long lines, 20 MB values, `{{#if}}` towers, giant group
 * names) and the classic troublemakers (NULs, invalid UTF-8, terminal escapes, odd YAML tags).
 */
import type { Rng } from './rng.js';

/** One kind of hostile text; `make` draws its size and shape from the case's generator. */
export interface Fragment {
  name: string;
  make(rng: Rng): string | Buffer;
}

const MB = 1024 * 1024;
const repeat = (s: string, n: number): string => s.repeat(n);
const nested = (open: string, close: string, n: number): string => open.repeat(n) + close.repeat(n);

/** `a9` expands to 9^10 nodes. */
function aliasBomb(levels: number): string {
  let text = 'a0: &a0 [x, x, x, x, x, x, x, x, x]\n';
  for (let i = 1; i < levels; i++)
    text += `a${i}: &a${i} [${Array(9)
      .fill(`*a${i - 1}`)
      .join(', ')}]\n`;
  return text;
}

function staircase(n: number, item: (i: number) => string): string {
  return Array.from({ length: n }, (_, i) => ' '.repeat(i) + item(i)).join('\n');
}

export const FRAGMENTS: readonly Fragment[] = [
  { name: 'alias-bomb', make: (r) => aliasBomb(2 + r.int(9)) },
  { name: 'alias-dangling', make: () => '*nowhere' },
  { name: 'alias-self', make: () => '&a [*a, *a]' },
  { name: 'merge-key', make: () => 'base: &b {x: 1}\nm:\n  <<: *b\n  <<: [*b, *b]\n' },
  {
    name: 'anchor-many',
    make: (r) => Array.from({ length: r.size() }, (_, i) => `k${i}: &a${i} *a${i - 1}`).join('\n'),
  },
  { name: 'flow-brackets', make: (r) => nested('[', ']', r.size()) },
  { name: 'flow-braces', make: (r) => nested('{', '}', r.size()) },
  { name: 'flow-open', make: (r) => repeat(r.pick(['[', '{', '[{', '("']), r.size()) },
  { name: 'indent-stair', make: (r) => staircase(r.size([10, 100, 1000, 5000]), (i) => `k${i}:`) },
  { name: 'dash-stair', make: (r) => staircase(r.size([10, 100, 1000, 5000]), () => '-') },
  { name: 'dash-line', make: (r) => repeat('- ', r.size([10, 100, 1000, 10_000])) },
  { name: 'range-huge', make: (r) => r.pick(['h[1:99999999]', 'h[0:999999999999999999999]', 'h[1:99999999:1]']) },
  { name: 'range-cube', make: (r) => r.pick(['[1:400][1:400][1:400]', 'h[1:99][1:99][1:99]', 'x[a:z][0:999][0:99]']) },
  {
    name: 'range-lines',
    make: (r) => Array.from({ length: r.size([100, 10_000, 30_000]) }, (_, i) => `g${i}h[1:9]`).join('\n'),
  },
  {
    name: 'range-odd',
    make: (r) =>
      r.pick(['h[1:]', 'h[:5]', 'h[5:1]', 'h[1:5:0]', 'h[1:5:-1]', 'h[a:9]', 'h[01:5]', 'h[[1:2]]', 'h]1:2[']),
  },
  { name: 'long-line', make: (r) => repeat(r.pick(['a', 'é', '\\', '"', ' ', ':']), r.size([1000, 100_000, MB])) },
  { name: 'value-20mb', make: () => repeat('x', 20 * MB) },
  { name: 'nul', make: (r) => repeat('\0', 1 + r.int(4)) },
  {
    name: 'invalid-utf8',
    make: (r) =>
      Buffer.from(
        r.pick([
          [0xff],
          [0xc3, 0x28],
          [0xe2, 0x82],
          [0xed, 0xa0, 0x80],
          [0xf8, 0x88, 0x80, 0x80, 0x80],
          [0xef, 0xbb, 0xbf],
        ]),
      ),
  },
  {
    name: 'terminal-escape',
    make: (r) => r.pick(['\x1b[2J\x1b[H', '\x1b]0;pwned\x07', '\x9b31m', '\x1b[6n', '\x1bP+q\x1b\\', '\r\x1b[K']),
  },
  { name: 'unicode', make: (r) => r.pick(['\u202e', '\u200b', '\ufeff', '\ud800', '💥', '\u2028', '\u0085', 'ǅ']) },
  {
    name: 'if-tower',
    make: (r) => {
      const n = r.size([10, 100, 1000, 8000]);
      return `${repeat('{{#if a}}', n)}x${repeat('{{/if}}', n)}`;
    },
  },
  { name: 'if-unclosed', make: (r) => repeat('{{#if a}}', r.size([10, 1000, 8000])) },
  {
    name: 'mustache-junk',
    make: (r) =>
      r.pick([
        '{{',
        '}}',
        '{{{x}}}',
        '{{> p}}',
        '{{!--',
        '{{#each x as |a|}}',
        '{{lookup . "constructor"}}',
        '{{raw}}',
        repeat('{{', 5000),
      ]),
  },
  { name: 'group-giant', make: (r) => `[${repeat(r.pick(['a', '-', ':', '.']), r.size([1000, 100_000]))}]` },
  {
    name: 'section-odd',
    make: (r) => r.pick(['[g:vars]', '[g:children]', '[g:bogus]', '[]', '[:]', '[g:vars:x]', '[ g ]', '[g]]']),
  },
  {
    name: 'unknown-keys',
    make: (r) => Array.from({ length: r.size([10, 1000, 16_000]) }, (_, i) => `k${i}: 1`).join('\n'),
  },
  { name: 'duplicate-keys', make: (r) => repeat('k: 1\n', r.size([2, 100, 5000])) },
  {
    name: 'yaml-tag',
    make: (r) =>
      r.pick([
        '!!binary AAAA',
        '!!python/object:os.system x',
        '!!set {a, b}',
        '!!omap [a: 1]',
        '!!timestamp 99999-99-99',
        '!foo bar',
        '!!int 0x',
        '!!float .nan',
        '!<tag:x> y',
      ]),
  },
  {
    name: 'yaml-directive',
    make: (r) =>
      r.pick(['%YAML 1.1\n---\n', '%TAG ! tag:x,2000:\n---\n', '---\n...\n---\n', '--- |\n  x\n', '? [a, b]\n: c\n']),
  },
  {
    name: 'number',
    make: (r) =>
      r.pick([
        '1e400',
        '-0',
        '0x',
        '99999999999999999999',
        '.inf',
        '-.inf',
        '0o777',
        '1_000',
        'NaN',
        '9007199254740993',
      ]),
  },
  {
    name: 'glob-stars',
    make: (r) => r.pick([repeat('*', 50), `${repeat('*a', 30)}b`, `${repeat('?', 60)}*`, `~${repeat('(a|a)', 3)}*$`]),
  },
  {
    name: 'pattern-ops',
    make: (r) =>
      r.pick([
        '!',
        '&',
        ':!&:',
        'all:!all',
        'web[9999999999]',
        'web[-9999999999]',
        'web[0:99999999]',
        '~[',
        '~(',
        '@',
        ',,,,',
      ]),
  },
  {
    name: 'py-literal',
    make: (r) =>
      r.pick([
        nested('[', ']', r.size()),
        nested('(', ')', r.size()),
        nested('{', '}', r.size()),
        `'${repeat('\\', 1001)}'`,
        'u"x"',
        "b'\\xff'",
        '1j',
        '{1: 2, [3]: 4}',
      ]),
  },
  {
    name: 'shlex-quotes',
    make: (r) => r.pick(['"unterminated', "'unterminated", 'a\\', '"a\\"', repeat('"a" ', 10_000)]),
  },
  {
    name: 'known-host-line',
    make: (r) =>
      r.pick([
        '@revoked',
        '@cert-authority *',
        '|1|||',
        '|1|!!!|!!! ssh-rsa AAAA',
        `${repeat('*,', 10_000)} ssh-ed25519 AAAA`,
        '[h]:99999999 ssh-rsa AAAA',
        '!* ssh-rsa AAAA',
      ]),
  },
  { name: 'line-ending', make: (r) => r.pick(['\r\n', '\r', '\n\n\n', '\u2029']) },
  { name: 'quote', make: (r) => r.pick(['"', "'", '`', '$(touch /tmp/x)', '"; rm -rf / #', "'\\''"]) },
];
