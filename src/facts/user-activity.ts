/**
 * Traces of what users did (evidence only, UAC `live_response/system/loginctl`, `lastcomm` and
 * `files/applications`): login sessions as logind sees them, process accounting, and the small
 * per-user files that record activity (git config, less/vim/wget histories, REPL histories).
 */
import { defineFact } from './fact.js';
import { capFunction, capStream, HOMES, MiB, runEach } from './sh.js';

export const loginctlFact = defineFact({
  label: 'users/loginctl',
  requires: 'loginctl',
  command: runEach(['loginctl list-sessions --no-pager', 'loginctl list-users --no-pager']),
});

/** Process accounting (`lastcomm`), when the host keeps it. */
export const processAccountingFact = defineFact({
  label: 'users/process-accounting',
  requires: 'lastcomm',
  command: `lastcomm 2>&1 | ${capStream(64 * MiB)}`,
});

const APP_FILES = [
  '.gitconfig',
  '.lesshst',
  '.viminfo',
  '.wget-hsts',
  '.python_history',
  '.mysql_history',
  '.psql_history',
  '.rediscli_history',
  '.node_repl_history',
  '.sqlite_history',
];

export const appFilesFact = defineFact({
  label: 'users/app-files',
  command:
    `${capFunction(10 * MiB)}; ${HOMES} | while IFS= read -r h; do for n in ${APP_FILES.join(' ')}; do f="$h/$n"; [ -f "$f" ] || continue; ` +
    `printf '==> %s <==\\n' "$f"; cap "$f"; echo; done; done 2>/dev/null`,
});
