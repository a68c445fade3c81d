/**
 * `npm run fuzz -- [--cases N] [--seed N] [--loader NAME]... [--case I]... [--timeout MS] [--out DIR] [--json]`:
 * the fuzz campaign over every input loader (see README.md beside this file): N cases in all (default
 * 1000), shared evenly among the loaders; `--case I` reruns single cases of the named loaders. Exits 1
 * when any case crashed or hung, 0 otherwise.
 */
import { parseArgs } from 'node:util';
import { packagePath } from '../../src/core/package-root.js';
import { runCampaign } from './campaign.js';
import { LOADERS } from './loaders.js';
import { formatSummary } from './report.js';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    loader: { type: 'string', multiple: true },
    case: { type: 'string', multiple: true },
    timeout: { type: 'string', default: '5000' },
    out: { type: 'string', default: packagePath('bench/results/fuzz') },
    json: { type: 'boolean', default: false },
  },
});

const loaders = values.loader ?? LOADERS.map((l) => l.name);
let done = 0;
const summary = await runCampaign(
  {
    seed: Number(values.seed),
    cases: Number(values.cases),
    loaders,
    timeoutMs: Number(values.timeout),
    outDir: values.out,
    onResult: (r) => {
      if (++done % 500 === 0) process.stderr.write(`fuzz: ${done} cases (${r.fuzzCase.loader})\n`);
    },
  },
  values.case?.map(Number),
);
console.log(values.json ? JSON.stringify(summary, null, 2) : formatSummary(summary));
process.exitCode = summary.findings.length ? 1 : 0;
