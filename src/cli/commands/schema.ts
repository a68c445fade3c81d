/**
 * `firebreak schema`: the runbook JSON Schema, for editor completion (e.g. yaml-language-server);
 * `--report`: the schema of the report model that `firebreak report --format json` prints.
 */
import type { Command } from 'commander';
import { reportJsonSchema } from '../../report/index.js';
import { runbookJsonSchema } from '../../runbook/index.js';

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of runbooks (for editor completion), or with --report of the report model')
    .option('--report', 'the JSON Schema of the report model (what `firebreak report --format json` prints)')
    .action((opts: { report?: boolean }) => {
      const schema = opts.report ? reportJsonSchema() : runbookJsonSchema();
      process.stdout.write(JSON.stringify(schema, null, 2) + '\n');
    });
}
