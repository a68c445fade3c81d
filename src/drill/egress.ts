/**
 * Watching what leaves a lab host: a packet socket inside the host's network namespace sees every
 * packet that actually goes out of its interfaces — after its own firewall, so a SYN the host's
 * isolation rules drop is not counted, unlike a socket in SYN-SENT that `ss` would still list. Perl,
 * because every Debian has it and it needs nothing installed; it only reads packets, never sends one,
 * except the single test connection of `tryOutbound`.
 */
import { inHost } from '../lab/index.js';

/**
 * Args: SECONDS PROBE. Counts outgoing IPv4 TCP packets to port 22 on every interface but lo (ifindex 1)
 * for SECONDS. With PROBE an address, first opens one non-blocking connection to PROBE:22 and counts
 * the packets of that connection (by its source port) apart.
 */
export const EGRESS_PERL = String.raw`
use strict; use warnings; use Socket; use Fcntl;
my ($secs, $probe) = @ARGV;
socket(my $s, 17, 3, 0x0300) or die "packet socket: $!\n";   # AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)
my ($mine, $c) = (-1);
if ($probe ne '-') {
  socket($c, PF_INET, SOCK_STREAM, 0) or die "socket: $!\n";
  fcntl($c, F_SETFL, O_NONBLOCK) or die "fcntl: $!\n";
  connect($c, sockaddr_in(22, inet_aton($probe) // die "bad address $probe\n"));
  ($mine) = sockaddr_in(getsockname($c));
}
my ($n, $p, %dst) = (0, 0);
my $end = time + $secs;
while ((my $left = $end - time) > 0) {
  my $rin = ''; vec($rin, fileno($s), 1) = 1;
  next unless select(my $rout = $rin, undef, undef, $left);
  my $from = recv($s, my $buf, 128, 0);
  next unless defined $from && length($from) >= 12 && length($buf) >= 38;
  my ($ifindex, $pkttype) = unpack('x4 l x2 C', $from);
  next unless $pkttype == 4 && $ifindex != 1;                  # PACKET_OUTGOING, not lo
  next unless unpack('x12 n', $buf) == 0x0800 && unpack('x23 C', $buf) == 6;   # IPv4, TCP
  my $ihl = (unpack('x14 C', $buf) & 0x0f) * 4;
  my ($sport, $dport) = unpack("x@{[14 + $ihl]} n n", $buf);
  next unless $dport == 22;
  if ($sport == $mine) { $p++; next }
  $n++; $dst{join '.', unpack('x30 C4', $buf)}++;
}
print "packets $n\nprobe $p\n";
print "dst $_ $dst{$_}\n" for sort keys %dst;
`;

export interface EgressCount {
  /** TCP/22 packets that left the host (the probe connection's own not included). */
  packets: number;
  /** Packets of the probe connection that left the host. */
  probe: number;
  destinations: Record<string, number>;
}

/** Parse the watcher's output. Throws when it is not the watcher's output. */
export function parseEgress(stdout: string): EgressCount {
  const out: EgressCount = { packets: NaN, probe: NaN, destinations: {} };
  for (const line of stdout.split('\n')) {
    const [key, a, b] = line.trim().split(/\s+/);
    if (key === 'packets') out.packets = Number(a);
    else if (key === 'probe') out.probe = Number(a);
    else if (key === 'dst' && a && b) out.destinations[a] = Number(b);
  }
  if (!Number.isFinite(out.packets) || !Number.isFinite(out.probe))
    throw new Error(`unexpected egress watcher output: ${stdout.trim().slice(0, 200) || '(none)'}`);
  return out;
}

/** Watch a host's outgoing TCP/22 packets for `seconds`; with `probe`, also try one connection to probe:22. */
export async function watchEgress(initPid: number, seconds: number, probe?: string): Promise<EgressCount> {
  const r = await inHost(
    initPid,
    'exec /usr/bin/perl -e "$EGRESS_PERL" -- "$SECS" "$PROBE"',
    { EGRESS_PERL, SECS: String(seconds), PROBE: probe ?? '-' },
    (seconds + 30) * 1000,
  );
  if (r.code !== 0) throw new Error(`the egress watcher failed (exit ${r.code}): ${r.stderr.trim().slice(-300)}`);
  return parseEgress(r.stdout);
}

/** Lines of /proc/net/tcp{,6}: is something listening on `port`? (state 0A is LISTEN). */
export function listensOn(procNetTcp: string, port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return procNetTcp.split('\n').some((l) => {
    const f = l.trim().split(/\s+/);
    return f[1]?.endsWith(`:${hex}`) === true && f[3] === '0A';
  });
}
