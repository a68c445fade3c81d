/**
 * The commands the fact modules export are what collect steps run on hosts: each must be one valid
 * POSIX sh command, and the harmless ones are run here and their output parsed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as facts from '../../src/facts/index.js';

const COMMANDS = Object.entries(facts).filter(
  (e): e is [string, string] => e[0].endsWith('_COMMAND') && typeof e[1] === 'string',
);
const shell = spawnSync('dash', ['-c', 'true']).status === 0 ? 'dash' : 'sh';

describe('facts: exported commands', () => {
  it('exports one command per source', () => {
    assert.deepEqual(COMMANDS.map(([name]) => name).sort(), [
      'ACCOUNTS_COMMAND',
      'AUTHORIZED_KEYS_COMMAND',
      'AUTH_LOG_COMMAND',
      'CHKROOTKIT_COMMAND',
      'CONNTRACK_COMMAND',
    'CONNTRACK_TABLE_COMMAND',
      'CRON_COMMAND',
      'DEBSUMS_COMMAND',
      'DISK_COMMAND',
      'DPKG_VERIFY_COMMAND',
      'LASTB_COMMAND',
      'LAST_COMMAND',
      'PRELOAD_COMMAND',
      'PROC_COMMAND',
      'PS_COMMAND',
      'RKHUNTER_COMMAND',
      'RPM_VERIFY_COMMAND',
      'SS_LISTEN_COMMAND',
      'SS_TCP_COMMAND',
      'SS_TCP_UDP_COMMAND',
      'SYSTEMD_COMMAND',
      'WHO_COMMAND',
      'W_COMMAND',
    ]);
  });

  for (const [name, command] of COMMANDS) {
    it(`${name} is one line of valid POSIX sh`, () => {
      assert.ok(!command.includes('\n'), 'one line');
      const r = spawnSync(shell, ['-n', '-c', command], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    });
  }

  it('the disk, conntrack and ps commands run here and parse', () => {
    const run = (cmd: string): string => {
      const r = spawnSync(shell, ['-c', cmd], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout;
    };
    const disks = facts.parseDf(run(facts.DISK_COMMAND));
    assert.ok(
      disks.some((d) => d.mount === '/' && d.measure === 'blocks') &&
        disks.some((d) => d.mount === '/' && d.measure === 'inodes'),
    );
    const ct = facts.parseConntrack(run(facts.CONNTRACK_COMMAND));
    assert.equal(typeof ct.droppedLines, 'number');
    assert.ok(facts.parsePs(run(facts.PS_COMMAND)).some((p) => p.pid === process.pid && p.args.includes('mocha')));
  });
});
