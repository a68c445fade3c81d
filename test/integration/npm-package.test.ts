/**
 * The npm package is real: `npm pack` ships what the CLI reads at run time (bin, dist, templates,
 * runbooks, scenarios, drills, example inventories) and nothing of test/; the tarball installed into an
 * empty directory runs `firebreak --version`, `--help` and `plan` on a shipped runbook.
 *
 * The install is offline: its lock file is the repository's own, less the dev dependencies, so npm
 * takes every package from the cache `npm ci` filled (a test sends nothing to the registry).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO } from './run-cli.js';

const exec = promisify(execFile);
const npm = (args: string[], cwd: string) =>
  exec('npm', args, {
    cwd,
    encoding: 'utf8',
    timeout: 240_000,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });

interface LockEntry {
  dev?: boolean;
  version?: string;
  [key: string]: unknown;
}

/** A lock file for `{dependencies: {firebreak: file:TARBALL}}` built from the repository's lock (runtime packages only). */
function offlineLock(tarball: string): object {
  const repoLock = JSON.parse(readFileSync(path.join(REPO, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const root = repoLock.packages['']!;
  const spec = `file:${tarball}`;
  const packages: Record<string, unknown> = {
    '': { dependencies: { firebreak: spec } },
    'node_modules/firebreak': {
      version: root.version,
      resolved: spec,
      integrity: `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`,
      dependencies: root.dependencies,
      bin: root.bin,
      engines: root.engines,
    },
  };
  for (const [key, entry] of Object.entries(repoLock.packages)) if (key && !entry.dev) packages[key] = entry;
  return { name: 'firebreak-install-check', lockfileVersion: 3, requires: true, packages };
}

describe('the npm package (packed, installed into an empty directory)', function () {
  this.timeout(300_000);
  let work = '';
  let files: string[] = [];
  let bin = '';
  let installed = '';

  before(async function () {
    if (!existsSync(path.join(REPO, 'dist', 'bundle', 'main.js')))
      throw new Error('dist/ is not built: `npm run build` first (npm test does)');
    work = mkdtempSync(path.join(os.tmpdir(), 'fb-npm-package-'));
    // --ignore-scripts: the suite has built dist/ already; pack would run the build again through `prepare`.
    const packed = await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], REPO);
    const [info] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }];
    files = info.files.map((f) => f.path);
    const tarball = path.join(work, info.filename);
    const app = path.join(work, 'app');
    mkdirSync(app);
    writeFileSync(
      path.join(app, 'package.json'),
      JSON.stringify({
        name: 'firebreak-install-check',
        private: true,
        dependencies: { firebreak: `file:${tarball}` },
      }),
    );
    writeFileSync(path.join(app, 'package-lock.json'), JSON.stringify(offlineLock(tarball)));
    await npm(['ci', '--offline', '--no-audit', '--no-fund'], app);
    bin = path.join(app, 'node_modules', '.bin', 'firebreak');
    installed = path.join(app, 'node_modules', 'firebreak');
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('ships what the CLI reads at run time, and nothing of test/', () => {
    for (const needed of [
      'bin/firebreak.js',
      'dist/bundle/main.js',
      'dist/report/templates.precompiled.cjs',
      'templates/report.md.hbs',
      'runbooks/outbound-ssh-attack.yaml',
      'scenarios/outbound-ssh-bruteforce.yaml',
      'drills/quick.yaml',
      'package.json',
      'README.md',
    ]) {
      assert.ok(files.includes(needed), `the package ships ${needed}`);
    }
    assert.deepEqual(
      files.filter((f) => f.startsWith('test/') || f.startsWith('src/') || f.startsWith('bench/')),
      [],
    );
  });

  it('firebreak --version and --help run from the installed package', async () => {
    const version = await exec(bin, ['--version'], { encoding: 'utf8' });
    const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
    assert.equal(version.stdout.trim(), pkg.version);
    const help = await exec(bin, ['--help'], { encoding: 'utf8' });
    assert.match(help.stdout, /Usage: firebreak/);
    for (const command of ['run', 'plan', 'demo', 'lab', 'drill', 'report', 'evidence'])
      assert.match(help.stdout, new RegExp(`^  ${command}\\b`, 'm'));
  });

  it('firebreak plan works on a shipped runbook and inventory, from outside the repository', async () => {
    const plan = await exec(
      bin,
      [
        'plan',
        path.join(installed, 'runbooks', 'outbound-ssh-attack.yaml'),
        '-i',
        path.join(installed, 'inventories', 'example.ini'),
        '--limit',
        'web01',
      ],
      { cwd: work, encoding: 'utf8' },
    );
    assert.match(plan.stdout, /Plan for runbook "outbound-ssh-attack" on 1 host/);
    assert.match(plan.stdout, /isolate/);
  });
});
