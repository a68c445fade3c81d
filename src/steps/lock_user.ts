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
import { FB_SEL, FB_STOPKILL, script } from './proc-shell.js';
import { detailString, findingsFrom, minSeveritySchema, placeholderText, unique } from './registered.js';

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
fb_t=$(fb_targets)
if printf '%s\\n' "$fb_t" | grep -q '^refuse '; then
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

function verify(p: Params): string {
  return `fb_bad=0
for fb_x in $(fb_locks); do
  fb_u=\${fb_x%:*}; fb_id=\${fb_x##*:}; fb_ok=1
  fb_s=$(passwd -S "$fb_u" | awk '{print $2}')
  case "$fb_s" in L|LK) ;; *) echo "lock_user: $fb_u: the password is not locked (passwd -S: $fb_s)" >&2; fb_ok=0;; esac
${p.expire ? `  [ "$(getent shadow "$fb_u" | cut -d: -f8)" = 0 ] || { echo "lock_user: $fb_u: the account is not expired" >&2; fb_ok=0; }\n` : ''}${
    p.kill_sessions
      ? `  fb_p=$(fb_sel user "$fb_u" "$fb_id" | sort -n | tr '\\n' ' ')
  [ -z "\${fb_p% }" ] || { echo "lock_user: $fb_u: processes still running: $fb_p" >&2; fb_ok=0; }\n`
      : ''
  }  [ $fb_ok = 1 ] && echo "$fb_u: locked${p.expire ? ', expired' : ''}${p.kill_sessions ? ', no process left' : ''}"
  [ $fb_ok = 1 ] || fb_bad=1
done
exit $fb_bad`;
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
  plan(p, ctx) {
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
    if (explicit.length === 0 && derived.length === 0) {
      return [
        {
          kind: 'exec',
          command: `echo ${quote(`lock_user: no user to lock (the findings of ${p.from ?? '-'} name none)`)}`,
        },
      ];
    }
    const head = script(
      `FB_EXPLICIT=${quote(explicit.join(' '))}; FB_DERIVED=${quote(derived.join(' '))}`,
      FB_SEL,
      TARGETS,
    );
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
        command: script('# lock_user: check the accounts are locked and nothing of them runs', head, verify(p)),
      },
    ];
    return actions;
  },
});
