/**
 * `restore`: put a backup back. Upload the archive (from this run's evidence store, another run's, or
 * a local file), check its SHA-256 on the host against the backup's before extracting anything (a
 * tampered or wrong archive is refused and removed), extract with owners and modes (`tar -xp
 * --numeric-owner --same-owner`), compare what is now on disk with the archive (`tar --compare`:
 * contents, modes, owners, mtimes) and, with `from:`, every regular file with the SHA-256 in the
 * backup's manifest; then run health checks (a TCP port accepts, an HTTP status, a command) and,
 * with `unisolate`, reconnect the host to the network with the unisolate step's actions.
 *
 * The uploaded files are removed when the restore script ends, whatever happened.
 */
import path from 'node:path';
import { z } from 'zod';
import { quote, type Action, type StoredArtifact } from '../core/index.js';
import { defineStepType } from './define.js';
import { artifactsFrom, placeholderText } from './registered.js';
import { unisolate } from './unisolate.js';
import { healthSchema, healthAction } from './restore-health.js';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256: 64 lowercase hex digits');

const schema = z
  .strictObject({
    from: z
      .string()
      .min(1)
      .optional()
      .describe('Register name of a backup step of this run: restore its archive, check against its manifest'),
    artifact: sha256.optional().describe("SHA-256 of a backup archive in this run's evidence store (or in run_dir's)"),
    run_dir: z
      .string()
      .min(1)
      .optional()
      .describe("With artifact: a previous run's directory (relative to the runbook) whose evidence store has it"),
    file: z.string().min(1).optional().describe('A local archive (relative to the runbook); needs sha256'),
    sha256: sha256.optional().describe('With file: the SHA-256 the archive must have'),
    dest: z
      .string()
      .regex(/^\//, 'an absolute path')
      .default('/')
      .describe('Directory to extract into (default /: paths as they were)'),
    health: z.array(healthSchema).default([]).describe('Checks after the restore: {port}, {http, status}, {command}'),
    health_timeout: z.number().int().positive().default(30).describe('Seconds each health check may take to pass'),
    unisolate: z
      .union([z.literal(false), z.literal(true).transform(() => unisolate.schema.parse({})), unisolate.schema])
      .default(false)
      .describe(
        'true, or unisolate params ({id, restore}): reconnect the host with the unisolate step once the restore is healthy',
      ),
  })
  .refine(
    (p) => [p.from, p.artifact, p.file].filter((x) => x !== undefined).length === 1,
    'restore needs exactly one of from, artifact or file',
  )
  .refine(
    (p) => p.file === undefined || p.sha256 !== undefined,
    'file needs sha256: the hash the archive must have, so a tampered one is refused',
  )
  .refine((p) => p.run_dir === undefined || p.artifact !== undefined, 'run_dir goes with artifact');

type Params = z.output<typeof schema>;

interface Source {
  /** Local path, or `evidence:<sha256>` (an object of this run's evidence store; the engine resolves it). */
  localPath: string;
  sha256: string;
  manifest?: { localPath: string; sha256: string };
}

function evidenceRef(sha: string): string {
  return `evidence:${sha}`;
}

function fromBackup(registered: Record<string, unknown>, name: string): Source {
  const found = artifactsFrom(registered, name, 'restore');
  if (found.planTime) {
    const ph = placeholderText(name, 'artifacts');
    return { localPath: evidenceRef(ph), sha256: ph, manifest: { localPath: evidenceRef(ph), sha256: ph } };
  }
  const pick = (suffix: string): StoredArtifact | undefined =>
    found.items.find((a) => a.label.startsWith('backup/') && a.label.endsWith(suffix));
  const archive = pick('.tar.gz');
  if (!archive)
    throw new Error(`restore: "${name}" stored no backup archive (is it a backup step that ran on this host?)`);
  if (archive.match !== true)
    throw new Error(
      `restore: the backup archive ${archive.label} did not verify when it was stored (host and controller hashes differ or are missing): not restoring it`,
    );
  if (archive.rc !== 0 && archive.rc !== 1)
    throw new Error(
      `restore: the backup archive ${archive.label} is incomplete (tar exited ${archive.rc ?? 'without a code'}): not restoring it`,
    );
  const manifest = pick('.manifest');
  return {
    localPath: evidenceRef(archive.sha256),
    sha256: archive.sha256,
    ...(manifest ? { manifest: { localPath: evidenceRef(manifest.sha256), sha256: manifest.sha256 } } : {}),
  };
}

function source(p: Params, registered: Record<string, unknown>, runbookDir: string): Source {
  if (p.from !== undefined) return fromBackup(registered, p.from);
  if (p.artifact !== undefined) {
    const local =
      p.run_dir !== undefined
        ? path.resolve(runbookDir, p.run_dir, 'evidence', 'objects', p.artifact.slice(0, 2), p.artifact)
        : evidenceRef(p.artifact);
    return { localPath: local, sha256: p.artifact };
  }
  return { localPath: path.resolve(runbookDir, p.file as string), sha256: p.sha256 as string };
}

/** Refuse a file whose SHA-256 on the host is not the expected one. */
function verifyUpload(file: string, expected: string, what: string): string {
  return `fb_want=${quote(expected)}; fb_h=$(sha256sum < ${file} | cut -c1-64)
[ "$fb_h" = "$fb_want" ] || { echo "restore: refused: the uploaded ${what} has SHA-256 $fb_h, not $fb_want (tampered with, or the wrong file); nothing was extracted" >&2; exit 1; }
echo "${what} verified on the host: sha256 $fb_h"`;
}

function restoreScript(src: Source, archive: string, manifest: string | undefined, dest: string): string {
  const a = quote(archive);
  const m = manifest !== undefined ? quote(manifest) : undefined;
  const d = quote(dest);
  const lines = [
    '# restore: check the archive on the host, extract it, compare what is on disk',
    `trap ${quote(`rm -f -- ${[a, ...(m ? [m] : [])].join(' ')}`)} EXIT; trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM`,
    verifyUpload(a, src.sha256, 'archive'),
    ...(m && src.manifest ? [verifyUpload(m, src.manifest.sha256, 'manifest')] : []),
    `fb_dest=${d}; mkdir -p -- "$fb_dest" || exit 1`,
    `tar -C "$fb_dest" -xpzf ${a} --numeric-owner --same-owner || { echo "restore: tar could not extract the archive into $fb_dest" >&2; exit 1; }`,
    `echo "extracted $(tar -tzf ${a} | wc -l) entries into $fb_dest"`,
    `fb_diff=$(tar -C "$fb_dest" --compare -zf ${a} --numeric-owner 2>&1) || { echo "restore: what is on disk differs from the archive:" >&2; printf '%s\\n' "$fb_diff" | head -n 20 >&2; exit 1; }`,
    'echo "contents, modes, owners and mtimes on disk match the archive"',
  ];
  if (m) {
    lines.push(
      `fb_sums=$(sed -n '/^== sha256$/,$p' ${m} | grep -E '^\\\\?[0-9a-f]{64}  ')`,
      `fb_n=$(printf '%s' "$fb_sums" | grep -c .)`,
      `if [ "$fb_n" -gt 0 ]; then fb_bad=$(cd "$fb_dest" && printf '%s\\n' "$fb_sums" | sha256sum -c --quiet 2>&1) || { echo "restore: restored files differ from the backup manifest:" >&2; printf '%s\\n' "$fb_bad" | head -n 20 >&2; exit 1; }; fi`,
      'echo "$fb_n files match the SHA-256 in the backup manifest"',
    );
  }
  return lines.join('\n');
}

export const restore = defineStepType({
  type: 'restore',
  description:
    'Upload a backup, verify its SHA-256 on the host, extract with owners and modes, compare with the archive and manifest, run health checks, optionally unisolate',
  schema,
  shellFields: ['health[].command'],
  changes: true,
  // No verify: the archive a `tar --compare` would need is removed from the host when the restore
  // script ends, whatever happened. Nor is one needed: a second run uploads the same archive, checks
  // its hash, extracts it over what the first run extracted, and compares again; the health checks
  // only read; the unisolate part is harmless to repeat (see unisolate.ts).
  rerunSafe: true,
  plan(p, ctx) {
    const src = source(p, ctx.registered, ctx.runbookDir);
    const archive = `${ctx.remoteTmp}.tar.gz`;
    const manifest = src.manifest ? `${ctx.remoteTmp}.manifest` : undefined;
    const actions: Action[] = [
      { kind: 'put', localPath: src.localPath, remotePath: archive, mode: 0o600 },
      ...(src.manifest && manifest
        ? [{ kind: 'put' as const, localPath: src.manifest.localPath, remotePath: manifest, mode: 0o600 }]
        : []),
      { kind: 'exec', command: restoreScript(src, archive, manifest, p.dest) },
      ...p.health.map((h) => healthAction(h, p.health_timeout)),
    ];
    if (p.unisolate !== false) actions.push(...unisolate.plan(p.unisolate, ctx));
    return actions;
  },
});
