/**
 * The plan is data: a planned step survives JSON (what a journal or another process would carry),
 * and the executor runs the round-tripped plan to the same outcome as the original.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Host, RunEvent } from '../../src/core/index.js';
import type { EventInput } from '../../src/engine/host-runner.js';
import type { PlannedStep } from '../../src/engine/planned-step.js';
import { planStep, type StepContext } from '../../src/engine/planner.js';
import { parseRunbookYaml, type Step } from '../../src/runbook/index.js';
import { getStepType } from '../../src/steps/index.js';
import { FakeFleet, type HostScript } from './executor-fakes.js';
import { runPlanned } from './planned-run.js';

const host: Host = { name: 'web01', vars: { ansible_host: '10.0.0.5' }, groups: ['web'] };
const registered = { probe: { rc: 0, stdout: '1\n' } };
const ctx: StepContext = { host, params: {}, registered, runbookDir: '/rb', remoteTmp: '/tmp/.fb-x' };
/** A test/fixtures/steps case (see steps.test.ts). */
interface Fixture {
  params: unknown;
  ctx?: Partial<StepContext>;
  error?: string;
}

const roundTrip = (p: PlannedStep): PlannedStep => JSON.parse(JSON.stringify(p)) as PlannedStep;

const runbook = parseRunbookYaml(
  [
    'name: plan data',
    'phases:',
    '  collect:',
    '    - name: probe',
    '      shell: grep -c x /etc/role',
    '      register: probe',
    '      failed_when: "gt probe.rc 1"',
    '      until: "contains result.stdout \\"1\\""',
    '      retries: 2',
    '      delay: 0',
    '    - {name: grab, collect: {sets: [], commands: [{label: persistence/ld.so.preload, command: "cat /etc/ld.so.preload"}], files: [/etc/hosts]}}',
    '    - {name: only when found, shell: "echo {{probe.stdout}}", when: "eq probe.rc 0", become: true}',
    '    - {name: judged, shell: "test -f /x", failed_when: "eq result.rc 0", ignore_errors: true}',
    '    - {name: never, shell: "true", when: "eq probe.rc 5"}',
    '    - {name: fix, script: {src: fix.sh, args: ["a b"]}}',
    '    - {name: config, upload: {src: app.conf, dest: /srv/app.conf, mode: "0640"}}',
    '  isolate:',
    '    - {name: cut off, isolate: {mode: outbound-ssh, management: {address: 10.0.0.9}}}',
    '',
  ].join('\n'),
  'plan-data.yaml',
);
const steps = [...(runbook.phases.isolate?.steps ?? []), ...(runbook.phases.collect?.steps ?? [])] as Step[];

describe('the plan is data', () => {
  it('a planned step survives JSON: shell with conditions, collect, isolate, script, upload', () => {
    for (const s of steps) {
      const p = planStep(s, ctx);
      assert.deepEqual(roundTrip(p), p, p.name);
    }
    const [isolate, probe, grab] = steps.map((s) => planStep(s, ctx));
    assert.deepEqual(
      [probe?.failedWhen, probe?.until, probe?.register],
      ['gt probe.rc 1', 'contains result.stdout "1"', 'probe'],
    );
    assert.ok(grab?.analysis && isolate?.analysis, 'collect and isolate carry their analysis params');
  });

  it('so does every step type planned from its fixtures', () => {
    const root = path.join(import.meta.dirname, '../fixtures/steps');
    for (const type of readdirSync(root)) {
      for (const file of readdirSync(path.join(root, type))) {
        const fx = JSON.parse(readFileSync(path.join(root, type, file), 'utf8')) as Fixture;
        if (fx.error !== undefined) continue;
        // As loaded from a runbook: shorthands (`kill_process: 4242`) already parsed.
        const params = getStepType(type)?.schema.parse(fx.params);
        const p = planStep({ [type]: params } as Step, { ...ctx, ...fx.ctx });
        assert.deepEqual(roundTrip(p), p, `${type}/${file}`);
      }
    }
  });

  it('the executor runs the round-tripped plan to the same outcome', async () => {
    const a = await run((p) => p);
    const b = await run(roundTrip);
    assert.deepEqual(b, a);
    const statuses = a.filter((e) => e.type === 'step.finished' || e.type === 'step.skipped');
    assert.deepEqual(
      statuses.map((e) => `${e.type} ${e.step}${e.type === 'step.finished' ? ` ${e.outcome.status}` : ''}`),
      [
        'step.finished probe ok',
        'step.finished grab ok',
        'step.finished only when found ok',
        'step.finished judged ignored',
        'step.skipped never',
        'step.finished fix ok',
        'step.finished config changed',
      ],
    );
    assert.equal(a.filter((e) => e.type === 'step.retrying').length, 1, 'until was false once');
    const findings = a.flatMap((e) => (e.type === 'finding' ? [e.finding.kind] : []));
    assert.deepEqual(findings, ['persistence.preload']);
  });
});

/** What the host's evidence wrapper prints: the bytes, then exit code and SHA-256 on stderr. */
const evidenceReply = (stdout: string) => ({
  stdout,
  stderr: `fb-rc=0\nfb-sha256=${createHash('sha256').update(stdout).digest('hex')}\nfb-bytes=${Buffer.byteLength(stdout)}\n`,
});

/** One run of the collect phase on a fake host, each planned step passed through `through`; its events without times. */
async function run(through: (p: PlannedStep) => PlannedStep): Promise<EventInput[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'fb-plan-data-'));
  try {
    const replies: HostScript['replies'] = {
      'grep -c x /etc/role': (n) => ({ code: 0, stdout: n === 1 ? '0\n' : '1\n' }),
    };
    for (const action of steps.flatMap((s) => planStep(s, ctx).actions)) {
      if (action.kind !== 'evidence') continue;
      replies[action.command] = evidenceReply(action.label.includes('preload') ? '/tmp/.x/libhide.so\n' : 'data\n');
    }
    const { rec } = await runPlanned({
      runbook: { name: runbook.name, phases: { collect: runbook.phases.collect! } },
      fleet: new FakeFleet({ web01: { replies } }),
      hosts: ['web01'],
      dir,
      through,
    });
    return (JSON.parse(JSON.stringify(rec.events).replaceAll(dir, 'DIR')) as RunEvent[]).map(
      ({ at: _, ...e }) => e as EventInput,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
