/**
 * The drill file: the shipped drills validate, a broken drill is reported in full with file:line:col,
 * and command-line flags become the same drill data.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../src/core/index.js';
import {
  drillFromFlags,
  loadDrill,
  parseDrillYaml,
  parseFaultFlag,
  parseProbeFlag,
  parseThresholdFlag,
} from '../../src/drill/index.js';
import { durationSeconds, parseWhen } from '../../src/drill/schema.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function issuesOf(fn: () => unknown): { message: string; text: string } {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof InputError, `expected an InputError, got ${String(e)}`);
    return { message: e.message.split('\n')[0] as string, text: e.message };
  }
  assert.fail('expected an InputError');
}

describe('drill files: the shipped drills', () => {
  it('drills/quick.yaml validates, with its runbook resolved next to it', () => {
    const d = loadDrill(path.join(REPO, 'drills/quick.yaml'));
    assert.equal(d.spec.name, 'quick');
    assert.equal(d.runbookPath, path.join(REPO, 'drills/runbooks/first-look.yaml'));
    assert.deepEqual(d.spec.lab.scenarios, { 'outbound-ssh-bruteforce': 1, clean: 2 });
    assert.equal(d.spec.timeout, 300);
    assert.deepEqual(
      d.spec.faults.map((f) => [f.kind, f.among, f.when]),
      [
        ['down', 'clean', { at: 'before' }],
        ['flaky', 'non-compromised', { at: 'phase', phase: 'collect' }],
      ],
    );
    assert.equal(d.spec.thresholds.min_coverage, 0.75);
    assert.equal(d.spec.thresholds.max_unhandled_faults, 0);
  });

  it('drills/outbound-ssh.yaml validates: durations in seconds, percentages as ratios, the hypothesis in short form', () => {
    const d = loadDrill(path.join(REPO, 'drills/outbound-ssh.yaml'));
    assert.equal(d.spec.timeout, 900);
    assert.equal(d.spec.thresholds.min_coverage, 0.9);
    assert.equal(d.spec.thresholds.max_containment_p95, 60);
    assert.deepEqual(d.spec.lab.compromised, ['outbound-ssh-bruteforce']);
    assert.deepEqual(d.spec.hypothesis?.['isolated-or-rebuilt'], { hosts: 'compromised' });
    const kill = d.spec.faults.find((f) => f.kind === 'kill-sshd-mid-step');
    assert.equal(kill?.for, 10);
    assert.equal(d.runbookPath, path.join(REPO, 'runbooks/outbound-ssh-attack.yaml'));
  });
});

describe('drill files: validation', () => {
  it('reports every problem at once, each with its line and column', () => {
    const text = [
      'name: broken', //                          1
      'lab:', //                                  2
      '  hosts: 3', //                            3
      '  scenarios: {outbound-ssh-bruteforce: 2, nope: 1, clean: 1}', // 4
      'runbook: r.yaml', //                       5
      'faults:', //                               6
      '  - {kind: down, target: [n009]}', //      7
      '  - {kind: slow, ms: 300, when: "phase:cleanup"}', // 8
      'thresholds: {min_coverage: 1.5}', //      9
    ].join('\n');
    // Schema problems come first; the checks against the lab run once the schema holds.
    const schema = issuesOf(() => parseDrillYaml(text, 'x.yaml'));
    assert.match(schema.text, /unknown phase "cleanup"[^\n]*\n\s+→ at faults\[1\]\.when \(x\.yaml:8:33\)/);
    assert.match(schema.text, /→ at thresholds\.min_coverage \(x\.yaml:9:28\)/);
    const fixed = text.replace('phase:cleanup', 'phase:collect').replace('1.5', '0.9');
    const semantic = issuesOf(() => parseDrillYaml(fixed, 'x.yaml'));
    assert.match(semantic.message, /invalid drill \(3 problems\)/);
    assert.match(semantic.text, /unknown scenario "nope"[^\n]*\n\s+→ at lab\.scenarios\.nope \(x\.yaml:4:43\)/);
    assert.match(semantic.text, /ask for 4 hosts but the lab has 3/);
    assert.match(
      semantic.text,
      /no host "n009" in a lab of 3 \(n001…n003\)\n\s+→ at faults\[0\]\.target\[0\] \(x\.yaml:7:27\)/,
    );
  });

  it('names unknown keys with a suggestion and unknown fault kinds with the known ones', () => {
    const text = 'name: x\nlab: {hosts: 2}\nrunbook: r.yaml\nfaults:\n  - {kind: dwn}\nthreshold: {}\n';
    const e = issuesOf(() => parseDrillYaml(text, 'x.yaml'));
    assert.match(
      e.text,
      /unknown kind "dwn": expected one of down, up, slow, flaky, kill-sshd-mid-step, hang-command\n\s+→ at faults\[0\]\.kind \(x\.yaml:5:12\)/,
    );
    assert.match(e.text, /unknown key "threshold" \(did you mean "thresholds"\?\)\n\s+→ at threshold \(x\.yaml:6:1\)/);
  });

  it('reports YAML syntax and duplicate keys with their position', () => {
    assert.match(issuesOf(() => parseDrillYaml('name: a\nname: b\n', 'd.yaml')).text, /duplicate key|unique/i);
    assert.match(issuesOf(() => parseDrillYaml('lab: [\n', 'd.yaml')).text, /d\.yaml:\d+:\d+/);
  });

  it('parses durations and fault times', () => {
    assert.equal(durationSeconds('300ms'), 0.3);
    assert.equal(durationSeconds('2m'), 120);
    assert.equal(durationSeconds(45), 45);
    assert.throws(() => durationSeconds('soon'), /not a duration/);
    assert.deepEqual(parseWhen('after:90s'), { at: 'after', seconds: 90 });
    assert.deepEqual(parseWhen('phase:isolate'), { at: 'phase', phase: 'isolate' });
    assert.throws(() => parseWhen('later'), /before, phase:NAME or after:SECONDS/);
  });
});

describe('drills from command-line flags', () => {
  it('turns --fault flags into fault data', () => {
    assert.deepEqual(parseFaultFlag('down:2'), { kind: 'down', target: 2 });
    assert.deepEqual(parseFaultFlag('slow:3:300ms'), { kind: 'slow', target: 3, ms: 300 });
    assert.deepEqual(parseFaultFlag('slow:1:1s@after:20'), { kind: 'slow', target: 1, ms: 1000, when: 'after:20' });
    assert.deepEqual(parseFaultFlag('flaky:1/compromised:30%@phase:collect'), {
      kind: 'flaky',
      target: 1,
      among: 'compromised',
      pct: 30,
      when: 'phase:collect',
    });
    assert.deepEqual(parseFaultFlag('hang-command:n002+n003:ps'), {
      kind: 'hang-command',
      target: ['n002', 'n003'],
      command: 'ps',
    });
    assert.throws(() => parseFaultFlag('down:1:5'), /a down fault takes no value/);
    assert.throws(() => parseFaultFlag('slow:1:fast'), /not a delay/);
    assert.deepEqual(parseProbeFlag('ssh-serves:non-compromised'), ['ssh-serves', 'non-compromised']);
    assert.deepEqual(parseProbeFlag('no-attack-traffic:n001+n002'), ['no-attack-traffic', ['n001', 'n002']]);
    assert.deepEqual(parseThresholdFlag('min_coverage=90%'), ['min_coverage', '90%']);
    assert.deepEqual(parseThresholdFlag('max_false_positives=0'), ['max_false_positives', 0]);
  });

  it('validates flags like a file', () => {
    const d = drillFromFlags(
      {
        hosts: 30,
        scenario: 'outbound-ssh-bruteforce:10,clean:20',
        runbook: 'runbooks/triage.yaml',
        fault: ['down:2', 'slow:3:300ms'],
        threshold: ['min_coverage=0.8'],
      },
      7,
    );
    assert.equal(d.spec.seed, 7);
    assert.equal(d.source, 'command line');
    assert.equal(d.runbookPath, path.resolve('runbooks/triage.yaml'));
    assert.deepEqual(
      d.spec.faults.map((f) => [f.kind, f.target]),
      [
        ['down', 2],
        ['slow', 3],
      ],
    );
    assert.equal(d.spec.thresholds.min_coverage, 0.8);
    const e = issuesOf(() => drillFromFlags({ hosts: 2, scenario: 'clean:3', runbook: 'r.yaml', fault: ['melt:1'] }));
    assert.match(e.message, /^command line: invalid drill/);
    assert.match(e.text, /→ at faults\[0\]\.kind/);
    assert.throws(() => drillFromFlags({ hosts: 2 }), /give a drill file, or --runbook/);
  });
});
