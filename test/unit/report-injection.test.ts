/**
 * Hostile strings from hosts (outputs, user names, file names, finding summaries, step names, notes)
 * must come out of both report formats as text: no markup in the HTML, no broken tables or code
 * blocks in the Markdown. The browser side (no script runs) is in test/integration/report-html.test.ts.
 */
import assert from 'node:assert/strict';
import {
  buildReportModel,
  escapeMarkdown,
  markdownCodeBlock,
  renderReport,
  type ReportModel,
} from '../../src/report/index.js';
import { FIXED } from './report-fixture.js';
import { HOSTILE, hostileFiles, hostileRun } from './report-synthetic.js';

/** Count the cells of a Markdown table row: pipes not escaped with a backslash. */
function cells(row: string): number {
  return row.replace(/\\\\/g, '').replace(/\\\|/g, '').split('|').length - 2;
}

/** Every table in a Markdown document: its rows, each as the header's column count and its own. */
function tables(md: string): { header: string; rows: string[] }[] {
  const out: { header: string; rows: string[] }[] = [];
  const lines = md.split('\n');
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!lines[i]!.startsWith('|') || !/^\|[-:|]+\|$/.test(lines[i + 1]!)) continue;
    const rows: string[] = [];
    for (let j = i + 2; j < lines.length && lines[j]!.startsWith('|'); j++) rows.push(lines[j]!);
    out.push({ header: lines[i]!, rows });
  }
  return out;
}

describe('report escaping of hostile strings', () => {
  let model: ReportModel;
  let md: string;
  let html: string;

  before(async () => {
    const run = hostileRun().write(hostileFiles());
    try {
      model = await buildReportModel(run.dir, FIXED);
      md = renderReport(model, 'md');
      html = renderReport(model, 'html');
    } finally {
      run.cleanup();
    }
  });

  it('the hostile strings reached the model (so the test tests something)', () => {
    const json = JSON.stringify(model);
    for (const s of Object.values(HOSTILE)) assert.ok(json.includes(JSON.stringify(s).slice(1, -1)), s);
  });

  it('HTML: no element, attribute or entity from the data; the text is there, escaped', () => {
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /<img/i);
    assert.doesNotMatch(html, /<i>|<b>raw/i);
    // No tag of the page carries an event handler attribute or a javascript: URL.
    for (const tag of html.match(/<[a-zA-Z][^>]*>/g) ?? []) {
      assert.doesNotMatch(tag, /\son[a-z]+\s*=/i, tag);
      assert.doesNotMatch(tag, /javascript:/i, tag);
    }
    assert.ok(
      html.includes('&lt;script&gt;window.__pwned&#x3D;1;alert(1)&lt;/script&gt;'),
      'text escaped by Handlebars',
    );
    assert.ok(html.includes('&lt;img src&#x3D;x onerror&#x3D;&quot;window.__pwned&#x3D;2&quot;&gt;'));
    assert.ok(html.includes('&amp;amp;'), 'an entity in the data is shown, not decoded');
  });

  it('HTML: hostile text inside the SVG timeline is escaped by our own escaper', () => {
    const svg = html.slice(html.indexOf('<svg'), html.indexOf('</svg>'));
    assert.ok(svg.includes('weba|b&lt;i&gt;01'), 'the host label');
    assert.doesNotMatch(svg, /<i>/);
  });

  it('Markdown: every table row has as many cells as its header', () => {
    const all = tables(md);
    assert.ok(all.length >= 8, `found ${all.length} tables`);
    for (const t of all)
      for (const row of t.rows) assert.equal(cells(row), cells(t.header), `row breaks its table:\n${t.header}\n${row}`);
  });

  it('Markdown: no raw HTML, no stray code spans or fences from the data', () => {
    const outsideFences = md.replace(/^(`{3,})text\n[\s\S]*?\n\1$/gm, '');
    assert.doesNotMatch(outsideFences, /<script|<img|<i>|<b>/i);
    assert.ok(md.includes('&lt;script&gt;window.\\_\\_pwned=1;alert(1)&lt;/script&gt;'));
    assert.ok(
      md.includes(
        'user &lt;img src=x onerror="window.\\_\\_pwned=2"&gt; a\\|b logged in: line one<br>\\| x \\| y \\|<br># heading<br>- item<br>---',
      ),
    );
    assert.ok(
      md.includes(
        '\\[link\\](javascript:alert(1)) \\*\\*bold\\*\\* \\_em\\_ \\~\\~del\\~\\~ &lt;b&gt;raw&lt;/b&gt; &amp;amp;',
      ),
    );
    // Outside fenced blocks, the only backticks left are the template's own code spans.
    const unescaped = outsideFences.replace(/\\`/g, '');
    const spans = unescaped.match(/`[^`\n]*`/g) ?? [];
    assert.deepEqual([...new Set(spans)], ['`firebreak report`']);
    assert.doesNotMatch(unescaped.replace(/`firebreak report`/g, ''), /`/);
  });

  it('Markdown: code blocks hold the raw text in a fence longer than any backtick run inside', () => {
    assert.equal(markdownCodeBlock(HOSTILE.ticks), '`````text\n```\n`code` ```` fence\n`````');
    assert.ok(
      md.includes(markdownCodeBlock([`passwd -l '${HOSTILE.script}'`, HOSTILE.ticks])),
      'the lock_user commands are shown verbatim',
    );
    assert.ok(
      md.includes('````text\nerror: <img src=x onerror="window.__pwned=2">\nfatal: ```\n````'),
      'the telling stderr lines verbatim inside the fence',
    );
  });

  it('escapeMarkdown: leading block markers and control characters are neutralised', () => {
    assert.equal(escapeMarkdown('# h'), '\\# h');
    assert.equal(escapeMarkdown('- x'), '\\- x');
    assert.equal(escapeMarkdown('---'), '\\---');
    assert.equal(escapeMarkdown('1. x'), '1\\. x');
    assert.equal(escapeMarkdown('1.5 s'), '1.5 s');
    assert.equal(escapeMarkdown('+4 ms'), '+4 ms');
    assert.equal(escapeMarkdown('a\u001b[31mred\r\nb'), 'a\uFFFD\\[31mred<br>b');
    assert.equal(escapeMarkdown(null), '');
  });
});
