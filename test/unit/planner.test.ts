/** The pure planner: when, templates, registered values, defaults, tags, conditions, plan output. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Host } from '../../src/core/index.js';
import {
  parseRunbookYaml,
  resolveParams,
  resultFromExec,
  type RegisteredResult,
  type Step,
} from '../../src/runbook/index.js';
import { conditionEvaluator } from '../../src/engine/plan-eval.js';
import type { Condition, ConditionField } from '../../src/engine/planned-step.js';
import { planRun, planStep, remoteTmpPath, type StepContext } from '../../src/engine/planner.js';
import { formatPlan } from '../../src/engine/plan-format.js';

const host: Host = { name: 'web01', vars: { ansible_host: '10.0.0.5', role: 'web' }, groups: ['web'] };
const ctx = (over: Partial<StepContext> = {}): StepContext => ({
  host,
  params: { since: '1 hour ago' },
  registered: {},
  runbookDir: '/rb',
  remoteTmp: '/tmp/.fb-x',
  ...over,
});
const step = (yamlStep: string): Step =>
  parseRunbookYaml(`name: t\nphases:\n  collect:\n    - ${yamlStep}\n`, 't.yaml').phases.collect?.steps[0] as Step;

describe('planner: planStep', () => {
  it('renders host vars, params and registered values; shell fields quoted', () => {
    const p = planStep(
      step('{shell: "ping -c1 {{ansible_host}} && journalctl --since {{params.since}} && echo {{up.stdout}}"}'),
      ctx({ registered: { up: { stdout: "a'b" } } }),
    );
    assert.deepEqual(p.actions, [
      { kind: 'exec', command: "ping -c1 10.0.0.5 && journalctl --since '1 hour ago' && echo 'a'\\''b'" },
    ]);
    assert.equal(
      p.name,
      'shell: ping -c1 {{ansible_host}} && journalctl --since {{params....',
      'unnamed steps are labelled by type and a 60-char summary',
    );
  });

  it('defaults: 10 min timeout, no retries, 5 s delay; until implies 3 retries', () => {
    const p = planStep(step('{name: a, shell: x}'), ctx());
    assert.deepEqual([p.timeoutMs, p.retries, p.delayMs, p.ignoreErrors, p.changes], [600_000, 0, 5000, false, false]);
    assert.equal(planStep(step('{shell: x, until: "eq result.rc 0"}'), ctx()).retries, 3);
    assert.equal(planStep(step('{wait_for: {port: 22, timeout: 20m}}'), ctx()).timeoutMs, 20 * 60_000 + 30_000);
  });

  it('skips when `when` is false, with the reason', () => {
    const p = planStep(step('{shell: x, when: "eq role \\"db\\""}'), ctx());
    assert.equal(p.skip, 'when is false: eq role "db"');
    assert.deepEqual(p.actions, []);
  });

  it('become marks exec actions and names the user', () => {
    const p = planStep(step('{shell: id, become: postgres}'), ctx());
    assert.equal(p.become, 'postgres');
    assert.deepEqual(p.actions, [{ kind: 'exec', command: 'id', become: true }]);
    assert.equal(planStep(step('{shell: id, become: true}'), ctx()).become, 'root');
  });

  it('failed_when and until are carried as source; they judge the result (as `result` and as the register name)', () => {
    const p = planStep(
      step('{shell: grep x f, register: g, failed_when: "gt g.rc 1", until: "contains result.stdout \\"ok\\""}'),
      ctx(),
    );
    assert.equal(p.failedWhen, 'gt g.rc 1');
    assert.equal(p.until, 'contains result.stdout "ok"');
    const evaluate = conditionEvaluator({ since: '1 hour ago' }, { web: ['web01'] });
    const judge = (c: Condition | undefined, field: ConditionField, result: RegisteredResult) =>
      evaluate(c ?? false, { host, registered: {}, result, register: 'g', step: p.name, field });
    const r = (code: number, stdout = '') =>
      resultFromExec({ code, stdout, stderr: '', durationMs: 1, timedOut: false }, false);
    assert.equal(judge(p.failedWhen, 'failed_when', r(1)), false);
    assert.equal(judge(p.failedWhen, 'failed_when', r(2)), true);
    assert.equal(judge(p.until, 'until', r(0, 'ok\n')), true);
    assert.equal(judge(p.until, 'until', r(0, 'no\n')), false);
    assert.deepEqual(r(0, 'a\nb\n').stdout_lines, ['a', 'b']);
    // The rest of the template context, as `when` sees it: host vars, params, groups.
    assert.equal(
      judge('and (eq role "web") (eq params.since "1 hour ago") (eq groups.web.[0] "web01")', 'until', r(0)),
      true,
    );
    assert.throws(
      () => judge('eq nope 1', 'failed_when', r(0)),
      /step "shell: grep x f": failed_when: template variable "nope" is not defined/,
    );
  });

  it('tags: --tags selects, always runs, --skip-tags wins', () => {
    const s = step('{shell: x, tags: [net]}');
    assert.equal(planStep(s, ctx({ tags: { tags: ['net'] } })).skip, undefined);
    assert.match(planStep(s, ctx({ tags: { tags: ['disk'] } })).skip ?? '', /not selected by --tags disk/);
    assert.equal(planStep(step('{shell: x, tags: [always]}'), ctx({ tags: { tags: ['disk'] } })).skip, undefined);
    assert.match(planStep(s, ctx({ tags: { skipTags: ['net'] } })).skip ?? '', /skipped by --skip-tags net/);
  });

  it('an undefined variable throws a TemplateError naming step and variable', () => {
    assert.throws(
      () => planStep(step('{name: greet, shell: "echo {{nope}}"}'), ctx()),
      /step "greet": shell\.cmd: template variable "nope" is not defined/,
    );
  });

  it('re-validates params after templating', () => {
    assert.throws(
      () =>
        planStep(step('{name: f, fetch: {src: /etc/passwd, dest: "{{params.d}}"}}'), ctx({ params: { d: '../../x' } })),
      /step "f".*params invalid after templating: fetch\.dest/,
    );
  });
});

describe('planner: the script cleanup really runs (local sh)', () => {
  for (const [body, code] of [
    ['exit 3', 3],
    ['echo ok', 0],
  ] as const) {
    it(`removes the uploaded script and keeps its exit code (${code})`, () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'fb-script-'));
      try {
        const tmp = path.join(dir, 'uploaded');
        const p = planStep(step('{script: {src: s.sh, args: ["a b"]}}'), ctx({ remoteTmp: tmp }));
        assert.deepEqual(p.actions[0], { kind: 'put', localPath: '/rb/s.sh', remotePath: tmp, mode: 0o700 });
        writeFileSync(tmp, `#!/bin/sh\n${body}\n`, { mode: 0o700 });
        const exec = p.actions[1];
        assert.equal(exec?.kind, 'exec');
        const r = spawnSync('sh', ['-c', exec?.kind === 'exec' ? exec.command : 'false'], { timeout: 5000 });
        assert.equal(r.status, code);
        assert.equal(existsSync(tmp), false, 'script removed');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('a wait_for command loop gives up within its timeout', () => {
    const p = planStep(step('{wait_for: {command: "false", timeout: 1s, delay: 200ms}}'), ctx());
    const exec = p.actions[0];
    const started = Date.now();
    const r = spawnSync('sh', ['-c', exec?.kind === 'exec' ? exec.command : 'true'], {
      timeout: 10_000,
      encoding: 'utf8',
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /wait_for: command not ready after 1s/);
    assert.ok(Date.now() - started < 5000);
    const ok = planStep(step('{wait_for: {command: "true"}}'), ctx()).actions[0];
    assert.equal(spawnSync('sh', ['-c', ok?.kind === 'exec' ? ok.command : 'false'], { timeout: 5000 }).status, 0);
  });
});

describe('planner: planRun and formatPlan', () => {
  const rb = parseRunbookYaml(
    [
      'name: demo',
      'phases:',
      '  collect:',
      '    - {name: up, shell: uptime, register: up}',
      '    - {name: again, shell: "echo {{up.stdout}}", when: "eq up.rc 0"}',
      '    - {name: web only, shell: "curl -s {{ansible_host}}", when: "contains group_names \\"web\\""}',
      '    - {name: broken, shell: "echo {{typo}}"}',
      '',
    ].join('\n'),
    'demo.yaml',
  );
  const hosts: Host[] = [host, { name: 'db01', vars: { ansible_host: '10.0.0.9' }, groups: ['db'] }];
  const plan = planRun(rb, hosts, {}, { runbookDir: '/rb' });

  it('renders registered values as visible placeholders and defers `when` that reads them', () => {
    const again = plan.hosts[0]?.phases[0]?.steps[1];
    assert.deepEqual(again?.actions, [{ kind: 'exec', command: "echo '<registered:up.stdout>'" }]);
    assert.equal(again?.whenAtRunTime, true);
  });

  it('decides `when` per host when it can, and reports steps that cannot be planned', () => {
    assert.equal(plan.hosts[0]?.phases[0]?.steps[2]?.skip, undefined);
    assert.match(plan.hosts[1]?.phases[0]?.steps[2]?.skip ?? '', /when is false/);
    assert.match(plan.hosts[0]?.phases[0]?.steps[3]?.error ?? '', /"typo" is not defined/);
    assert.equal(plan.errors, 2);
  });

  it('formats per host, per phase, per step, with the exact commands', () => {
    const text = formatPlan(plan);
    assert.match(text, /^Plan for runbook "demo" on 2 hosts — 2 steps cannot be planned\n/);
    assert.match(text, /web01\n {2}collect\n {4}1\. up {2}\(register up\)\n {7}\$ uptime\n/);
    assert.match(text, /3\. web only\n {7}\$ curl -s 10\.0\.0\.5/);
    assert.match(text, /db01\n[\s\S]*3\. web only\n {7}skip: when is false/);
    assert.match(text, /✖ step "broken": shell\.cmd: template variable "typo" is not defined/);
  });
});

describe('planner: temp paths', () => {
  it('remote temp paths are sanitized', () => {
    assert.equal(
      remoteTmpPath('2024-01-01T00:00:00Z-demo', 'collect', 2, 'a/b'),
      '/tmp/.firebreak-2024-01-01T00_00_00Z-demo-a_b-collect-2',
    );
  });
});

describe('planner: templates in enum and number params', () => {
  const yaml = '{isolate: {mode: "{{params.mode}}", deadman_seconds: "{{params.n}}", management: {address: 10.0.0.9}}}';

  it('load: a templated enum or number is set aside, not refused; the template is kept for the planner', () => {
    const s = step(yaml) as unknown as { isolate: { mode: string; deadman_seconds: unknown } };
    assert.equal(s.isolate.mode, '{{params.mode}}');
    assert.equal(s.isolate.deadman_seconds, '{{params.n}}');
  });

  it('plan: rendered per host, "30" read as the number the schema wants', () => {
    const p = planStep(step(yaml), ctx({ params: { mode: 'outbound-ssh', n: '30' } }));
    const all = p.actions.map((a) => ('command' in a ? a.command : '')).join('\n');
    assert.match(all, /outbound/);
    assert.match(all, /\b30\b/);
  });

  it('plan: a rendered value the schema refuses fails that step with the reason', () => {
    assert.throws(
      () => planStep(step(yaml), ctx({ params: { mode: 'everything', n: 5 } })),
      /params invalid after templating: isolate\.mode/,
    );
  });

  it('load: real mistakes next to a template are still reported', () => {
    assert.throws(() => step('{isolate: {mode: bogus, deadman_seconds: "{{params.n}}"}}'), /Invalid option/);
    assert.throws(() => step('{collect: {item_timeout: "{{params.t}}", sets: [nope]}}'), /expected one of/);
  });
});

describe('planner: templates in format-checked string params', () => {
  const file = path.join(import.meta.dirname, '../fixtures/runbooks/valid/templated-formats.yaml');
  const rb = parseRunbookYaml(readFileSync(file, 'utf8'), 'templated-formats.yaml');
  const hosts: Host[] = [
    { name: 'web01', vars: { app_root: '/opt/app' }, groups: ['web'] },
    { name: 'web02', vars: { app_root: 'opt/app' }, groups: ['web'] },
  ];
  const plan = (...overrides: [string, unknown][]) =>
    planRun(
      rb,
      hosts,
      resolveParams(
        rb.params,
        overrides.map(([key, value]) => ({ key, value, source: '-e' })),
      ),
      { runbookDir: '/rb' },
    );
  const stepOf = (p: ReturnType<typeof plan>, h: number, phase: string, name: string) =>
    p.hosts[h]?.phases.find((x) => x.phase === phase)?.steps.find((s) => s.name === name);
  const commands = (s: ReturnType<typeof stepOf>) =>
    (s?.actions ?? []).map((a) => ('command' in a ? a.command : JSON.stringify(a))).join('\n');

  it('load: absolute paths, names, URL, mode, duration as templates are kept for the planner', () => {
    const [backup, collect, lock] = (rb.phases.collect?.steps ?? []) as unknown as Record<
      string,
      Record<string, unknown>
    >[];
    assert.deepEqual(
      [backup?.backup?.paths, backup?.backup?.name],
      [['{{params.data_dir}}', '{{app_root}}/etc'], '{{params.set}}'],
    );
    assert.deepEqual(
      [collect?.collect?.files, collect?.collect?.item_timeout],
      [['{{params.log}}'], '{{params.wait_s}}'],
    );
    assert.deepEqual(lock?.lock_user?.users, ['{{params.user}}']);
    const restore = rb.phases.restore?.steps[0] as unknown as { restore: { dest: string; health: unknown } };
    assert.deepEqual(
      [restore.restore.dest, restore.restore.health],
      ['{{params.dest}}', [{ http: '{{params.health}}' }]],
    );
    const [upload, wait] = (rb.phases.rebuild?.steps ?? []) as unknown as Record<string, Record<string, unknown>>[];
    assert.deepEqual([upload?.upload?.mode, wait?.wait_for?.timeout], ['{{params.mode}}', '{{params.wait}}']);
  });

  it('plan: rendered values are checked and used on each host', () => {
    const p = plan(['wait', '20m']);
    const web01 = (phase: string, name: string) => stepOf(p, 0, phase, name);
    assert.equal(web01('collect', 'back up')?.error, undefined);
    assert.match(commands(web01('collect', 'back up')), /-- srv\/data opt\/app\/etc/);
    assert.match(commands(web01('collect', 'logs')), /cat -- \/var\/log\/app\.log/);
    const item = web01('collect', 'logs')?.actions[0];
    assert.equal(
      item?.kind === 'evidence' ? item.timeoutMs : undefined,
      60_000,
      'item_timeout "{{params.wait_s}}" read as 60 s',
    );
    assert.match(commands(web01('collect', 'not format-checked')), /cd -- \/srv\/data \|\| exit 1[\s\S]*echo hello/);
    assert.deepEqual(web01('rebuild', 'config')?.actions, [
      { kind: 'put', localPath: '/rb/app.conf', remotePath: '/srv/data/app.conf', mode: 0o640 },
    ]);
    assert.equal(
      web01('rebuild', 'up again')?.timeoutMs,
      20 * 60_000 + 30_000,
      'the step outlives the rendered wait_for timeout',
    );
    assert.match(commands(web01('restore', 'data back')), /http:\/\/127\.0\.0\.1\/health/);
    assert.equal(web01('restore', 'data back')?.error, undefined);
  });

  it('plan: a bad rendered value fails that host’s step, naming the step and the field', () => {
    const p = plan();
    assert.equal(stepOf(p, 0, 'collect', 'back up')?.error, undefined);
    assert.equal(
      stepOf(p, 1, 'collect', 'back up')?.error,
      'step "back up": params invalid after templating: backup.paths[1]: an absolute path',
    );
    assert.equal(p.errors, 1, 'only web02 (app_root=opt/app) fails, only its backup');
    const bad = plan(
      ['data_dir', 'relative/path'],
      ['log', 'app.log'],
      ['dest', 'srv'],
      ['health', 'ftp://x'],
      ['mode', '999'],
      ['wait', 'soon'],
    );
    assert.match(
      stepOf(bad, 0, 'collect', 'back up')?.error ?? '',
      /^step "back up": params invalid after templating: backup\.paths\[0\]: an absolute path$/,
    );
    assert.match(
      stepOf(bad, 0, 'collect', 'logs')?.error ?? '',
      /^step "logs": params invalid after templating: collect\.files\[0\]: an absolute path$/,
    );
    assert.match(
      stepOf(bad, 0, 'restore', 'data back')?.error ?? '',
      /^step "data back": params invalid after templating: .*restore\.dest: an absolute path/,
    );
    assert.match(
      stepOf(bad, 0, 'rebuild', 'config')?.error ?? '',
      /^step "config": params invalid after templating: upload\.mode: mode must be an octal string/,
    );
    assert.equal(
      stepOf(bad, 0, 'rebuild', 'up again')?.error,
      'step "up again": params invalid after templating: wait_for.timeout: expected a duration like 30s, 10m, 1h or 500ms',
    );
    assert.equal(
      stepOf(bad, 0, 'collect', 'not format-checked')?.error,
      undefined,
      'a template in a string with no format check renders as is',
    );
    // collect is a union (params or `true`): the field is named, not "collect: Invalid input".
    const collect = step('{name: c, collect: {sets: [], item_timeout: "{{params.t}}"}}');
    assert.throws(
      () => planStep(collect, ctx({ params: { t: 'soon' } })),
      /^TemplateError: step "c": params invalid after templating: collect\.item_timeout: expected number, got string$/,
    );
  });
});
