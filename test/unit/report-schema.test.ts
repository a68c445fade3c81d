/**
 * The report model's schema (src/report/types.ts, printed by `firebreak schema --report`): the models
 * of the recorded run and of a synthetic response validate, as built and as `--format json` prints
 * them; a model with a field removed or mistyped does not.
 */
import assert from 'node:assert/strict';
import { buildReportModel, reportJsonSchema, reportModelSchema, type ReportModel } from '../../src/report/index.js';
import { FIXED, recordedRun } from './report-fixture.js';
import { responseRun } from './report-synthetic.js';

describe('report model schema', () => {
  const fixture = recordedRun();
  let model: ReportModel;
  before(() => (model = fixture.model));

  it('the recorded run validates, as built and as printed by --format json', () => {
    assert.deepEqual(reportModelSchema.safeParse(model).error, undefined);
    assert.ok(reportModelSchema.safeParse(JSON.parse(JSON.stringify(model))).success);
  });

  it('a synthetic response (actions, host keys, rollbacks, a drill section) validates', async () => {
    const run = responseRun().write();
    try {
      const m = await buildReportModel(run.dir, { ...FIXED, drill: { verdict: 'pass', scores: [], seed: 7 } });
      assert.deepEqual(reportModelSchema.safeParse(m).error, undefined);
    } finally {
      run.cleanup();
    }
  });

  it('a model with a field removed, an unknown field or a wrong type does not', () => {
    const removed = structuredClone(model);
    delete (removed.header as Partial<ReportModel['header']>).runId;
    const r = reportModelSchema.safeParse(removed);
    assert.equal(r.success, false);
    assert.deepEqual(r.error!.issues[0]!.path, ['header', 'runId']);

    const noFindings = structuredClone(model) as Partial<ReportModel>;
    delete noFindings.findings;
    assert.equal(reportModelSchema.safeParse(noFindings).success, false);

    const badSeverity = structuredClone(model);
    (badSeverity.findings.groups[0] as { severity: string }).severity = 'urgent';
    assert.equal(reportModelSchema.safeParse(badSeverity).success, false);

    const extra = structuredClone(model);
    Object.assign(extra.summary, { hostsHappy: 3 });
    assert.equal(reportModelSchema.safeParse(extra).success, false);

    const badTime = structuredClone(model);
    badTime.timeline[0]!.at = 'yesterday';
    assert.equal(reportModelSchema.safeParse(badTime).success, false);
  });

  it('the JSON Schema names every section as required and refuses unknown fields', () => {
    const s = reportJsonSchema() as {
      $schema: string;
      title: string;
      required: string[];
      additionalProperties: unknown;
    };
    assert.match(s.$schema, /json-schema\.org/);
    assert.equal(s.title, 'firebreak report model');
    assert.deepEqual([...s.required].sort(), [
      'actions',
      'ended',
      'evidence',
      'failures',
      'findings',
      'format',
      'header',
      'hosts',
      'lessons',
      'metrics',
      'phases',
      'summary',
      'timeline',
    ]);
    assert.equal(s.additionalProperties, false);
  });
});
