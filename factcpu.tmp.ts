import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ARTIFACT_SETS, DEFAULT_SET_NAMES, itemAction } from './src/steps/collect-sets.js';
const lab = JSON.parse(readFileSync(process.argv[2]!, 'utf8'));
const pid = lab.hosts[0].initPid;
const rows: [number, number, string][] = [];
for (const set of DEFAULT_SET_NAMES)
  for (const item of ARTIFACT_SETS[set]) {
    const a = itemAction(item) as { command: string };
    const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S', 'nsenter', '-t', String(pid), '-n', '-m', '-p', '--wd=/', '--', 'sh', '-c', a.command], { encoding: 'utf8', maxBuffer: 1 << 30 });
    const [e, u, s] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
    rows.push([u! + s!, e!, item.label]);
  }
rows.sort((a, b) => b[0] - a[0]);
console.log('total cpu', rows.reduce((t, r) => t + r[0], 0).toFixed(2), 'wall', rows.reduce((t, r) => t + r[1], 0).toFixed(2));
for (const r of rows.slice(0, 25)) console.log(r[0].toFixed(2), r[1].toFixed(2), r[2]);
