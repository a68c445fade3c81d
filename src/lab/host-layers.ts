/**
 * A lab host's writable layers, prepared on the controller before the host starts: its hostname,
 * host key, sshd and rsyslog configs, root's authorized key, and empty logs (so a new host has no
 * history but its own). `lab reset` throws the layers away and prepares new ones: a reinstall.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, chmodSync, chownSync } from 'node:fs';
import { join } from 'node:path';
import { LAYERED_DIRS, RSYSLOG_CONF, SSHD_CONFIG } from './host-init.js';
import { sysOk } from './sys.js';

export interface LayerSpec {
  /** `<lab>/hosts/<name>/layers` */
  layersDir: string;
  name: string;
  address: string;
  /** `address name` lines every host gets in /etc/hosts (the lab's hosts, controller, attacker). */
  hostsLines: string[];
  authorizedKey: string;
}

function groupId(name: string): number {
  const line = readFileSync('/etc/group', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  return line ? Number(line.split(':')[2]) : 0;
}

function writeOwned(path: string, content: string, mode: number, gid = 0): void {
  writeFileSync(path, content, { mode });
  chmodSync(path, mode); // writeFileSync's mode is filtered by the umask
  chownSync(path, 0, gid);
}

/** Create fresh layers and return the host's public key line (`ssh-ed25519 AAAA…`). */
export async function prepareLayers(spec: LayerSpec): Promise<string> {
  rmSync(spec.layersDir, { recursive: true, force: true });
  for (const d of LAYERED_DIRS) {
    mkdirSync(join(spec.layersDir, 'upper', d), { recursive: true });
    mkdirSync(join(spec.layersDir, 'work', d), { recursive: true });
  }
  const upper = (p: string): string => join(spec.layersDir, 'upper', p);
  chmodSync(upper('root'), 0o700);
  for (const d of ['etc/ssh', 'root/.ssh', 'var/log']) mkdirSync(upper(d), { recursive: true });
  chmodSync(upper('root/.ssh'), 0o700);

  writeOwned(upper('etc/hostname'), `${spec.name}\n`, 0o644);
  writeOwned(upper('etc/hosts'), `127.0.0.1\tlocalhost\n${spec.hostsLines.join('\n')}\n`, 0o644);
  writeOwned(upper('etc/machine-id'), `${randomBytes(16).toString('hex')}\n`, 0o444);
  writeOwned(upper('etc/ssh/sshd_config'), SSHD_CONFIG, 0o644);
  writeOwned(upper('etc/rsyslog.conf'), RSYSLOG_CONF, 0o644);
  writeOwned(upper('root/.ssh/authorized_keys'), `${spec.authorizedKey.trim()}\n`, 0o600);

  const adm = groupId('adm');
  const utmp = groupId('utmp');
  for (const log of ['auth.log', 'syslog', 'kern.log', 'cron.log']) writeOwned(upper(`var/log/${log}`), '', 0o640, adm);
  writeOwned(upper('var/log/wtmp'), '', 0o664, utmp);
  writeOwned(upper('var/log/lastlog'), '', 0o664, utmp);
  writeOwned(upper('var/log/btmp'), '', 0o660, utmp);

  // The machine's own host keys must not show through into a lab host: whiteouts hide them.
  const hidden = existsSync('/etc/ssh')
    ? readdirSync('/etc/ssh')
        .filter((f) => f.startsWith('ssh_host_'))
        .map((f) => upper(`etc/ssh/${f}`))
    : [];
  if (hidden.length) await sysOk('sh', ['-c', 'for f; do mknod "$f" c 0 0; done', 'whiteout', ...hidden]);
  // rsyslog.d snippets of the machine are not ours to run.
  if (existsSync('/etc/rsyslog.d')) await sysOk('mknod', [upper('etc/rsyslog.d'), 'c', '0', '0']);

  const key = upper('etc/ssh/ssh_host_ed25519_key');
  rmSync(key, { force: true });
  rmSync(`${key}.pub`, { force: true });
  await sysOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `root@${spec.name}`, '-f', key]);
  return readFileSync(`${key}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
}
