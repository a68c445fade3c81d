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
# Every package a program firebreak runs comes from (declared in src/lab/programs.ts, scenarios/*.yaml
# `requires:` and test/helpers/programs.ts; test/unit/programs.test.ts keeps this list in step with them).
# Some are part of every Debian install; they are listed anyway so the list is complete.
PACKAGES=(
  # the lab and the loopback test fleets: namespaces, mounts, logins, network, firewalls, sshd, syslog
  util-linux mount iproute2 iptables nftables conntrack openssh-server openssh-client rsyslog procps
  # what the incident runbooks and the scenarios run on lab hosts
  passwd dpkg tar gzip coreutils libc-bin perl-base cron sudo libcap2-bin e2fsprogs
  # the tests: become (sudo, openssl), Ansible's own answers, the HTML report in a real browser
  openssl ansible-core chromium ca-certificates
  # distributed runs: the NATS JetStream server the tests start (hub and leaf nodes)
  nats-server
)
apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null

npm ci --no-audit --no-fund
