#!/bin/bash
# `npm run test:nova` (and CI): starts a REAL OpenStack Nova "Zed" on loopback (Debian 12 packages,
# fake virt driver; the harness copied into test/nova/harness/), runs the OpenStack integration suite
# (`npm run test:openstack`, test/openstack/) against it, and stops it.
#
#   phase 1  Keystone mode: the whole suite (OS_CLOUD=nova-harness from the env.sh that up.sh writes)
#   phase 2  noauth mode (a second start, ~1 min): the noauth suite (REFORM_TEST_NOAUTH=1)
#
# Run after `npm install && npm run build`, as root, on Debian 12. If the stack cannot start, this fails
# (exit 1) with the end of up.sh's output: it never skips.
#   REFORM_NOVA_SKIP_INSTALL=1  do not run harness/install.sh (packages already there)
#   REFORM_NOVA_SKIP_NOAUTH=1   phase 1 only
#   REFORM_NOVA_KEEP=1          keep the state dirs (logs, DB) after a passing run (always kept after a failure)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
now() { date +%s.%N; }
since() { awk "BEGIN{printf \"%.1f\", $(now) - $1}"; }
say() { printf '[test:nova %6ss] %s\n' "$(since "$T_ALL")" "$*"; }
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
port_taken() { ss -Hltn "sport = :$1" | grep -q .; }
T_ALL=$(now)
TIMINGS=()
timing() { TIMINGS+=("$(printf '%-46s %6ss' "$1" "$2")"); }

[ -f "$REPO/dist/cli/main.js" ] || { say "FAIL: $REPO/dist is missing: run npm run build first"; exit 1; }
# fail fast (before the 1-minute harness start) when the CLI cannot even load
VERSION_OUT=$(node "$REPO/bin/reform.js" --version 2>&1) || { say "FAIL: node bin/reform.js --version: $VERSION_OUT"; exit 1; }
say "reform $VERSION_OUT"

if [ "${REFORM_NOVA_SKIP_INSTALL:-0}" != 1 ]; then
  t=$(now); bash "$HERE/harness/install.sh"; timing "harness install.sh" "$(since "$t")"
fi

STATE=$(mktemp -d /tmp/reform-nova-XXXXXX)
RUNNING=           # the harness dir whose processes are up (down.sh stops exactly those, by PID)
FAILED=0

stop_harness() {
  [ -n "$RUNNING" ] || return 0
  local t; t=$(now)
  NOVA_HARNESS_DIR=$RUNNING bash "$HERE/harness/down.sh" >/dev/null 2>&1 || say "down.sh reported a problem (see $RUNNING/log)"
  timing "harness down.sh ($(basename "$RUNNING"))" "$(since "$t")"
  RUNNING=
}

cleanup() {
  local rc=$?
  set +e
  stop_harness
  say "timings:"; printf '    %s\n' "${TIMINGS[@]}"
  if [ "$rc" -eq 0 ] && [ "${REFORM_NOVA_KEEP:-0}" != 1 ]; then rm -rf "$STATE"; else say "state kept in $STATE (harness logs: $STATE/*/log)"; fi
  say "$([ "$rc" -eq 0 ] && echo PASSED || echo FAILED) (exit $rc)"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_harness MODE: up.sh in $STATE/MODE, the standard ports when free, otherwise free ephemeral ones
start_harness() {
  local mode=$1 var name port t
  export NOVA_HARNESS_DIR=$STATE/$mode NOVA_HARNESS_AUTH=$mode
  # random passwords: the suite's secret scan looks for them in everything reform printed or wrote
  NOVA_HARNESS_ADMIN_PASSWORD=adm-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
  NOVA_HARNESS_SERVICE_PASSWORD=svc-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
  export NOVA_HARNESS_ADMIN_PASSWORD NOVA_HARNESS_SERVICE_PASSWORD
  for var in NOVA:8774 GLANCE:9292 PLACEMENT:8778 NEUTRON:9696 KEYSTONE:5000 RABBIT:5672 RABBIT_DIST:25672 EPMD:4369; do
    name=${var%%:*} port=${var##*:}
    if port_taken "$port"; then port=$(free_port); say "port ${var##*:} is taken: NOVA_HARNESS_${name}_PORT=$port"; fi
    export "NOVA_HARNESS_${name}_PORT=$port"
  done
  say "starting the Nova harness ($mode) in $NOVA_HARNESS_DIR"
  t=$(now)
  RUNNING=$NOVA_HARNESS_DIR
  if ! bash "$HERE/harness/up.sh" > "$STATE/up-$mode.out" 2>&1; then
    tail -n 40 "$STATE/up-$mode.out" | sed 's/^/    | /'
    say "FAIL: the Nova harness ($mode) did not start (up.sh output above; logs in $NOVA_HARNESS_DIR/log)"
    exit 1
  fi
  timing "harness up.sh ($mode)" "$(since "$t")"
  grep '^\[up.sh' "$STATE/up-$mode.out" | tail -n 1 | sed 's/^/    | /'
}

# run_suite LABEL [ENV=VALUE...]: npm run test:openstack against the running harness (env.sh sourced in a subshell)
run_suite() {
  local label=$1 t rc=0; shift
  t=$(now)
  ( . "$NOVA_HARNESS_DIR/env.sh"; cd "$REPO"; env REFORM_TEST_SKIP_BUILD=1 "$@" npm run --silent test:openstack ) || rc=$?
  timing "$label" "$(since "$t")"
  if [ "$rc" -ne 0 ]; then say "FAIL: $label (exit $rc)"; FAILED=1; fi
}

start_harness keystone
run_suite "suite (keystone: password, app credential)"
stop_harness

if [ "${REFORM_NOVA_SKIP_NOAUTH:-0}" != 1 ]; then
  start_harness noauth
  run_suite "suite (noauth: admin_token, none)" REFORM_TEST_NOAUTH=1
  stop_harness
fi

timing "total" "$(since "$T_ALL")"
[ "$FAILED" -eq 0 ]
