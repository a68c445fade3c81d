/** `firebreak schema`: the runbook JSON Schema, for editor completion (e.g. yaml-language-server). */
import type { Command } from 'commander';
import { runbookJsonSchema } from '../../runbook/index.js';

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of runbooks (for editor completion)')
    .action(() => {
      process.stdout.write(JSON.stringify(runbookJsonSchema(), null, 2) + '\n');
    });
}
