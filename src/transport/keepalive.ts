/**
 * How soon a host that stops answering (a network cut: no FIN, no RST) counts as lost. A keepalive
 * every 5 s and 3 unanswered in a row: ssh2 gives up after 4 intervals (~20 s), OpenSSH after 3
 * (~15 s). Ansible sets none and waits for TCP (minutes to hours); 15 s intervals took a minute.
 * `--keepalive` or ServerAliveInterval in ssh config changes the interval (0 turns it off).
 */
export const KEEPALIVE_INTERVAL_MS = 5_000;
export const KEEPALIVE_COUNT_MAX = 3;
