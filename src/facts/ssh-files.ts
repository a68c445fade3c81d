/**
 * SSH beyond authorized_keys (evidence only, UAC `files/ssh` and the SSH part of `files/system/etc`):
 * per-user `~/.ssh/rc`, known_hosts, client config, environment and public keys, the server's
 * configuration, the key files sshd really reads (its effective `AuthorizedKeysFile`, which may
 * point outside `~/.ssh`), and an inventory of private keys.
 *
 * Private keys are recorded, never copied: path, owner, mode, size, mtime, PEM/OpenSSH header and
 * fingerprint (from the `.pub` beside it, else from the key file, which holds the public half).
 * UAC copies host private keys with /etc; evidence stores get shared, and a fingerprint is enough
 * to match a key seen elsewhere. Take the key itself from a disk image if the case needs it.
 */
import { defineFact } from './fact.js';
import { capFunction, HOMES, MiB } from './sh.js';
import { catWithHeaders } from './text.js';

const USER_FILES = [
  '.ssh/rc',
  '.ssh/known_hosts',
  '.ssh/known_hosts2',
  '.ssh/config',
  '.ssh/environment',
  '.shosts',
  '.rhosts',
];

export const sshFilesFact = defineFact({
  label: 'persistence/ssh-files',
  command:
    catWithHeaders([
      '/etc/ssh/sshrc',
      '/etc/ssh/sshd_config',
      '/etc/ssh/sshd_config.d/*',
      '/etc/ssh/ssh_config',
      '/etc/ssh/ssh_config.d/*',
      '/etc/ssh/ssh_known_hosts',
      '/etc/ssh/*.pub',
      '/etc/hosts.equiv',
      '/etc/shosts.equiv',
    ]) +
    `; ${capFunction(MiB)}; ${HOMES} | while IFS= read -r h; do for f in ${USER_FILES.map((n) => `"$h/${n}"`).join(' ')} "$h"/.ssh/*.pub; do ` +
    `[ -f "$f" ] || continue; printf '==> %s <==\\n' "$f"; cap "$f"; echo; done; done 2>/dev/null`,
});

/**
 * `sshd -T` (the configuration in force), then every file its `AuthorizedKeysFile` names for each
 * account (`%h`, `%u`, `%%` and relative paths expanded), with headers.
 */
export const sshdKeyFilesFact = defineFact({
  label: 'persistence/sshd-effective',
  requires: 'sshd',
  command:
    capFunction(MiB) +
    String.raw`; c=$(sshd -T 2>&1 </dev/null); printf '==> sshd -T <==\n%s\n' "$c"; ` +
    String.raw`k=$(printf '%s\n' "$c" | awk '$1 == "authorizedkeysfile" {for (i = 2; i <= NF; i++) print $i}'); ` +
    String.raw`[ -n "$k" ] || k='.ssh/authorized_keys .ssh/authorized_keys2'; ` +
    // One awk expands every account's paths (literal replacement: a home may hold & or |), not a sed per path.
    String.raw`awk -F: -v k="$k" 'function rep(s, a, b,  o, i) { o = ""; while ((i = index(s, a)) > 0) { o = o substr(s, 1, i - 1) b; s = substr(s, i + length(a)) } return o s } ` +
    String.raw`$6 ~ /^\// { n = split(k, ps, " "); for (j = 1; j <= n; j++) { f = rep(rep(rep(ps[j], "%h", $6), "%u", $1), "%%", "%"); if (f !~ /^\//) f = $6 "/" f; print $1 "\t" f } }' /etc/passwd | ` +
    String.raw`while IFS="$(printf '\t')" read -r u f; do [ -f "$f" ] || continue; printf '==> %s (%s) <==\n' "$f" "$u"; cap "$f"; echo; done 2>/dev/null`,
});

/** Private key files in every ~/.ssh and /etc/ssh: metadata and fingerprint only (see the module comment). */
export const privateKeysFact = defineFact({
  label: 'persistence/ssh-private-keys',
  command:
    String.raw`t=$(printf '\t'); printf 'path\towner:group mode size mtime\theader\tfingerprint\n'; ` +
    String.raw`{ ${HOMES} | while IFS= read -r h; do for f in "$h"/.ssh/*; do echo "$f"; done; done; for f in /etc/ssh/*; do echo "$f"; done; } | ` +
    String.raw`while IFS= read -r f; do [ -f "$f" ] || continue; [ "$(wc -c < "$f")" -le 65536 ] || continue; ` +
    String.raw`l=$(head -n 1 -- "$f" 2>/dev/null | tr -d '\r'); case "$l" in *'PRIVATE KEY'*) ;; *) continue;; esac; ` +
    String.raw`if [ -f "$f.pub" ]; then s="$f.pub"; else s="$f"; fi; ` +
    String.raw`if command -v ssh-keygen >/dev/null 2>&1; then fp=$(timeout 5 ssh-keygen -l -f "$s" 2>&1 </dev/null | head -n 1); else fp='# absent: ssh-keygen'; fi; ` +
    String.raw`printf '%s\t%s\t%s\t%s\n' "$f" "$(stat -c '%U:%G %a %s %y' -- "$f")" "$l" "$fp"; done 2>/dev/null`,
});
