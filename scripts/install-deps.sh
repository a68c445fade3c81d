#!/usr/bin/env bash
# Installs everything firebreak and its tests need on a fresh Debian/Ubuntu machine (run as root),
# then the npm dependencies. Safe to run again: apt and npm ci are idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: run as root (apt-get needs it): sudo bash scripts/install-deps.sh" >&2
  exit 2
fi

export DEBIAN_FRONTEND=noninteractive
# Packages must not start machine-wide services (sshd, rsyslog) because of us: we only ever start our own
# processes, inside namespaces. A policy-rc.d that says "no" does that on Debian; remove it again if it was ours.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
# openssh-server: the test and demo fleets run real sshd processes on loopback (never the machine's own sshd).
# util-linux: unshare, for the fleets' private mount namespaces. sudo, openssl: become tests.
# ansible: the inventory compatibility tests compare our answers with Ansible's own.
# rsyslog: each drill-lab host runs its own, so sshd's auth events land in that host's /var/log/auth.log.
# iptables, nftables, conntrack: the firewalls inside lab hosts.
# cron: the outbound-ssh-bruteforce scenario installs its persistence with crontab(1).
# chromium: the HTML report is checked in a real headless browser (driven by playwright-core, no download).
apt-get install -y -qq --no-install-recommends \
  openssh-server openssh-client iproute2 iptables nftables conntrack rsyslog cron \
  procps util-linux sudo openssl ansible ca-certificates chromium >/dev/null

npm ci --no-audit --no-fund
