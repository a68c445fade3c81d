/**
 * Runbook loading and validation. Invalid runbooks are data: test/fixtures/runbooks/invalid/<case>.yaml
 * with <case>.issues.txt listing every expected issue as `line:col path code: message`.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../../src/core/index.js';
import {
  defineRunbook,
  loadRunbook,
  type RunbookInput,
  parseRunbookYaml,
  runbookJsonSchema,
  runbookSchema,
} from '../../src/runbook/index.js';
import { stepTypeNames } from '../../src/steps/index.js';

const FIX = path.join(import.meta.dirname, '../fixtures/runbooks');
const REPO = path.join(import.meta.dirname, '../..');

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof InputError, `expected InputError, got ${String(e)}`);
    return e.issues.map((i) => `${i.line}:${i.col} ${i.path || '-'} ${i.code}: ${i.message}`);
  }
  assert.fail('expected an InputError');
}

describe('runbook validation (fixtures)', () => {
  const dir = path.join(FIX, 'invalid');
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    it(file, () => {
      // `{{STEP_TYPES}}` stands for the registry's list, which grows with every step type.
      const expected = readFileSync(path.join(dir, file.replace(/\.yaml$/, '.issues.txt')), 'utf8')
        .replaceAll('{{STEP_TYPES}}', stepTypeNames().join(', '))
        .trim()
        .split('\n');
      assert.deepEqual(
        issuesOf(() => parseRunbookYaml(readFileSync(path.join(dir, file), 'utf8'), file)),
        expected,
      );
    });
  }

  it('the InputError message lists every issue as ✖ message / → at path (file:line:col)', () => {
    try {
      parseRunbookYaml(readFileSync(path.join(dir, 'many-problems.yaml'), 'utf8'), 'many-problems.yaml');
      assert.fail('expected an error');
    } catch (e) {
      const msg = (e as Error).message;
      assert.match(msg, /invalid runbook \(9 problems\)/);
      assert.match(
        msg,
        /✖ unknown key "timout" \(did you mean "timeout"\?\)\n {2}→ at phases\.collect\[1\]\.timout \(many-problems\.yaml:7:7\)/,
      );
    }
  });
});

describe('runbook loading', () => {
  it('loads runbooks/triage.yaml: read-only collect, verify_packages and rootkit_scan', async () => {
    const { runbook } = await loadRunbook(path.join(REPO, 'runbooks/triage.yaml'));
    assert.equal(runbook.name, 'triage');
    assert.deepEqual(
      runbook.phases.collect?.steps.map((s) =>
        Object.keys(s).find((k) => ['collect', 'verify_packages', 'rootkit_scan'].includes(k)),
      ),
      ['collect', 'verify_packages', 'rootkit_scan'],
    );
  });

  it('loads bench/workload.yaml: five read-only shell steps in collect', async () => {
    const { runbook, dir } = await loadRunbook(path.join(REPO, 'bench/workload.yaml'));
    assert.equal(dir, path.join(REPO, 'bench'));
    assert.equal(runbook.name, 'triage');
    assert.deepEqual(Object.keys(runbook.phases), ['collect']);
    assert.deepEqual(
      runbook.phases.collect?.steps.map((s) => ('shell' in s ? s.shell.cmd : undefined)),
      ['hostname', 'w -h', 'ps -eo pid,user,comm --no-headers | wc -l', 'ss -tan | wc -l', 'sha256sum /etc/passwd'],
    );
  });

  it('normalizes a full YAML runbook: shorthands expanded, durations in ms', async () => {
    const { runbook } = await loadRunbook(path.join(FIX, 'valid/full.yaml'));
    const collect = runbook.phases.collect?.steps ?? [];
    assert.deepEqual(collect[0], {
      name: 'uptime',
      shell: { cmd: 'uptime' },
      register: 'up',
      timeout: 30_000,
      retries: 2,
      delay: 1000,
      until: 'eq result.rc 0',
    });
    assert.deepEqual(runbook.phases.isolate?.serial, [1, '50%']);
    assert.equal(runbook.phases.restore?.steps.length, 3);
    assert.deepEqual(runbook.params?.ticket, { type: 'string', required: true });
  });

  it('loads a TypeScript runbook at run time (default export, defineRunbook)', async () => {
    const { runbook } = await loadRunbook(path.join(FIX, 'ts/typed.ts'));
    assert.equal(runbook.name, 'typed');
    assert.deepEqual(runbook.phases.collect?.steps[0], {
      name: 'id',
      shell: { cmd: 'id -- {{params.who}}' },
      timeout: 5000,
    });
  });

  it('validates a TypeScript runbook with paths (no positions)', async () => {
    await assert.rejects(loadRunbook(path.join(FIX, 'ts/invalid.ts')), (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.deepEqual(
        e.issues.map((i) => [i.path, i.line]),
        [['phases.collect[0].timeout', undefined]],
      );
      return true;
    });
  });

  it('loads runbooks/example.ts', async () => {
    const { runbook } = await loadRunbook(path.join(REPO, 'runbooks/example.ts'));
    assert.equal(runbook.phases.collect?.steps.length, 4);
  });

  it('a missing file is an InputError naming it', async () => {
    await assert.rejects(loadRunbook('/nonexistent/x.yaml'), /\/nonexistent\/x\.yaml: cannot read runbook: ENOENT/);
  });

  it('defineRunbook is the identity and its output parses', () => {
    const rb: RunbookInput = { name: 'x', phases: { collect: [{ shell: 'true' }] } };
    assert.equal(defineRunbook(rb), rb);
    const first = runbookSchema.parse(rb).phases.collect?.steps[0];
    assert.ok(first && 'shell' in first);
    assert.equal(first.shell.cmd, 'true');
  });
});

describe('runbook JSON Schema', () => {
  const schema = runbookJsonSchema() as {
    properties: Record<string, unknown>;
    $defs: {
      step: {
        anyOf: Array<{
          title: string;
          required: string[];
          properties: Record<string, { properties?: object; anyOf?: unknown[] }>;
          additionalProperties: boolean;
        }>;
      };
    };
  };

  it('has one branch per step type, requiring its key, closed to unknown keys', () => {
    const branches = schema.$defs.step.anyOf;
    assert.deepEqual(
      branches.map((b) => b.title),
      stepTypeNames().map((t) => `${t} step`),
    );
    assert.ok(stepTypeNames().length >= 5);
    for (const b of branches) {
      const key = b.title.replace(/ step$/, '');
      assert.ok(b.required.includes(key), `${key} is required in its branch`);
      assert.equal(b.additionalProperties, false);
      assert.ok(b.properties.timeout && b.properties.when && b.properties.register, 'common keys present');
    }
  });

  it("exposes each step type's params for completion", () => {
    const upload = schema.$defs.step.anyOf.find((b) => b.title === 'upload step');
    assert.deepEqual(Object.keys(upload?.properties.upload?.properties ?? {}), ['src', 'dest', 'mode']);
    const shell = schema.$defs.step.anyOf.find((b) => b.title === 'shell step');
    assert.equal(shell?.properties.shell?.anyOf?.length, 2, 'shell: "cmd" or {cmd, ...}');
  });

  it('lets a template stand where the loader accepts one: checked params, not the common step keys', () => {
    type Leaf = { anyOf?: Array<{ pattern?: string; enum?: unknown[] }>; pattern?: string };
    const branch = (t: string) =>
      schema.$defs.step.anyOf.find((b) => b.title === `${t} step`)!.properties as Record<
        string,
        { properties?: Record<string, Leaf & { items?: Leaf }> } & Leaf
      >;
    const takesTemplate = (n: Leaf | undefined) => n?.anyOf?.some((a) => a.pattern === '\\{\\{') === true;
    assert.ok(takesTemplate(branch('backup').backup?.properties?.paths?.items), 'backup.paths[] (an absolute path)');
    assert.ok(takesTemplate(branch('isolate').isolate?.properties?.mode), 'isolate.mode (an enum)');
    assert.equal(takesTemplate(branch('backup').timeout), false, 'a step timeout is never rendered');
    // And the loader agrees: the same templates load.
    const rb = parseRunbookYaml(
      'name: t\nphases:\n  collect:\n    - backup: {paths: ["{{params.d}}"]}\n    - isolate: {mode: "{{params.m}}"}\n',
      't.yaml',
    );
    assert.equal(rb.phases.collect?.steps.length, 2);
  });

  it('describes the top-level keys and phases', () => {
    assert.deepEqual(Object.keys(schema.properties), ['name', 'description', 'severity', 'tags', 'params', 'phases']);
    assert.deepEqual(Object.keys((schema.properties.phases as { properties: object }).properties), [
      'isolate',
      'collect',
      'rebuild',
      'restore',
    ]);
  });
});
