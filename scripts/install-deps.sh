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
apt-get update -qq
# openssh-server: the test and demo fleets run real sshd processes on loopback (never the machine's own sshd).
# util-linux: unshare, for the fleets' private mount namespaces. sudo, openssl: become tests.
# ansible: the inventory compatibility tests compare our answers with Ansible's own.
apt-get install -y -qq --no-install-recommends \
  openssh-server openssh-client iproute2 iptables nftables conntrack \
  procps util-linux sudo openssl ansible ca-certificates >/dev/null

# Installing openssh-server must not leave a machine-wide sshd running because of us: we only ever
# start our own sshd processes with their own configs. (Containers have no init; this is a no-op there.)

npm ci --no-audit --no-fund
