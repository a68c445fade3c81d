/**
 * `kill_process`: stop a malicious process without losing it as evidence. SIGSTOP first (it can no
 * longer fork, talk or notice), then preserve it — the running binary read through `/proc/PID/exe`
 * (which works after the file was deleted: the dropper's usual trick) as one artifact, so its SHA-256
 * is taken on the host and on the controller, and its `/proc` details (cmdline, environ, status, cwd,
 * open fds, maps, sockets) as another — then SIGKILL, and verify it is gone.
 *
 * Targets: `pids`, and/or `from:` (the `process.suspicious` findings an earlier step registered:
 * detail.pid, and detail.sha256 when the finding has it), and/or `name` (a pattern matched against
 * full command lines on the host at run time, `pgrep -f`).
 *
 * PIDs are known when the step is planned, so the plan lists one pair of evidence actions per PID.
 * On the host, a PID is only touched if it still runs, is not PID 1, not a kernel thread, not part of
 * the responder's own connection, and — when the finding recorded the binary's SHA-256 — still runs
 * that binary (a reused PID is reported and left alone). A PID that is gone is reported, not an error:
 * it may have died between collect and now. The step fails when a process survives SIGKILL.
 *
 * `name` matches are only known on the host, so they are preserved together in one tar artifact:
 * per PID a directory with `exe` (the binary, read through /proc/PID/exe) and `proc.txt`, and a
 * `SHA256SUMS` of the binaries computed on the host. Then everything matching is killed (again until
 * nothing matches, so a respawning watchdog shows up as a failure rather than a silent survivor).
 */
import { z } from 'zod';
import { quote, wrapEvidence, type Action } from '../core/index.js';
import { defineStepType } from './define.js';
import type { PlanContext } from './types.js';
import { FB_SEL, FB_STOPKILL, script } from './proc-shell.js';
import { detailString, findingsFrom, minSeveritySchema, placeholderText } from './registered.js';
import { VERIFY_NEEDS_ROOT, verifyHead } from './verify-shell.js';

const pid = z.number().int().min(2, 'PID 1 is init: never killed').max(4_194_304);

const object = z.strictObject({
  pids: z.array(pid).default([]).describe('PIDs to stop, preserve and kill'),
  from: z
    .string()
    .min(1)
    .optional()
    .describe('Register name of an earlier step: its process.suspicious findings (detail.pid, detail.sha256)'),
  min_severity: minSeveritySchema,
  name: z
    .string()
    .min(1)
    .optional()
    .describe('Pattern (extended regex, like pgrep -f) matched against full command lines on the host'),
});

type Params = z.output<typeof object>;

interface Target {
  pid: number;
  /** The binary the finding saw; a PID now running something else is left alone. */
  sha256?: string;
}

/**
 * Shell: `fb_check PID [SHA256]` prints why PID must not be touched and returns 1, or returns 0.
 * `fb_procinfo PID` prints what /proc knows about it. `fb_alive PID`: running and not a zombie.
 */
const CHECK = `fb_ours=" $(fb_sel ours | tr '\\n' ' ')"
fb_check() {
  case "$fb_ours" in *" $1 "*) echo "PID $1: skipped: part of the responder's own connection"; return 1;; esac
  [ "$1" -gt 1 ] 2>/dev/null || { echo "PID $1: skipped: PID 1 is never killed"; return 1; }
  [ -d "/proc/$1" ] || { echo "PID $1: not running (gone already): nothing to do"; return 1; }
  [ "$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null)" != Z ] || { echo "PID $1: already dead (a zombie): nothing to do"; return 1; }
  fb_exe=$(readlink "/proc/$1/exe" 2>/dev/null) || { echo "PID $1: skipped: no executable (a kernel thread, or no permission)"; return 1; }
  if [ -n "\${2:-}" ]; then
    fb_h=$(sha256sum < "/proc/$1/exe" | cut -c1-64)
    [ "$fb_h" = "$2" ] || { echo "PID $1: skipped: it runs $fb_exe (sha256 $fb_h), not the binary the finding saw ($2): PID reused?"; return 1; }
  fi
}
fb_alive() { [ -d "/proc/$1" ] && [ "$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null)" != Z ]; }
fb_procinfo() {
  echo "== PID $1 at $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname)"
  echo "== exe"; readlink "/proc/$1/exe"; sha256sum < "/proc/$1/exe"
  echo "== cmdline"; tr '\\000' ' ' < "/proc/$1/cmdline"; echo
  echo "== cwd"; readlink "/proc/$1/cwd"
  echo "== status"; cat "/proc/$1/status"
  echo "== environ"; tr '\\000' '\\n' < "/proc/$1/environ"
  echo "== fd"; ls -l "/proc/$1/fd"
  echo "== maps"; cat "/proc/$1/maps"
  echo "== sockets"; ss -tuanpH 2>/dev/null | grep "pid=$1,"
  true
}`;

