#!/bin/bash
# [reform] Copied verbatim (except this line) from the project's Nova harness, /work/shared/openstack-nova/down.sh (see docs/nova-integration.md); used by test/nova/run.sh.
# Stop exactly the processes up.sh started (PIDs in $NOVA_HARNESS_DIR/pids).
# Each service was started with setsid, so its PID is also its process-group
# id: we signal that group (the service plus the worker children it forked),
# never anything else.
set -uo pipefail
D=${NOVA_HARNESS_DIR:-/tmp/nova-harness}
[ -d "$D/pids" ] || { echo "down.sh: nothing to stop ($D/pids missing)"; exit 0; }

stop_one() {
  local name=$1 f=$D/pids/$1.pid pid
  [ -e "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 -- "-$pid" 2>/dev/null || kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 100); do   # up to 20 s
      kill -0 -- "-$pid" 2>/dev/null || kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 -- "-$pid" 2>/dev/null; then
      echo "down.sh: $name (pgid $pid) still running 20 s after TERM, sending KILL"
      kill -KILL -- "-$pid" 2>/dev/null
    fi
    echo "down.sh: stopped $name (pid $pid)"
  fi
  rm -f "$f"
}
# OpenStack services first (in parallel), then the bus, then the database.
for n in nova-compute nova-api nova-scheduler nova-conductor neutron-server glance-api placement-api keystone; do
  stop_one "$n" &
done
wait
for n in rabbitmq epmd mariadb; do stop_one "$n"; done
for f in "$D"/pids/*.pid; do [ -e "$f" ] && stop_one "$(basename "$f" .pid)"; done
exit 0
