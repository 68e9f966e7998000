#!/bin/bash
# `npm run test:nova` (and CI): starts a REAL OpenStack Nova on loopback (fake virt driver; the harness copied into
# test/nova/harness/), runs the OpenStack integration suite (`npm run test:openstack`, test/openstack/) against it,
# and stops it. Two releases, one after the other (they use the same ports):
#
#   zed     Nova 26.2 "Zed" (microversions up to 2.93), Debian 12 packages on this machine (harness/install.sh)
#   epoxy   Nova 31.0 "2025.1 Epoxy" (up to 2.100), Debian 13 packages in a Debian 13 root filesystem that
#           harness/debian13.sh builds with debootstrap (about 5 minutes and 2.2 GB the first time, under
#           $NOVA_HARNESS_ROOT, default /var/tmp/nova-debian13), in the background while zed runs
#
# and for each, two phases:
#   keystone  the whole suite (OS_CLOUD=nova-harness from the env.sh that up.sh writes); on epoxy also a real
#             Cinder (test/nova/cinder.sh: Cinder 26, NFS driver on a bind-mounted directory, no block device) and
#             the volume-backed suite (REFORM_TEST_VOLUMES=1, test/openstack/volumes/)
#   noauth    a second start (~1 min): the noauth suite (REFORM_TEST_NOAUTH=1)
#
# Run after `npm install && npm run build`, as root, on Debian 12. If a stack cannot start, this fails (exit 1) with
# the end of up.sh's output: it never skips.
#   REFORM_NOVA_RELEASES="zed epoxy"  the releases to run, in order (default both)
#   REFORM_NOVA_SKIP_INSTALL=1        do not run the installs (packages and the Debian 13 root already there)
#   REFORM_NOVA_SKIP_NOAUTH=1         keystone phases only
#   REFORM_NOVA_SKIP_CINDER=1         no Cinder on epoxy (and no volume-backed suite)
#   REFORM_NOVA_KEEP=1                keep the state dirs (logs, DB) after a passing run (always kept after a failure)
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
timing() { TIMINGS+=("$(printf '%-58s %6ss' "$1" "$2")"); }
RELEASES=${REFORM_NOVA_RELEASES:-zed epoxy}
ROOT13=${NOVA_HARNESS_ROOT:-/var/tmp/nova-debian13}

[ -f "$REPO/dist/cli/main.js" ] || { say "FAIL: $REPO/dist is missing: run npm run build first"; exit 1; }
# fail fast (before the 1-minute harness start) when the CLI cannot even load
VERSION_OUT=$(node "$REPO/bin/reform.js" --version 2>&1) || { say "FAIL: node bin/reform.js --version: $VERSION_OUT"; exit 1; }
say "reform $VERSION_OUT; releases: $RELEASES"

STATE=$(mktemp -d /tmp/reform-nova-XXXXXX)
RUNNING=           # "RELEASE MODE" of the harness whose processes are up (down.sh stops exactly those, by PID)
FAILED=0

# The harness dir of a release and mode, as the host sees it (epoxy: inside the Debian 13 root, where up.sh runs).
harness_dir() { if [ "$1" = epoxy ]; then echo "$ROOT13/tmp/nova-harness"; else echo "$STATE/$1-$2"; fi; }