const head = (...more: string[]) => script(FB_SEL, CHECK, ...more);

function checkArgs(t: Target): string {
  return t.sha256 ? `${t.pid} ${quote(t.sha256)}` : String(t.pid);
}

function pidActions(targets: Target[]): Action[] {
  if (targets.length === 0) return [];
  const each = (body: (t: Target) => string) => targets.map(body).join('\n');
  const freeze = each(
    (t) =>
      `if fb_check ${checkArgs(t)}; then kill -STOP ${t.pid} && echo "PID ${t.pid}: stopped: $fb_exe: $(tr '\\000' ' ' < /proc/${t.pid}/cmdline)"; fi`,
  );
  const kill = `fb_k=""
${each((t) => `if fb_check ${checkArgs(t)}; then kill -KILL ${t.pid}; fb_k="$fb_k ${t.pid}"; fi`)}
fb_i=0; while :; do fb_left=""; for fb_p in $fb_k; do fb_alive $fb_p && fb_left="$fb_left $fb_p"; done
  [ -z "$fb_left" ] || [ $fb_i -ge 50 ] && break; fb_i=$((fb_i + 1)); sleep 0.1; done
for fb_p in $fb_k; do case "$fb_left " in *" $fb_p "*) ;; *) echo "PID $fb_p: killed, gone";; esac; done
[ -z "$fb_left" ] || { echo "kill_process: still running after SIGKILL:$fb_left" >&2; exit 1; }`;
  return [
    {
      kind: 'exec',
      command: script(
        '# kill_process: SIGSTOP the targets (PID 1, our own connection, gone or reused PIDs are left alone)',
        head(freeze),
      ),
    },
    ...targets.flatMap((t): Action[] => [
      {
        kind: 'evidence',
        label: `kill_process/${t.pid}/exe`,
        source: { kind: 'file', value: `/proc/${t.pid}/exe` },
        command: wrapEvidence(head(`fb_check ${checkArgs(t)} >&2 || exit 3`, `cat /proc/${t.pid}/exe`), false),
      },
      {
        kind: 'evidence',
        label: `kill_process/${t.pid}/proc`,
        source: { kind: 'command', value: `/proc/${t.pid}: exe, cmdline, cwd, status, environ, fd, maps, sockets` },
        command: wrapEvidence(head(`fb_check ${checkArgs(t)} || exit 3`, `fb_procinfo ${t.pid}`), true),
      },
    ]),
    { kind: 'exec', command: script('# kill_process: SIGKILL the targets and check they are gone', head(kill)) },
  ];
}

/** `fb_match`: the PIDs whose command line matches the pattern, less those fb_check leaves alone. */
const MATCH = (pattern: string) => `fb_pat=${quote(pattern)}
fb_match() { for fb_p in $(pgrep -f -- "$fb_pat"); do fb_check "$fb_p" >/dev/null && echo "$fb_p"; done; }`;

function nameActions(pattern: string): Action[] {
  const match = MATCH(pattern);
  const freeze = `fb_n=0; for fb_p in $(fb_match); do kill -STOP "$fb_p" && fb_n=$((fb_n + 1)) && echo "PID $fb_p: stopped: $(readlink /proc/$fb_p/exe): $(tr '\\000' ' ' < /proc/$fb_p/cmdline)"; done
[ $fb_n -gt 0 ] || echo "no process matches $fb_pat"`;
  // The binaries go into the archive through symlinks to /proc/PID/exe (`tar -h` follows them), so
  // nothing but a few small text files is written on the host.
  const archive = `fb_d=$(mktemp -d) || exit 1; trap 'rm -rf "$fb_d"' EXIT
: > "$fb_d/SHA256SUMS"
for fb_p in $(fb_match); do mkdir "$fb_d/$fb_p"; ln -s "/proc/$fb_p/exe" "$fb_d/$fb_p/exe"; fb_procinfo "$fb_p" > "$fb_d/$fb_p/proc.txt" 2>&1
  echo "$(sha256sum < "/proc/$fb_p/exe" | cut -c1-64)  $fb_p/exe" >> "$fb_d/SHA256SUMS"; done
tar -C "$fb_d" -chf - .`;
  const kill = `fb_stopkill "processes matching $fb_pat" fb_match; echo "killed PIDs:\${fb_killed:- none}"
fb_left=$(fb_match | tr '\\n' ' ')
[ -z "$fb_left" ] || { echo "kill_process: still running after SIGKILL: $fb_left" >&2; exit 1; }`;
  return [
    { kind: 'exec', command: script('# kill_process: SIGSTOP what matches the pattern', head(match, freeze)) },
    {
      kind: 'evidence',
      label: 'kill_process/name-matches.tar',
      source: { kind: 'command', value: `kill_process name ${pattern}` },
      command: wrapEvidence(head(match, archive), false),
    },
    {
      kind: 'exec',
      command: script(
        '# kill_process: SIGKILL what matches the pattern until nothing does',
        head(match, FB_STOPKILL, kill),
      ),
    },
  ];
}

