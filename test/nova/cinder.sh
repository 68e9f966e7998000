#!/bin/bash
# reform's own addition to the Nova harness (not a copy of the project's harness): a real Cinder (block storage
# API v3) next to a running Keystone-mode harness, so that volume-backed servers can be booted and rebuilt.
# Runs INSIDE the Debian 13 root (test/nova/run.sh copies it to /opt/nova-harness and runs it with chroot):
#
#   bash cinder.sh install   python3-cinder (Cinder 26, 2025.1 "Epoxy") and nfs-common, once (idempotent)
#   bash cinder.sh up        after up.sh (NOVA_HARNESS_AUTH=keystone): cinder-api, -scheduler, -volume started in
#                            the harness dir like its other services (setsid, PIDs in $D/pids: down.sh stops them)
#   bash cinder.sh down      stops them (their process groups, by PID) while RabbitMQ is still up: down.sh stops
#                            unknown services last, after the bus, and then they wait out their shutdown timeout
#
# The backend needs no block device: Cinder's NFS driver, whose "share" is a directory bind-mounted where the driver
# would mount the export (os-brick sees it mounted and does not call mount.nfs). Volumes are sparse files there; an
# image is copied in with qemu-img, which is what a re-image does too. Nova's fake virt driver attaches nothing, so
# the NFS connection info Cinder hands out is never used.
#
# Same variables as up.sh (NOVA_HARNESS_DIR, _KEYSTONE_PORT, _RABBIT_PORT, _ADMIN_PASSWORD, _SERVICE_PASSWORD), plus
# NOVA_HARNESS_CINDER_PORT (default 8776). Listens on 127.0.0.1 only.
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
D=${NOVA_HARNESS_DIR:-/tmp/nova-harness}
IP=127.0.0.1
PORT=${NOVA_HARNESS_CINDER_PORT:-8776}
KS_URL="http://$IP:${NOVA_HARNESS_KEYSTONE_PORT:-5000}"
RABBIT_PORT=${NOVA_HARNESS_RABBIT_PORT:-5672}
ADMIN_PASSWORD=${NOVA_HARNESS_ADMIN_PASSWORD:-admin}
SERVICE_PASSWORD=${NOVA_HARNESS_SERVICE_PASSWORD:-service-secret}
# The share and where the NFS driver looks for it mounted: outside $D, which up.sh wipes at every start.
BASE=/var/lib/reform-cinder
SHARE_SPEC="$IP:$BASE/export"
T0=$(date +%s.%N)
log() { printf '[cinder.sh %6.1fs] %s\n' "$(awk "BEGIN{print $(date +%s.%N) - $T0}")" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

install() {
  if dpkg -s python3-cinder nfs-common >/dev/null 2>&1; then log "python3-cinder and nfs-common already installed"; return; fi
  local made_policy=0
  # no daemon may start during the install (Debian's postinsts would try; rpcbind is pulled in by nfs-common)
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-cinder cinder-common nfs-common >/dev/null
  [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  log "installed python3-cinder $(dpkg-query -W -f '${Version}' python3-cinder)"
}

# start NAME CMD...: as up.sh does (own session and process group, log in $D/log/NAME.out, PID in $D/pids)
start() {
  local name=$1; shift
  setsid "$@" > "$D/log/$name.out" 2>&1 < /dev/null &
  echo $! > "$D/pids/$name.pid"
  log "started $name (pid $!)"
}
http_ok() { curl -s -o /dev/null --max-time 3 -w '%{http_code}' "$@" | grep -qE '^(2|3)'; }
alive() { kill -0 "$(cat "$D/pids/$1.pid")" 2>/dev/null || die "$1 died; see $D/log/$1.out and $D/log/$1.log"; }
wait_for() { # wait_for NAME TIMEOUT CMD...
  local name=$1 timeout=$2; shift 2
  local end=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    [ -e "$D/pids/$name.pid" ] && alive "$name"
    [ "$(date +%s)" -lt "$end" ] || die "timeout waiting for $name"
    sleep 0.5
  done
  log "$name is ready"
}

token() { # an admin token (project admin)
  curl -s -D - -o /dev/null -H 'Content-Type: application/json' -X POST "$KS_URL/v3/auth/tokens" -d "{
    \"auth\": {\"identity\": {\"methods\": [\"password\"], \"password\": {\"user\": {\"name\": \"admin\",
      \"domain\": {\"id\": \"default\"}, \"password\": \"$ADMIN_PASSWORD\"}}},
      \"scope\": {\"project\": {\"name\": \"admin\", \"domain\": {\"id\": \"default\"}}}}}" \
    | awk -F': ' 'tolower($1)=="x-subject-token"{print $2}' | tr -d '\r'
}

write_config() {
  mkdir -p "$D/etc/cinder" "$D/cinder/lock" "$D/cinder/conversion"
  echo "$SHARE_SPEC" > "$D/etc/cinder/nfs_shares"
  cat > "$D/etc/cinder/cinder.conf" <<EOF
[DEFAULT]
debug = false
use_stderr = false
host = cinder-harness
my_ip = $IP
state_path = $D/cinder
transport_url = rabbit://guest:guest@$IP:$RABBIT_PORT/
auth_strategy = keystone
osapi_volume_listen = $IP
osapi_volume_listen_port = $PORT
osapi_volume_workers = 1
graceful_shutdown_timeout = 5
enabled_backends = nfs
image_conversion_dir = $D/cinder/conversion
rootwrap_config = /etc/cinder/rootwrap.conf
[database]
connection = mysql+pymysql://root@localhost/cinder?unix_socket=$D/run/mysqld.sock&charset=utf8
[keystone_authtoken]
www_authenticate_uri = $KS_URL/v3
auth_url = $KS_URL/v3
auth_type = password
username = nova
password = $SERVICE_PASSWORD
project_name = service
user_domain_name = Default
project_domain_name = Default
service_token_roles_required = true
[nova]
# Cinder tells Nova a re-image is done (os-server-external-events "volume-reimaged"), as a service user
auth_type = password
auth_url = $KS_URL/v3
username = nova
password = $SERVICE_PASSWORD
project_name = service
user_domain_name = Default
project_domain_name = Default
region_name = RegionOne
interface = public
[oslo_concurrency]
lock_path = $D/cinder/lock
[oslo_messaging_notifications]
driver = noop
[nfs]
volume_driver = cinder.volume.drivers.nfs.NfsDriver
volume_backend_name = nfs
nfs_shares_config = $D/etc/cinder/nfs_shares
nfs_mount_point_base = $BASE/mnt
nfs_sparsed_volumes = true
nfs_snapshot_support = false
nas_secure_file_operations = false
nas_secure_file_permissions = false
EOF
}

# The directory the NFS driver takes for the mounted export: <nfs_mount_point_base>/<md5 of the share spec> (os-brick).
mount_share() {
  local hash mnt
  hash=$(printf '%s' "$SHARE_SPEC" | md5sum | cut -d' ' -f1)
  mnt=$BASE/mnt/$hash
  mkdir -p "$BASE/export" "$mnt"
  mountpoint -q "$mnt" || mount --bind "$BASE/export" "$mnt"
  find "$BASE/export" -mindepth 1 -delete   # volumes of an earlier run
  log "share $SHARE_SPEC: $BASE/export bind-mounted at $mnt"
}

register() { # the volumev3 service in Keystone's catalog (tokens issued from now on carry it: Nova finds Cinder there)
  local t sid iface
  t=$(token)
  [ -n "$t" ] || die "no admin token from Keystone at $KS_URL"
  sid=$(curl -sf -H "X-Auth-Token: $t" -H 'Content-Type: application/json' -X POST "$KS_URL/v3/services" \
        -d '{"service": {"name": "cinderv3", "type": "volumev3", "enabled": true}}' | jq -r .service.id)
  [ -n "$sid" ] && [ "$sid" != null ] || die "keystone: service cinderv3 creation failed"
  for iface in public internal admin; do
    curl -sf -H "X-Auth-Token: $t" -H 'Content-Type: application/json' -X POST "$KS_URL/v3/endpoints" \
      -d "{\"endpoint\": {\"service_id\": \"$sid\", \"interface\": \"$iface\", \"url\": \"http://$IP:$PORT/v3/%(project_id)s\", \"region_id\": \"RegionOne\", \"enabled\": true}}" >/dev/null \
      || die "keystone: endpoint $iface for cinderv3 failed"
  done
  log "keystone: volumev3 (cinderv3) at http://$IP:$PORT/v3/%(project_id)s"
}

up() {
  [ -f "$D/etc/keystone/keystone.conf" ] || die "no Keystone-mode harness in $D (run up.sh with NOVA_HARNESS_AUTH=keystone first)"
  dpkg -s python3-cinder >/dev/null 2>&1 || die "python3-cinder is not installed: run cinder.sh install"
  ! ss -Hltn "sport = :$PORT" | grep -q . || die "TCP port $PORT is already in use"
  write_config
  mount_share
  mariadb --defaults-file="$D/etc/my.cnf" -e "CREATE DATABASE IF NOT EXISTS cinder CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci"
  cinder-manage --config-file "$D/etc/cinder/cinder.conf" db sync > "$D/log/cinder-dbsync.out" 2>&1 || die "cinder db sync failed: $D/log/cinder-dbsync.out"
  log "cinder database synced"
  register
  local conf="--config-file $D/etc/cinder/cinder.conf"
  # the console scripts live in cinder-api/-scheduler/-volume, whose dependencies (iSCSI targets, LVM) are not needed
  start cinder-scheduler /usr/bin/python3 -c 'import sys; from cinder.cmd.scheduler import main; sys.exit(main())' $conf --log-file "$D/log/cinder-scheduler.log"
  start cinder-volume /usr/bin/python3 -c 'import sys; from cinder.cmd.volume import main; sys.exit(main())' $conf --log-file "$D/log/cinder-volume.log"
  start cinder-api /usr/bin/python3 -c 'import sys; from cinder.cmd.api import main; sys.exit(main())' $conf --log-file "$D/log/cinder-api.log"
  wait_for cinder-api 180 http_ok "http://$IP:$PORT/"   # the version document (300), the one unauthenticated path
  local t
  t=$(token)
  backend_up() {
    curl -sf -H "X-Auth-Token: $t" "http://$IP:$PORT/v3/$(project_of "$t")/os-services?binary=cinder-volume" | jq -e '.services[] | select(.state=="up")'
  }
  wait_for cinder-volume 180 backend_up
  echo "export NOVA_HARNESS_VOLUME_URL=http://$IP:$PORT/v3" >> "$D/env.sh"
  log "up: done"
}

project_of() { # the project id of a token
  curl -sf -H "X-Auth-Token: $1" -H "X-Subject-Token: $1" "$KS_URL/v3/auth/tokens" | jq -r .token.project.id
}

down() {
  local name f pid
  for name in cinder-api cinder-volume cinder-scheduler; do
    f=$D/pids/$name.pid
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$f"
    log "stopped $name (pid $pid)"
  done
}

case "${1:-}" in
  install) install ;;
  up) up ;;
  down) down ;;
  *) echo "usage: $0 install|up|down" >&2; exit 2 ;;
esac
