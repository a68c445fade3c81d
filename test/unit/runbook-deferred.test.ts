/**
 * Templates set aside at load time (src/runbook/deferred.ts, stand-in.ts): every format check a step
 * schema has can take a stand-in, and a template where none fits is reported as such. The loading and
 * planning of templated fields themselves: test/unit/planner.test.ts and the runbook fixtures.
 */
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { formatPath, runbookSchema } from '../../src/runbook/index.js';
import { STEP_TYPES } from '../../src/steps/index.js';
import { deferTemplates } from '../../src/runbook/deferred.js';
import { flatten } from '../../src/runbook/issues.js';
import { STAND_IN_SAMPLES } from '../../src/runbook/stand-in.js';

/** Every `pattern` in a JSON Schema (string formats, record key patterns). */
function patterns(schema: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) schema.forEach((s) => patterns(s, into));
  else if (schema && typeof schema === 'object') {
    for (const [k, v] of Object.entries(schema)) {
      if (k === 'pattern' && typeof v === 'string') into.add(v);
      else patterns(v, into);
    }
  }
  return into;
}

/** What loading reports for these steps: deferral, the schema, issues flattened, then explained. */
function issuesOf(steps: string): string[] {
  const data: unknown = parseYaml(`name: t\nphases:\n  collect:\n${steps}`);
  const deferred = deferTemplates(data);
  const r = runbookSchema.safeParse(deferred.data);
  assert.ok(!r.success, 'expected the runbook to be refused');
  return deferred
    .explain(flatten(r.error.issues, [], data, new Set()))
    .map((i) => `${formatPath(i.path)}: ${i.message}`);
}

describe('runbook: templates set aside at load time', () => {
  it("every pattern in a step type's params accepts one of the stand-in samples", () => {
    const all = [...patterns(STEP_TYPES.map((t) => z.toJSONSchema(t.schema, { io: 'input', unrepresentable: 'any' })))];
    assert.ok(all.length >= 15, `found ${all.length} patterns`);
    for (const p of all)
      assert.ok(
        STAND_IN_SAMPLES.some((s) => new RegExp(p).test(s)),
        `no stand-in sample matches /${p}/`,
      );
  });

  it('the validated copy holds the stand-in, the input and the parsed runbook the template', () => {
    const input = { name: 't', phases: { collect: [{ backup: { paths: ['{{params.d}}'] } }] } };
    const deferred = deferTemplates(input);
    const copy = deferred.data as typeof input;
    assert.match(String(copy.phases.collect[0]?.backup.paths[0]), /^\//, 'an absolute path stands in');
    assert.equal(input.phases.collect[0]?.backup.paths[0], '{{params.d}}');
    const parsed = deferred.restore(runbookSchema.parse(copy));
    assert.deepEqual((parsed.phases.collect?.steps[0] as { backup?: { paths: string[] } }).backup?.paths, [
      '{{params.d}}',
    ]);
  });

  it('a template where none can stand in says that field cannot take one', () => {
    assert.deepEqual(
      issuesOf(
        [
          '    - backup: {paths: "{{params.dirs}}"}',
          '    - {shell: x, timeout: "{{params.t}}"}',
          '    - shell: {cmd: x, env: {"{{params.k}}": v}}',
          '',
        ].join('\n'),
      ),
      [
        "phases.collect[0].backup.paths: paths can't take a template ({{params.dirs}}): expected array, got string",
        "phases.collect[1].timeout: timeout can't take a template ({{params.t}}): expected a duration like 30s, 10m, 1h or 500ms",
        "phases.collect[2].shell.env.{{params.k}}: a key can't take a template ({{params.k}}): environment variable names must be identifiers",
      ],
    );
  });

  it('other mistakes keep their own message, whatever the value beside them', () => {
    const steps = [
      '    - shell: {cmd: x, chdri: "{{params.d}}"}',
      '    - backup: {paths: ["{{params.d}}", relative]}',
      '    - wait_for: {command: x, host: "{{params.h}}"}',
      '',
    ];
    assert.deepEqual(issuesOf(steps.join('\n')), [
      'phases.collect[0].shell.chdri: unknown key "chdri"',
      'phases.collect[1].backup.paths[1]: an absolute path',
      'phases.collect[2].wait_for.host: host is only used with port',
    ]);
  });
});
