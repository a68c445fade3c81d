// Preloaded with `node --import` into a measured process: on exit it writes the process's own
// CPU time and peak RSS (from getrusage) to $FIREBREAK_BENCH_USAGE, so no external `time` tool is needed.
import { writeFileSync } from 'node:fs';

const out = process.env.FIREBREAK_BENCH_USAGE;
if (out) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(out, JSON.stringify({ cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000, maxRssKb: u.maxRSS }));
  });
}