/** The PIDs to act on (from `pids` and the findings); `planTime`: the register name whose findings are not known yet. */
function targetsOf(p: Params, ctx: PlanContext): { targets: Target[]; planTime?: string } {
  const targets = new Map<number, Target>(p.pids.map((n) => [n, { pid: n }]));
  if (p.from === undefined) return { targets: [...targets.values()] };
  const found = findingsFrom(ctx.registered, p.from, ['process.suspicious'], 'kill_process', p.min_severity);
  for (const f of found.items) {
    const n = Number(detailString(f, 'pid'));
    if (!Number.isInteger(n) || n < 2 || targets.has(n)) continue;
    const sha = detailString(f, 'sha256');
    targets.set(n, sha && /^[0-9a-f]{64}$/.test(sha) ? { pid: n, sha256: sha } : { pid: n });
  }
  return { targets: [...targets.values()], ...(found.planTime ? { planTime: p.from } : {}) };
}

/**
 * For resume: does any target still run? Yes: absent, and the step runs again (a target it stopped
 * before the crash is still there, stopped; it is preserved and killed as the first time). No: done.
 * The host keeps no copy of a binary (the step streams it into the controller's evidence store), so
 * done rests on the step's order: the kill runs only after every evidence action of the step was
 * stored, so a target our kill took was preserved first; one that died by itself could not have
 * been preserved by any rerun either. The evidence store, not the host, says which it was.
 */
function verify(p: Params, ctx: PlanContext): string {
  const { targets } = targetsOf(p, ctx);
  const pids = targets.map((t) => `fb_check ${checkArgs(t)} >/dev/null && fb_left="$fb_left ${t.pid}"`);
  const named =
    p.name !== undefined ? [MATCH(p.name), 'for fb_p in $(fb_match); do fb_left="$fb_left $fb_p"; done'] : [];
  const what = [
    ...(targets.length ? [`PIDs ${targets.map((t) => t.pid).join(' ')}`] : []),
    ...(p.name !== undefined ? ['what matches the pattern'] : []),
  ].join(', ');
  return script(
    ...verifyHead('kill_process', 'does any target still run?'),
    ...(what === ''
      ? ['fb_done "no process to kill"']
      : [
          VERIFY_NEEDS_ROOT,
          head('fb_left=', ...pids, ...named),
          `[ -z "$fb_left" ] || fb_absent "still running:$fb_left; kill_process runs again"`,
          `fb_done ${quote(`none of ${what} runs any more (their binaries went to the controller's evidence store before the kill; the host keeps no copy)`)}`,
        ]),
  );
}

export const killProcess = defineStepType({
  type: 'kill_process',
  description:
    'Stop processes (SIGSTOP), preserve their binaries and /proc details as evidence (hashed on both ends), SIGKILL them, verify they are gone',
  schema: z
    .union([
      object,
      pid.transform((p) => object.parse({ pids: [p] })),
      z.array(pid).transform((pids) => object.parse({ pids })),
    ])
    .refine(
      (p) => p.pids.length > 0 || p.from !== undefined || p.name !== undefined,
      'kill_process needs pids, from or name',
    ),
  shellFields: [],
  changes: true,
  verify,
  plan(p, ctx) {
    const { targets, planTime } = targetsOf(p, ctx);
    const notes: Action[] = planTime
      ? [
          {
            kind: 'exec',
            command: `# at run time, the same actions for each PID in ${placeholderText(planTime, 'findings')} (process.suspicious)`,
          },
        ]
      : [];
    const actions = [...pidActions(targets), ...notes, ...(p.name !== undefined ? nameActions(p.name) : [])];
    return actions.length
      ? actions
      : [
          {
            kind: 'exec',
            command: `echo ${quote(`kill_process: no process to kill (the findings of ${p.from ?? '-'} name none)`)}`,
          },
        ];
  },
});
