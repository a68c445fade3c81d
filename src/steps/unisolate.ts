/**
 * `unisolate`: undo `isolate` (same `id`). Removes firebreak's isolation table/chains and, by default,
 * puts back exactly the rules saved before the isolation (from the host's copy in the root-only state
 * directory), stops a dead-man timer still pending from a failed isolate, checks that a fresh SSH
 * connection gets in, then removes the state. A host without state (never isolated, or rebuilt) is fine:
 * leftovers of our table/chains are removed and nothing else is touched.
 */
import { z } from 'zod';
import { KILL_DEADMAN } from './deadman.js';
import { defineStepType } from './define.js';
import { oursLoaded, preamble, restoreFunctions } from './firewall-state.js';
import { ISOLATE_HOOKS, ISOLATE_NAME } from './isolate.js';
import { stateDir, stateIdSchema } from './net-params.js';
import { VERIFY_NEEDS_ROOT, verifyHead } from './verify-shell.js';

function restoreScript(dir: string, mode: 'exact' | 'ours'): string {
  return [
    ...preamble('unisolate', dir, 'put back the rules saved before the isolation'),
    ...restoreFunctions(ISOLATE_NAME, ISOLATE_HOOKS),
    KILL_DEADMAN,
    'if [ ! -f "$d/backend" ]; then',
    `  fb_fw_remove; echo "unisolate: no isolation state in $d: removed any ${ISOLATE_NAME} table or chains left, touched nothing else"; exit 0`,
    'fi',
    'if mkdir "$d/decided" 2>/dev/null; then echo "unisolate at $(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$d/decided/by"; fb_kill_deadman; echo "unisolate: stopped a dead-man timer still pending"; fi',
    `fb_fw_restore ${mode} || fb_fail "the rules could not be put back exactly (see above); the saved rules stay in $d"`,
    'rm -f "$d/active"',
    `echo "unisolate: isolation removed (${mode === 'exact' ? 'rules as saved before the isolation' : 'only firebreak rules removed'})"`,
  ].join('\n');
}

/**
 * For resume: no state left for the id and none of our rules loaded: done. Anything else is absent:
 * unisolate runs again, which is harmless at every point it can have stopped (it stops a pending
 * timer, finds rules already as saved, and a host without state only loses leftovers of ours).
 */
function verify(p: { id: string }): string {
  return [
    ...verifyHead('unisolate', 'is the isolation undone?', stateDir('isolate', p.id)),
    VERIFY_NEEDS_ROOT,
    oursLoaded(ISOLATE_NAME),
    'fb_fw=$(fb_ours_loaded)',
    '[ ! -e "$d/active" ] || fb_absent "still isolated: $d/active is there${fb_fw:+; rules loaded: $fb_fw}"',
    '[ -z "$fb_fw" ] || fb_absent "rules of ours still loaded: $fb_fw"',
    '[ ! -e "$d" ] || fb_absent "the isolation rules are gone but the saved state $d is still there: unisolate runs again to remove it"',
    `fb_done "no isolation state in $d, no ${ISOLATE_NAME} rules loaded"`,
  ].join('\n');
}

export const unisolate = defineStepType({
  type: 'unisolate',
  description:
    'Undo isolate: put back exactly the rules saved before it, check a fresh SSH connection, remove the state',
  schema: z.strictObject({
    id: stateIdSchema,
    restore: z
      .enum(['exact', 'ours'])
      .default('exact')
      .describe(
        'exact: the rules become the ones saved before isolate (changes made since are undone); ours: only remove firebreak_isolate',
      ),
  }),
  shellFields: [],
  changes: true,
  verify,
  plan(p) {
    const dir = stateDir('isolate', p.id);
    return [
      { kind: 'exec', command: restoreScript(dir, p.restore) },
      { kind: 'fresh-connection' },
      {
        kind: 'exec',
        command: [
          ...preamble('unisolate', dir, 'a fresh connection got in: remove the saved state'),
          'rm -rf "$d" && echo "unisolate: state $d removed"',
        ].join('\n'),
      },
    ];
  },
});
