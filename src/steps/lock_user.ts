/**
 * `lock_user`: lock and expire accounts and throw their owners out: `passwd -l`, `chage -E 0` (with
 * PAM, an expired account also refuses key logins, which a locked password alone does not), then
 * SIGSTOP + SIGKILL every session and process of the user — the `sshd: USER@pts/N` processes, the
 * root-owned `sshd: USER [priv]` half, whatever runs with the user's UID or login UID, and everything
 * those started (through sudo too) — and verify nothing is left.
 *
 * Users come from `users:` and/or `from:` (the findings an earlier step registered, detail.user).
 * Never locked: root (its processes are the system), the account this responder session logged in
 * as (sshd session title, login UID, $SUDO_USER; or `id -un` without sudo), and another name for the
 * responder's UID. Named in `users:`, such an account fails the step before anything changes; coming
 * from findings, it is skipped and reported. A user that does not exist on a host is reported, not an
 * error, so one runbook can run across a fleet.
 *
 * Actions: a guard (exec: who is the responder, what would be locked; refuses here), the lock itself
 * inside an `evidence` action (its output — before/after `passwd -S` and `chage -l`, the commands run,
 * the processes killed with their PIDs — is stored and hashed on both ends), then a verification exec.
 */
import { z } from 'zod';
import { quote, wrapEvidence, type Action, type FindingKind } from '../core/index.js';
import { defineStepType } from './define.js';
import type { PlanContext } from './types.js';
import { FB_SEL, FB_STOPKILL, script } from './proc-shell.js';
import { detailString, findingsFrom, minSeveritySchema, placeholderText, unique } from './registered.js';
import { VERIFY_NEEDS_ROOT, verifyHead } from './verify-shell.js';

/** Login names we act on: no leading digit (getent would read it as a UID), no spaces, no `:`. */
const USER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$/;
const userName = z
  .string()
  .regex(USER_NAME, 'a user name: letters, digits, _ . - (not starting with a digit), at most 32 characters');

const USER_KINDS = [
  'account.sudo',
  'account.uid0',
  'ssh.authorized_key',
  'login.active',
] as const satisfies readonly FindingKind[];

const object = z.strictObject({
  users: z.array(userName).default([]).describe('Users to lock'),
  from: z
    .string()
    .min(1)
    .optional()
    .describe('Register name of an earlier step: lock the users its findings name (detail.user)'),
  kinds: z
    .array(z.enum(USER_KINDS))
    .min(1)
    .default([...USER_KINDS])
    .describe(`Finding kinds read with from (default: ${USER_KINDS.join(', ')})`),
  min_severity: minSeveritySchema,
  kill_sessions: z
    .boolean()
    .default(true)
    .describe("SIGKILL the user's sessions and processes (sshd session processes included)"),
  expire: z.boolean().default(true).describe('Expire the account (chage -E 0): refuses key logins too'),
});

type Params = z.output<typeof object>;

/** Who is the responder on this host, and what would be locked: `lock U UID` / `skip U: why` / `refuse U: why`. */
const TARGETS = `fb_responders() {
  { [ -n "\${SUDO_USER:-}" ] && echo "$SUDO_USER"
    fb_lu=; read -r fb_lu 2>/dev/null < /proc/$$/loginuid
    [ -n "$fb_lu" ] && [ "$fb_lu" != 4294967295 ] && getent passwd "$fb_lu" | cut -d: -f1
    fb_sel responder
    [ -n "\${SUDO_USER:-}" ] || id -un
  } 2>/dev/null | sort -u | tr '\\n' ' ' | sed 's/ $//'
}
fb_judge() {
  fb_uid=$(getent passwd "$2" | cut -d: -f3)
  if [ -z "$fb_uid" ]; then echo "skip $2: no such user on this host"
  elif [ "$2" = root ]; then echo "$1 root: root is never locked by this step (its processes are the system)"
  elif case "$fb_resp " in *" $2 "*) true;; *) false;; esac; then echo "$1 $2: it is the account this responder session logged in as"
  elif [ "$fb_uid" != 0 ] && case "$fb_ruids" in *" $fb_uid "*) true;; *) false;; esac; then echo "$1 $2: it has UID $fb_uid, the UID of the responder's own account"
  else echo "lock $2 $fb_uid"; fi
}
fb_targets() {
  fb_resp=" $(fb_responders)"; fb_ruids=" "
  for fb_r in $fb_resp; do fb_ruids="$fb_ruids$(id -u "$fb_r" 2>/dev/null) "; done
  for fb_u in $FB_EXPLICIT; do fb_judge refuse "$fb_u"; done
  for fb_u in $FB_DERIVED; do fb_judge skip "$fb_u"; done
}
fb_locks() { printf '%s\\n' "$fb_t" | awk '$1 == "lock" {print $2 ":" $3}'; }
fb_t=$(fb_targets)`;