stop_harness() {
  [ -n "$RUNNING" ] || return 0
  local release=${RUNNING% *} mode=${RUNNING#* } t dir
  t=$(now)
  dir=$(harness_dir "$release" "$mode")
  if [ "$release" = epoxy ]; then
    [ -f "$dir/pids/cinder-api.pid" ] && { ( unset NOVA_HARNESS_DIR; chroot "$ROOT13" bash /opt/nova-harness/cinder.sh down ) >/dev/null 2>&1 || say "cinder.sh down reported a problem"; }
    ( unset NOVA_HARNESS_DIR; NOVA_HARNESS_ROOT=$ROOT13 bash "$HERE/harness/debian13.sh" down ) >/dev/null 2>&1 || say "down.sh reported a problem (see $dir/log)"
    # up.sh wipes its dir at the next start: keep this phase's logs with the run's state
    cp -r "$dir/log" "$STATE/epoxy-$mode-log" 2>/dev/null || true
  else
    NOVA_HARNESS_DIR=$dir bash "$HERE/harness/down.sh" >/dev/null 2>&1 || say "down.sh reported a problem (see $dir/log)"
  fi
  timing "$release: harness down.sh ($mode)" "$(since "$t")"
  RUNNING=
}

cleanup() {
  local rc=$?
  set +e
  stop_harness
  # a background install is let finish (an apt interrupted midway would leave the root's dpkg broken)
  if [ -n "$INSTALL_PID" ]; then say "waiting for the background install of Nova 31 to finish"; wait "$INSTALL_PID"; fi
  say "timings:"; printf '    %s\n' "${TIMINGS[@]}"
  if [ "$rc" -eq 0 ] && [ "${REFORM_NOVA_KEEP:-0}" != 1 ]; then rm -rf "$STATE"; else say "state kept in $STATE (harness logs: $STATE/*/log, $STATE/epoxy-*-log)"; fi
  say "$([ "$rc" -eq 0 ] && echo PASSED || echo FAILED) (exit $rc)"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The releases' installs (REFORM_NOVA_SKIP_INSTALL=1 skips them). The host's packages (zed) first, in the foreground
# (apt on the host); the Debian 13 root (epoxy) in the background while the releases before it run: it has its own
# apt and dpkg, and debootstrap plus its packages take minutes that would otherwise add up.
INSTALL_PID=
install_zed() {
  local t; t=$(now)
  bash "$HERE/harness/install.sh"
  timing "zed: harness install.sh" "$(since "$t")"
}

# install_epoxy: in a background subshell, so its results go to files ($STATE/install-epoxy.{out,timings}), never exit
install_epoxy() {
  local t rc=0
  t=$(now)
  NOVA_HARNESS_ROOT=$ROOT13 bash "$HERE/harness/debian13.sh" install > "$STATE/install-epoxy.out" 2>&1 || rc=1
  echo "epoxy: debian13.sh install (debootstrap + install.sh)|$(since "$t")" >> "$STATE/install-epoxy.timings"
  if [ "$rc" = 0 ] && cinder_wanted; then
    t=$(now)
    cp "$HERE/cinder.sh" "$ROOT13/opt/nova-harness/cinder.sh"
    chroot "$ROOT13" bash /opt/nova-harness/cinder.sh install >> "$STATE/install-epoxy.out" 2>&1 || rc=2
    echo "epoxy: cinder.sh install (python3-cinder, nfs-common)|$(since "$t")" >> "$STATE/install-epoxy.timings"
  fi
  return "$rc"
}

start_install_epoxy() {
  say "installing Nova 31 in the background (Debian 13 root in $ROOT13; about 5 minutes the first time, + Cinder)"
  install_epoxy &
  INSTALL_PID=$!
}

# wait_install_epoxy: its timings join the others; a failed install fails the run with the end of its output
wait_install_epoxy() {
  [ -n "$INSTALL_PID" ] || return 0
  local rc=0 label secs t
  t=$(now)
  wait "$INSTALL_PID" || rc=$?
  INSTALL_PID=
  if [ -f "$STATE/install-epoxy.timings" ]; then
    while IFS='|' read -r label secs; do timing "$label" "$secs"; done < "$STATE/install-epoxy.timings"
  fi
  timing "epoxy: install still running when its phases were due (waited)" "$(since "$t")"
  if [ "$rc" != 0 ]; then
    tail -n 40 "$STATE/install-epoxy.out" | sed 's/^/    | /'
    say "FAIL: the Debian 13 root could not be installed (debian13.sh / cinder.sh install output above)"
    exit 1
  fi
}

# Cinder runs next to Nova 31 in its Keystone phase (Cinder needs Keystone to call Nova back when a volume is re-imaged).
cinder_wanted() { [ "${REFORM_NOVA_SKIP_CINDER:-0}" != 1 ]; }

# start_cinder: cinder.sh up inside the Debian 13 root, next to the running Keystone-mode harness
start_cinder() {
  local t out=$STATE/up-cinder.out
  t=$(now)
  cp "$HERE/cinder.sh" "$ROOT13/opt/nova-harness/cinder.sh"
  if ! ( unset NOVA_HARNESS_DIR; chroot "$ROOT13" bash /opt/nova-harness/cinder.sh up ) > "$out" 2>&1; then
    tail -n 40 "$out" | sed 's/^/    | /'
    say "FAIL: Cinder did not start (cinder.sh output above; logs in $(harness_dir epoxy keystone)/log/cinder-*)"
    exit 1
  fi
  timing "epoxy: cinder.sh up (keystone)" "$(since "$t")"
}

# start_harness RELEASE MODE: up.sh (in the Debian 13 root for epoxy), the standard ports when free, otherwise free ephemeral ones
start_harness() {
  local release=$1 mode=$2 var name port t out=$STATE/up-$1-$2.out
  export NOVA_HARNESS_AUTH=$mode
  # random passwords: the suite's secret scan looks for them in everything reform printed or wrote
  NOVA_HARNESS_ADMIN_PASSWORD=adm-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
  NOVA_HARNESS_SERVICE_PASSWORD=svc-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
  export NOVA_HARNESS_ADMIN_PASSWORD NOVA_HARNESS_SERVICE_PASSWORD
  for var in NOVA:8774 GLANCE:9292 PLACEMENT:8778 NEUTRON:9696 KEYSTONE:5000 RABBIT:5672 RABBIT_DIST:25672 EPMD:4369 CINDER:8776; do
    name=${var%%:*} port=${var##*:}
    if port_taken "$port"; then port=$(free_port); say "port ${var##*:} is taken: NOVA_HARNESS_${name}_PORT=$port"; fi
    export "NOVA_HARNESS_${name}_PORT=$port"
  done
  say "starting the Nova harness ($release, $mode) in $(harness_dir "$release" "$mode")"
  t=$(now)
  RUNNING="$release $mode"
  local started=0
  if [ "$release" = epoxy ]; then
    ( unset NOVA_HARNESS_DIR; NOVA_HARNESS_ROOT=$ROOT13 bash "$HERE/harness/debian13.sh" up ) > "$out" 2>&1 && started=1
  else
    NOVA_HARNESS_DIR=$(harness_dir "$release" "$mode") bash "$HERE/harness/up.sh" > "$out" 2>&1 && started=1
  fi
  if [ "$started" != 1 ] || [ ! -f "$(harness_dir "$release" "$mode")/env.sh" ]; then
    tail -n 40 "$out" | sed 's/^/    | /'
    say "FAIL: the Nova harness ($release, $mode) did not start (up.sh output above; logs in $(harness_dir "$release" "$mode")/log)"
    exit 1
  fi
  timing "$release: harness up.sh ($mode)" "$(since "$t")"
  grep '^\[up.sh' "$out" | tail -n 1 | sed 's/^/    | /'
}

# The env.sh to source on the host: up.sh's own (zed), or debian13.sh's copy with the paths under the root (epoxy).
env_file() {
  if [ "$1" = epoxy ]; then ( unset NOVA_HARNESS_DIR; NOVA_HARNESS_ROOT=$ROOT13 bash "$HERE/harness/debian13.sh" env ); else echo "$(harness_dir "$1" "$2")/env.sh"; fi
}

# run_suite RELEASE MODE LABEL [ENV=VALUE...]: npm run test:openstack against the running harness (env.sh sourced in a subshell)
run_suite() {
  local release=$1 mode=$2 label="$1: $3" t rc=0 env
  shift 3
  env=$(env_file "$release" "$mode")
  t=$(now)
  ( . "$env"; cd "$REPO"; env REFORM_TEST_SKIP_BUILD=1 "$@" npm run --silent test:openstack ) || rc=$?
  timing "$label" "$(since "$t")"
  if [ "$rc" -ne 0 ]; then say "FAIL: $label (exit $rc)"; FAILED=1; fi
}

for release in $RELEASES; do
  case "$release" in zed|epoxy) ;; *) say "FAIL: unknown release $release (zed, epoxy)"; exit 1 ;; esac
done
if [ "${REFORM_NOVA_SKIP_INSTALL:-0}" != 1 ]; then
  case " $RELEASES " in *" zed "*) install_zed ;; esac
  case " $RELEASES " in *" epoxy "*) start_install_epoxy ;; esac
fi

for release in $RELEASES; do
  [ "$release" != epoxy ] || wait_install_epoxy
  start_harness "$release" keystone
  if [ "$release" = epoxy ] && cinder_wanted; then
    start_cinder
    run_suite "$release" keystone "suite (keystone: password, app credential, volumes)" REFORM_TEST_VOLUMES=1
  else
    run_suite "$release" keystone "suite (keystone: password, app credential)"
  fi
  stop_harness
  if [ "${REFORM_NOVA_SKIP_NOAUTH:-0}" != 1 ]; then
    start_harness "$release" noauth
    run_suite "$release" noauth "suite (noauth: admin_token, none)" REFORM_TEST_NOAUTH=1
    stop_harness
  fi
done

timing "total" "$(since "$T_ALL")"
[ "$FAILED" -eq 0 ]
