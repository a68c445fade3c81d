/**
 * Which ssh options from an inventory's ssh arguments the ssh2 transport acts on. `ssh -G` folds
 * them into the settings firebreak reads, but ssh2 does not implement all of ssh: the others are said,
 * once each, with the way to have them (the OpenSSH transport runs ssh with the arguments as given).
 */

/** ssh_config options the ssh2 path uses, lower-case. */
const HONOURED_OPTIONS = new Set([
  'hostname',
  'port',
  'user',
  'identityfile',
  'identitiesonly',
  'certificatefile',
  'proxyjump',
  'proxycommand',
  'userknownhostsfile',
  'globalknownhostsfile',
  'stricthostkeychecking',
  'connecttimeout',
  'serveraliveinterval',
  'serveralivecountmax',
  'kexalgorithms',
  'hostkeyalgorithms',
  'hostkeyalias',
  // Harmless for firebreak: no terminal, no prompt, nothing batch mode would change.
  'batchmode',
  'loglevel',
]);
/** Flags the ssh2 path honours (through ssh -G); the rest are not acted on. */
const HONOURED_FLAGS = new Set(['-F', '-i', '-p', '-l', '-J', '-o', '-q', '-T']);
/** Flags that take a value (the value is not a flag of its own). */
const WITH_VALUE = /^-[BbcDEeFIiJLlmOopQRSWw]$/;

/** The options and flags in `args` that ssh2 does not act on, as written (e.g. `Ciphers`, `-C`). */
export function unhonouredBySsh2(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    let option: string | undefined;
    if (a === '-o') option = args[++i];
    else if (a.startsWith('-o')) option = a.slice(2);
    else if (a.startsWith('-')) {
      const flag = a.slice(0, 2);
      if (!HONOURED_FLAGS.has(flag)) out.push(flag);
      if (WITH_VALUE.test(a)) i++;
      continue;
    }
    const name = /^\s*([A-Za-z]+)/.exec(option ?? '')?.[1];
    if (name && !HONOURED_OPTIONS.has(name.toLowerCase())) out.push(name);
  }
  return [...new Set(out)];
}