/** The guard proper: refuse before anything changes. */
const REFUSE = `if printf '%s\\n' "$fb_t" | grep -q '^refuse '; then
  printf '%s\\n' "$fb_t" | sed -n 's/^refuse /lock_user: refusing to lock /p' >&2
  echo "lock_user: nothing was changed" >&2; exit 1
fi`;

const GUARD = `echo "responder session: $(fb_responders)"
printf '%s\\n' "$fb_t" | sed -e 's/^lock \\([^ ]*\\) \\(.*\\)/to lock: \\1 (uid \\2)/' -e 's/^skip /skipped: /'
[ -n "$(fb_locks)" ] || echo "no user to lock on this host"`;

const NOW = '$(date -u +%Y-%m-%dT%H:%M:%SZ)';

const SHOW = `fb_show() {
  fb_p=$(fb_sel user "$1" "$2" | sort -n | tr '\\n' ' ')
  if [ -n "\${fb_p% }" ]; then echo "processes:"; ps -ww -o pid=,ppid=,user:32=,lstart=,args= -p "$(fb_csv $fb_p)" | sed 's/^/  /'; else echo "processes: none"; fi
}`;

function lockOne(p: Params): string {
  return `fb_lock_one() {
  echo; echo "=== $1 (uid $2)"
  echo "--- before"; passwd -S "$1"; chage -l "$1"; fb_show "$1" "$2"
  echo "--- actions (${NOW})"
  echo "+ passwd -l $1"; passwd -l "$1" || { echo "+ usermod -L $1"; usermod -L "$1"; }
${p.expire ? '  echo "+ chage -E 0 $1"; chage -E 0 "$1"\n' : ''}${p.kill_sessions ? '  fb_stopkill "processes of $1" fb_sel user "$1" "$2"; echo "killed PIDs:${fb_killed:- none}"\n' : ''}  echo "--- after (${NOW})"; passwd -S "$1"; chage -l "$1"; fb_show "$1" "$2"
}
echo "lock_user on $(hostname) at ${NOW} as $(id -un); responder session: $(fb_responders)"
printf '%s\\n' "$fb_t" | sed -n 's/^skip /skipped: /p'
for fb_x in $(fb_locks); do fb_lock_one "\${fb_x%:*}" "\${fb_x##*:}"; done`;
}

/** `fb_lock_state USER UID`: prints each part of the lock not in place (one line each) and returns 1; 0 when all is. */
function lockState(p: Params): string {
  return `fb_lock_state() {
  fb_ok=0
  fb_s=$(passwd -S "$1" | awk '{print $2}')
  case "$fb_s" in L|LK) ;; *) echo "$1: the password is not locked (passwd -S: $fb_s)"; fb_ok=1;; esac
${p.expire ? `  [ "$(getent shadow "$1" | cut -d: -f8)" = 0 ] || { echo "$1: the account is not expired"; fb_ok=1; }\n` : ''}${
    p.kill_sessions
      ? `  fb_p=$(fb_sel user "$1" "$2" | sort -n | tr '\\n' ' ')
  [ -z "\${fb_p% }" ] || { echo "$1: processes still running: $fb_p"; fb_ok=1; }\n`
      : ''
  }  return $fb_ok
}`;
}

const lockedText = (p: Params) => `locked${p.expire ? ', expired' : ''}${p.kill_sessions ? ', no process left' : ''}`;

function check(p: Params): string {
  return `fb_bad=0
for fb_x in $(fb_locks); do
  fb_u=\${fb_x%:*}
  if fb_w=$(fb_lock_state "$fb_u" "\${fb_x##*:}"); then echo "$fb_u: ${lockedText(p)}"
  else printf '%s\\n' "$fb_w" | sed 's/^/lock_user: /' >&2; fb_bad=1; fi
done
exit $fb_bad`;
}

