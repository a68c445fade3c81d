// Mocha's spec reporter plus one plain closing line, "N passed, N failed, N skipped",
// which CI systems read regardless of the test runner, and the slowest test files (CI time is a budget).
'use strict';
const Mocha = require('mocha');

const { EVENT_RUN_END, EVENT_SUITE_BEGIN, EVENT_SUITE_END } = Mocha.Runner.constants;
const SLOWEST = 12;

class SpecWithTotals extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const started = new Map();
    const byFile = new Map();
    runner.on(EVENT_SUITE_BEGIN, (s) => s.file && s.parent?.root && started.set(s, Date.now()));
    runner.on(EVENT_SUITE_END, (s) => {
      if (!started.has(s)) return;
      const file = require('node:path').relative(process.cwd(), s.file);
      byFile.set(file, (byFile.get(file) ?? 0) + Date.now() - started.get(s));
    });
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats;
      const slow = [...byFile].sort((a, b) => b[1] - a[1]).slice(0, SLOWEST);
      if (slow.length > 1) {
        process.stdout.write('\nslowest test files:\n');
        for (const [file, ms] of slow) process.stdout.write(`  ${(ms / 1000).toFixed(1).padStart(6)} s  ${file}\n`);
      }
      process.stdout.write(`\ntests: ${s.passes} passed, ${s.failures} failed, ${s.pending} skipped\n`);
    });
  }
}

module.exports = SpecWithTotals;
