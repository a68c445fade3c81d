/**
 * `backup`: archive chosen paths on the host and stream the archive to the controller's evidence
 * store, hashed on the host and on the controller (bounded memory: it streams to disk), leaving the
 * attacker's files out: `exclude` patterns, and with `exclude_from` every path an earlier step's
 * findings name (detail.path, detail.file, detail.exe, detail.script).
 *
 * Two artifacts: `backup/NAME.tar.gz` — `tar -cpz --numeric-owner` from `/` (member names are the
 * paths without the leading `/`, with owners, groups and modes), nothing written on the host — and
 * `backup/NAME.manifest`, taken right after: every entry's type, mode, uid, gid, size, mtime and path
 * (`find -printf`), then `sha256sum` of every regular file, for the responder to review and for
 * `restore` to check restored files against.
 *
 * An archive stored as evidence keeps its exit code only as data, so tar's exit code and messages go
 * to a small file in /dev/shm (memory; /tmp when that is missing) which the last action reads: exit 2
 * (a path missing, unreadable) fails the step; exit 1 (a file changed while it was read) is a warning.
 */
import path from 'node:path';
import { z } from 'zod';
import { quote, wrapEvidence, type FindingKind } from '../core/index.js';
import { defineStepType } from './define.js';
import { detailString, findingsFrom, placeholderText, unique } from './registered.js';

const absolute = z
  .string()
  .regex(/^\//, 'an absolute path')
  .refine((p) => !p.split('/').includes('..'), 'no ".." in paths')
  .transform((p) => path.posix.normalize(p).replace(/(.)\/+$/, '$1'));

const EXCLUDE_KINDS = [
  'process.suspicious',
  'persistence.cron',
  'persistence.systemd',
  'persistence.preload',
  'persistence.hidden',
  'persistence.immutable',
  'file.privileged',
  'package.integrity',
  'ssh.authorized_key',
  'rootkit.warning',
] as const satisfies readonly FindingKind[];

const schema = z.strictObject({
  paths: z.array(absolute).min(1).describe('Absolute paths to archive'),
  exclude: z
    .array(z.string().min(1))
    .default([])
    .describe('Patterns left out (tar --exclude wildcards; an absolute path means that path and what is under it)'),
  exclude_from: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Register name of an earlier step: leave out every path its findings name (detail.path, detail.file, detail.exe)',
    ),
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]*$/, 'a lowercase name like data or www')
    .default('data')
    .describe('Names the artifacts: backup/NAME.tar.gz and backup/NAME.manifest'),
});

/** Member names in the archive are relative to `/`. */
function rel(p: string): string {
  return p.replace(/^\/+/, '') || '.';
}

/** A path given as a pattern for find -path: its glob characters taken literally. */
function literalGlob(p: string): string {
  return p.replace(/[[\]*?\\]/g, '\\$&');
}

/** Paths the findings name; a deleted binary's path loses its ` (deleted)`. */
function flaggedPaths(registered: Record<string, unknown>, from: string): string[] {
  const found = findingsFrom(registered, from, EXCLUDE_KINDS, 'backup', 'info');
  if (found.planTime) return [placeholderText(from, 'findings')];
  return found.items
    .flatMap((f) => ['path', 'file', 'exe', 'script'].map((k) => detailString(f, k)))
    .filter((p): p is string => p !== undefined && p.startsWith('/'))
    .map((p) => p.replace(/ \(deleted\)$/, ''));
}

/** Where tar's exit code and messages wait for the last action: memory first, the host may be full. */
function statusFiles(remoteTmp: string): string {
  const base = path.posix.basename(remoteTmp);
  return `fb_d=/dev/shm; [ -d $fb_d ] && [ -w $fb_d ] || fb_d=/tmp; fb_rc=$fb_d/${quote(`${base}.rc`)}; fb_err=$fb_d/${quote(`${base}.err`)}`;
}

export const backup = defineStepType({
  type: 'backup',
  description:
    'Archive paths on the host (leaving out files findings flagged) into the evidence store, hashed on both ends, with a manifest of owners, modes and file hashes',
  schema,
  shellFields: [],
  changes: false,
  // Nothing on the host to check: the archive and manifest stream into the controller's evidence
  // store, and the host keeps only tar's status files, in memory. A second run stores a second pair.
  rerunSafe: true,
  plan(p, ctx) {
    const literal = unique(p.exclude_from !== undefined ? flaggedPaths(ctx.registered, p.exclude_from) : []).map(rel);
    const patterns = p.exclude.map((e) => (e.startsWith('/') ? rel(e) : e));
    const members = unique(p.paths.map(rel));
    // tar: anchored patterns match member names from the start; findings' paths match literally.
    const tarExcludes = [
      '--anchored',
      ...(literal.length ? ['--no-wildcards', ...literal.map((e) => `--exclude=${quote(e)}`), '--wildcards'] : []),
      ...patterns.map((e) => `--exclude=${quote(e)}`),
    ].join(' ');
    const prune = [...literal.map(literalGlob), ...patterns].flatMap((e) => ['-path', quote(e)]);
    const findPrefix = `find ${members.map(quote).join(' ')}${prune.length ? ` \\( ${prune.map((x, i) => (i > 0 && i % 2 === 0 ? `-o ${x}` : x)).join(' ')} \\) -prune -o` : ''}`;
    const status = statusFiles(ctx.remoteTmp);
    const archive = `${status}; umask 077
cd / || exit 2
tar -cpzf - --numeric-owner ${tarExcludes} -- ${members.map(quote).join(' ')} 2>"$fb_err"; fb_x=$?; echo $fb_x > "$fb_rc"; exit $fb_x`;
    const manifest = `cd / || exit 2
echo "# firebreak backup manifest: type mode uid gid size mtime path, relative to /"
${findPrefix} -printf '%y\\t%#m\\t%U\\t%G\\t%s\\t%T@\\t%p\\n'
echo "== sha256"
${findPrefix} -type f -print0 | xargs -0 -r sha256sum --`;
    const check = `# backup: did tar archive everything?
${status}
[ -r "$fb_rc" ] || { echo "backup: tar's exit code was not recorded (is /dev/shm or /tmp writable?)" >&2; exit 1; }
fb_x=$(cat "$fb_rc"); head -c 4000 "$fb_err" >&2; rm -f "$fb_rc" "$fb_err"
case "$fb_x" in
  0) echo "archive complete: ${members.join(' ')}";;
  1) echo "warning: some files changed while they were archived (tar exit 1); the manifest was taken after the archive";;
  *) echo "backup: tar failed (exit $fb_x): the archive is incomplete" >&2; exit 1;;
esac`;
    return [
      {
        kind: 'evidence',
        label: `backup/${p.name}.tar.gz`,
        source: { kind: 'command', value: `tar -cpz ${members.join(' ')}` },
        command: wrapEvidence(archive, false),
      },
      {
        kind: 'evidence',
        label: `backup/${p.name}.manifest`,
        source: { kind: 'command', value: `manifest of ${members.join(' ')}` },
        command: wrapEvidence(manifest, true),
      },
      { kind: 'exec', command: check },
    ];
  },
});
