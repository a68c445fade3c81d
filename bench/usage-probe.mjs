// Preloaded with `node --import` into a measured process: on exit it writes the process's own
// CPU time and peak RSS (from getrusage) to $FIREBREAK_BENCH_USAGE, so no external `time` tool is needed.
// CPU includes the child processes it waited for (ssh -G, the OpenSSH transport's ssh clients): a
// transport that spends its CPU in children must not look free.
import { readFileSync, writeFileSync } from 'node:fs';

/** cutime + cstime of /proc/self/stat (fields 16, 17; clock ticks of 10 ms), in ms. */
function childrenCpuMs() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return 0;
  }
}

const out = process.env.FIREBREAK_BENCH_USAGE;
if (out) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(
      out,
      JSON.stringify({ cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000 + childrenCpuMs(), maxRssKb: u.maxRSS }),
    );
  });
}