/**
 * For resume: every account the step targets on this host is locked (and expired, and without a
 * process, as the params ask): done. Any not: absent — the step runs again, which does no harm to
 * an account already locked (passwd -l, chage -E 0 and an empty kill list again). A target the
 * guard refuses (root, the responder's own account): absent too, since the guard refused before
 * anything changed and will say so again.
 */
function verify(p: Params, ctx: PlanContext): string {
  const t = targets(p, ctx);
  const frame = verifyHead('lock_user', 'are the accounts locked?');
  if (t === undefined) return script(...frame, `fb_done ${quote(noUsers(p))}`);
  return script(
    ...frame,
    VERIFY_NEEDS_ROOT,
    headOf(t),
    lockState(p),
    `printf '%s\\n' "$fb_t" | grep -q '^refuse ' && fb_absent "the guard refuses: $(printf '%s\\n' "$fb_t" | sed -n 's/^refuse //p')"
[ -n "$(fb_locks)" ] || fb_done "no user to lock on this host: $fb_t"
fb_locked=; fb_not=
for fb_x in $(fb_locks); do
  fb_u=\${fb_x%:*}
  if fb_w=$(fb_lock_state "$fb_u" "\${fb_x##*:}"); then fb_locked="$fb_locked $fb_u"; else fb_not="$fb_not $fb_w;"; fi
done
[ -z "$fb_not" ] || fb_absent "\${fb_not# } lock_user runs again (harmless for what is locked already)"
fb_done "${lockedText(p)}:$fb_locked"`,
  );
}

/** The users to act on, explicit and from findings; undefined when there are none. */
function targets(p: Params, ctx: PlanContext): { explicit: string[]; derived: string[] } | undefined {
  const explicit = unique(p.users);
  let derived: string[] = [];
  if (p.from !== undefined) {
    const found = findingsFrom(ctx.registered, p.from, p.kinds, 'lock_user', p.min_severity);
    derived = found.planTime
      ? [placeholderText(p.from, 'findings')]
      : unique(
          found.items
            .map((f) => detailString(f, 'user'))
            .filter((u): u is string => u !== undefined && USER_NAME.test(u) && !explicit.includes(u)),
        );
  }
  return explicit.length === 0 && derived.length === 0 ? undefined : { explicit, derived };
}

const noUsers = (p: Params) => `lock_user: no user to lock (the findings of ${p.from ?? '-'} name none)`;

/** Who is who on the host: the target lists and the functions that judge them (no refusal yet). */
function headOf(t: { explicit: string[]; derived: string[] }): string {
  return script(
    `FB_EXPLICIT=${quote(t.explicit.join(' '))}; FB_DERIVED=${quote(t.derived.join(' '))}`,
    FB_SEL,
    TARGETS,
  );
}

export const lockUser = defineStepType({
  type: 'lock_user',
  description:
    "Lock and expire accounts, kill their sessions and processes (sshd sessions included), record it as evidence; never the responder's own account or root",
  schema: z
    .union([
      object,
      userName.transform((u) => object.parse({ users: [u] })),
      z.array(userName).transform((users) => object.parse({ users })),
    ])
    .refine((p) => p.users.length > 0 || p.from !== undefined, 'lock_user needs users, from, or both'),
  shellFields: [],
  changes: true,
  verify,
  plan(p, ctx) {
    const t = targets(p, ctx);
    if (t === undefined) return [{ kind: 'exec', command: `echo ${quote(noUsers(p))}` }];
    const { explicit, derived } = t;
    const head = script(headOf(t), REFUSE);
    const actions: Action[] = [
      {
        kind: 'exec',
        command: script("# lock_user: who is the responder; refuse root and the responder's own account", head, GUARD),
      },
      {
        kind: 'evidence',
        label: 'lock_user/record',
        source: { kind: 'command', value: `lock_user ${[...explicit, ...derived].join(' ')}` },
        command: wrapEvidence(script(head, FB_STOPKILL, SHOW, lockOne(p)), true),
      },
      {
        kind: 'exec',
        command: script(
          '# lock_user: check the accounts are locked and nothing of them runs',
          head,
          lockState(p),
          check(p),
        ),
      },
    ];
    return actions;
  },
});
