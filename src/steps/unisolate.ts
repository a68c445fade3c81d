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
import { preamble, restoreFunctions } from './firewall-state.js';
import { ISOLATE_HOOKS, ISOLATE_NAME } from './isolate.js';
import { stateDir, stateIdSchema } from './net-params.js';

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
