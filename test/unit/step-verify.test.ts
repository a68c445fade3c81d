/**
 * What resume may do with a step a crash caught running: every step type says it (rerunSafe or a
 * verify command) except shell and script, which stop their host. Each verify command, planned from
 * the step fixtures, is valid sh, starts with its title and only reads: a denylist of commands and
 * redirections that write, checked on the command text outside quotes (messages may name them), is
 * a guard here; the lab tests run the commands for real.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { planStep, type StepContext } from '../../src/engine/planner.js';
import type { Step } from '../../src/runbook/index.js';
import { STEP_TYPES, getStepType } from '../../src/steps/index.js';

const ROOT = path.join(import.meta.dirname, '../fixtures/steps');
const ctx: StepContext = {
  host: { name: 'web01', vars: {}, groups: [] },
  params: {},
  registered: {},
  runbookDir: '/runbooks',
  remoteTmp: '/tmp/.firebreak-test',
};

/** The text sh reads as commands: quoted text blanked, `$( … )` inside double quotes kept. */
function commandText(script: string): string {
  let out = '';
  // Contexts: a command (with its open parentheses) or a double-quoted string.
  const stack: { dq: boolean; parens: number }[] = [{ dq: false, parens: 0 }];
  for (let i = 0; i < script.length; i++) {
    const c = script[i]!;
    const top = stack[stack.length - 1]!;
    let keep = false;
    if (top.dq) {
      if (c === '\\') i++;
      else if (c === '"') stack.pop();
      else if (c === '$' && script[i + 1] === '(') {
        stack.push({ dq: false, parens: 0 });
        i++;
      }
    } else if (c === "'") i = script.indexOf("'", i + 1);
    else if (c === '"') stack.push({ dq: true, parens: 0 });
    else if (c === '\\') i++;
    else if (c === ')' && top.parens === 0 && stack.length > 1) stack.pop();
    else {
      if (c === '(') top.parens++;
      if (c === ')') top.parens--;
      keep = true;
    }
    out += keep ? c : ' ';
  }
  return out;
}

const WRITES: RegExp[] = [
  /(^|[\s;&|({])(rm|mv|cp|touch|mkdir|rmdir|ln|chmod|chown|tee|dd|truncate|install|usermod|chage|kill|pkill|modprobe|sysctl|systemctl|conntrack|iptables-restore|ip6tables-restore)(\s|$)/m,
  /(^|[\s;&|({])passwd\s+-[^S]/m,
  /(^|[\s;&|({])(ip6?tables)\s[^\n;|]*\s-[AIDFXNPRZ]\b/m,
  /(^|[\s;&|({])nft\s+(add|delete|flush|insert|replace|create|-f)\b/m,
  /(^|[\s;&|({])sed\s+(-[a-zA-Z]*i|--in-place)/m,
];

/** What in a script writes: commands of the denylist, and `>` other than to /dev/null or another descriptor. */
function writes(script: string): string[] {
  const text = commandText(script);
  const found = WRITES.flatMap((re) => re.exec(text)?.[0].trim() ?? []);
  const redirects = text.replace(/\d*>>?\s*\/dev\/null/g, '').replace(/\d*>&\d/g, '');
  if (redirects.includes('>')) found.push(redirects.slice(Math.max(0, redirects.indexOf('>') - 30)).slice(0, 60));
  return found;
}

function syntaxError(script: string): string | undefined {
  try {
    execFileSync('sh', ['-n'], { input: script, stdio: ['pipe', 'pipe', 'pipe'] });
    return undefined;
  } catch (err) {
    return String((err as { stderr?: Buffer }).stderr ?? err);
  }
}

/** Every fixture case with valid params, planned as the run would: [type, case, planned verify]. */
function verifies(): [string, string, string][] {
  return readdirSync(ROOT).flatMap((type) =>
    readdirSync(path.join(ROOT, type)).flatMap((file): [string, string, string][] => {
      const fx = JSON.parse(readFileSync(path.join(ROOT, type, file), 'utf8')) as {
        params: unknown;
        error?: string;
        ctx?: object;
      };
      if (fx.error !== undefined) return [];
      const params = getStepType(type)!.schema.parse(fx.params);
      const planned = planStep({ [type]: params } as Step, { ...ctx, ...fx.ctx });
      return planned.verify === undefined ? [] : [[type, file, planned.verify]];
    }),
  );
}

describe('step verify commands (for resume)', () => {
  it('every step type is rerun-safe or has a verify, except shell and script', () => {
    const neither = STEP_TYPES.filter((t) => !t.rerunSafe && !t.verify).map((t) => t.type);
    assert.deepEqual(neither.sort(), ['script', 'shell']);
    const both = STEP_TYPES.filter((t) => t.rerunSafe && t.verify).map((t) => t.type);
    assert.deepEqual(both, []);
    const withVerify = STEP_TYPES.filter((t) => t.verify).map((t) => t.type);
    assert.deepEqual(withVerify.sort(), ['harden', 'isolate', 'kill_process', 'lock_user', 'unisolate']);
  });

  it('every fixture plans a verify that is valid sh, says what it asks, and writes nothing', () => {
    const all = verifies();
    assert.deepEqual(
      [...new Set(all.map(([t]) => t))].sort(),
      ['harden', 'isolate', 'kill_process', 'lock_user', 'unisolate'],
      'each type with a verify has fixtures',
    );
    for (const [type, file, cmd] of all) {
      assert.equal(syntaxError(cmd), undefined, `${type}/${file}`);
      assert.match(cmd, new RegExp(`^# firebreak verify ${type}: `), `${type}/${file}`);
      assert.deepEqual(writes(cmd), [], `${type}/${file} writes`);
    }
  });

  it('the write guard catches the steps that do write (positive control)', () => {
    const params = getStepType('isolate')!.schema.parse({});
    const planned = planStep({ isolate: params } as Step, ctx);
    const execs = planned.actions.flatMap((a) => (a.kind === 'exec' ? [a.command] : []));
    assert.ok(execs.length >= 3);
    for (const e of execs.slice(0, 3)) assert.notDeepEqual(writes(e), [], e.split('\n')[0]);
    assert.notDeepEqual(writes('echo x > "$d/active"'), []);
    assert.notDeepEqual(writes('passwd -l "$u"'), []);
    assert.deepEqual(writes('echo "run unisolate, then rm -rf it" >&2; cat x 2>/dev/null'), []);
  });

  it('kill_process and lock_user verify the targets plan() resolves from findings', () => {
    const sha = 'a'.repeat(64);
    const registered = {
      c: {
        rc: 0,
        findings: [
          { kind: 'process.suspicious', severity: 'high', detail: { pid: 4242, sha256: sha } },
          { kind: 'account.sudo', severity: 'high', detail: { user: 'sysupdate' } },
        ],
      },
    };
    const kill = planStep({ kill_process: { from: 'c', pids: [], min_severity: 'medium' } } as unknown as Step, {
      ...ctx,
      registered,
    });
    assert.match(kill.verify!, new RegExp(`fb_check 4242 ${sha} >/dev/null && fb_left=`));
    const lock = planStep({ lock_user: { from: 'c' } } as unknown as Step, { ...ctx, registered });
    assert.match(lock.verify!, /FB_EXPLICIT=''; FB_DERIVED=sysupdate/);
    const none = planStep({ lock_user: { from: 'c', kinds: ['login.active'] } } as unknown as Step, {
      ...ctx,
      registered,
    });
    assert.match(none.verify!, /fb_done 'lock_user: no user to lock/);
  });
});
