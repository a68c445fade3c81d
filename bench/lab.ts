/**
 * `npm run bench:lab -- --hosts 100 [--runs 3] [--scenario LIST]`: time `lab up` and `lab down` through the
 * real CLI and read the memory of the idle hosts from `lab status --json`. Targets (issue 3, 2-core
 * machine): up ≤ 30 s and down ≤ 15 s for 100 hosts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '100' },
    runs: { type: 'string', default: '1' },
    scenario: { type: 'string', default: '' },
  },
});
const hosts = Number(values.hosts);
const runs = Number(values.runs);

function cli(args: string[]): { ms: number; stdout: string } {
  const t = process.hrtime.bigint();
  const stdout = execFileSync(process.execPath, [join(root, 'bin/firebreak.js'), ...args], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 300_000,
  });
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, stdout };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const up: number[] = [];
const down: number[] = [];
const perHostMiB: number[] = [];
for (let r = 1; r <= runs; r++) {
  const tmp = mkdtempSync(join(tmpdir(), 'fb-bench-lab-'));
  const dir = join(tmp, 'lab');
  try {
    up.push(
      cli([
        'lab',
        'up',
        '--hosts',
        String(hosts),
        '--dir',
        dir,
        ...(values.scenario ? ['--scenario', values.scenario] : []),
      ]).ms,
    );
    await new Promise((res) => setTimeout(res, 2000)); // let the hosts settle before reading "idle" memory
    const status = JSON.parse(cli(['lab', 'status', '--json', '--dir', dir]).stdout) as { hosts: { rssKiB: number }[] };
    perHostMiB.push(status.hosts.reduce((n, h) => n + h.rssKiB, 0) / 1024 / status.hosts.length);
  } finally {
    down.push(cli(['lab', 'down', '--dir', dir]).ms);
    rmSync(tmp, { recursive: true, force: true });
  }
  process.stderr.write(
    `run ${r}/${runs}: up ${(up.at(-1)! / 1000).toFixed(1)} s, down ${(down.at(-1)! / 1000).toFixed(1)} s, ${perHostMiB.at(-1)!.toFixed(1)} MiB per idle host\n`,
  );
}
const upMs = median(up);
const downMs = median(down);
console.log(`lab of ${hosts} hosts${values.scenario ? ` (${values.scenario})` : ''}, median of ${runs}:`);
console.log(`  lab up   ${(upMs / 1000).toFixed(1)} s   (target ≤ 30 s: ${(upMs / 30_000).toFixed(2)}x of the budget)`);
console.log(
  `  lab down ${(downMs / 1000).toFixed(1)} s   (target ≤ 15 s: ${(downMs / 15_000).toFixed(2)}x of the budget)`,
);
console.log(
  `  memory   ${median(perHostMiB).toFixed(1)} MiB RSS per idle host (init + rsyslogd + sshd${values.scenario ? ' + planted processes' : ''})`,
);
