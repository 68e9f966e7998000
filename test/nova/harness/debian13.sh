#!/bin/bash
# [reform] Copied verbatim (except this line) from the project's Nova harness, /work/shared/openstack-nova/debian13.sh (see docs/nova-integration.md); used by test/nova/run.sh.
# The same harness on the newest Debian's OpenStack: Nova 31 (2025.1 "Epoxy"), Keystone 27, Glance 30,
# Placement 13, Neutron 26, from Debian 13 ("trixie") packages, in a Debian 13 root filesystem built with
# debootstrap on this Debian 12 machine. Its services listen on the host's loopback, on the ports of
# README.md, so stop the Debian 12 stack first (down.sh): the two cannot run at once.
#
#   bash debian13.sh install     # debootstrap (about 1 min) + install.sh inside (about 4 min); idempotent
#   bash debian13.sh up          # up.sh inside (about 45 s); NOVA_HARNESS_AUTH=keystone works as for up.sh
#   bash debian13.sh smoke       # smoke.sh inside
#   bash debian13.sh down        # down.sh inside
#   bash debian13.sh env         # print the path of the host-side env file (paths rewritten to the root)
#
# NOVA_HARNESS_ROOT (default /var/tmp/nova-debian13) is where the root filesystem lives (about 2.2 GB).
# The Debian mirror is the one this machine's apt already uses (its sources file), never a fixed host.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=${NOVA_HARNESS_ROOT:-/var/tmp/nova-debian13}
SUITE=trixie
log() { printf '[debian13.sh] %s\n' "$*" >&2; }

mirror() {
  local uri
  uri=$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
        | grep -v security | head -1 | sed -E 's/^URIs: *//; s/^deb +(\[[^]]*\] +)?//; s/ .*//')
  [ -n "$uri" ] || { log "no Debian mirror found in this machine's apt sources"; exit 1; }
  echo "$uri"
}

mounts() {
  mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
  mountpoint -q "$ROOT/dev" || mount --bind /dev "$ROOT/dev"
  mountpoint -q "$ROOT/dev/pts" || mount --bind /dev/pts "$ROOT/dev/pts"
  mountpoint -q "$ROOT/sys" || mount --bind /sys "$ROOT/sys"
  cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
  mkdir -p "$ROOT/opt/nova-harness"
  cp "$HERE"/install.sh "$HERE"/up.sh "$HERE"/down.sh "$HERE"/smoke.sh "$HERE"/keystone.inc.sh "$ROOT/opt/nova-harness/"
}

host_env() { # env.sh as seen from the host: file paths inside the root get the root's prefix
  local inside="$ROOT/tmp/nova-harness/env.sh" out=/tmp/nova-harness-debian13.env.sh
  [ -f "$inside" ] || { log "no env.sh yet: run up first"; exit 1; }
  sed -E "s#^export (OS_CLIENT_CONFIG_FILE|NOVA_HARNESS_DIR)=/#export \1=$ROOT/#" "$inside" > "$out"
  echo "$out"
}

case "${1:-}" in
  install)
    if [ ! -f "$ROOT/etc/debian_version" ] || ! grep -q '^13' "$ROOT/etc/debian_version"; then
      command -v debootstrap >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap; }
      log "debootstrap $SUITE into $ROOT"
      debootstrap --variant=minbase "$SUITE" "$ROOT" "$(mirror)" >/dev/null
    fi
    mounts
    chroot "$ROOT" bash /opt/nova-harness/install.sh
    ;;
  up)
    mounts
    chroot "$ROOT" env NOVA_HARNESS_AUTH="${NOVA_HARNESS_AUTH:-noauth}" bash /opt/nova-harness/up.sh
    log "host-side env file: $(host_env)"
    ;;
  smoke) mounts; chroot "$ROOT" bash /opt/nova-harness/smoke.sh ;;
  down) [ -d "$ROOT/opt/nova-harness" ] && chroot "$ROOT" bash /opt/nova-harness/down.sh || true ;;
  env) host_env ;;
  *) echo "usage: $0 install|up|smoke|down|env" >&2; exit 2 ;;
esac
