#!/bin/bash
# [reform] Copied verbatim (except this line) from the project's Nova harness, /work/shared/openstack-nova/up.sh (see docs/nova-integration.md); used by test/nova/run.sh.
# Start a throw-away OpenStack Compute (Nova) on loopback, with Nova's fake
# virt driver, using Debian 12's packages (see install.sh).
#
#   NOVA_HARNESS_DIR   state dir (default /tmp/nova-harness); WIPED on every up
#   NOVA_HARNESS_AUTH  noauth (default) | keystone
#   NOVA_HARNESS_DEBUG 1 -> debug logging in all services
#
# Services (all bound to 127.0.0.1; MariaDB listens on a unix socket only):
#   mariadbd, epmd + rabbitmq-server, placement-api (uwsgi), glance-api,
#   neutron-server (API only, no agents), nova-api, nova-conductor,
#   nova-scheduler, nova-compute (compute_driver=fake.FakeDriver),
#   and keystone (uwsgi) when NOVA_HARNESS_AUTH=keystone.
#
# Prints the endpoints as `export` lines and writes them to $NOVA_HARNESS_DIR/env.sh.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
D=${NOVA_HARNESS_DIR:-/tmp/nova-harness}
AUTH=${NOVA_HARNESS_AUTH:-noauth}
DEBUG=$([ "${NOVA_HARNESS_DEBUG:-0}" = 1 ] && echo True || echo False)
PY=/usr/bin/python3          # Debian's python (a pyenv python may be first in PATH)
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

IP=127.0.0.1
NOVA_PORT=${NOVA_HARNESS_NOVA_PORT:-8774}
GLANCE_PORT=${NOVA_HARNESS_GLANCE_PORT:-9292}
PLACEMENT_PORT=${NOVA_HARNESS_PLACEMENT_PORT:-8778}
NEUTRON_PORT=${NOVA_HARNESS_NEUTRON_PORT:-9696}
KEYSTONE_PORT=${NOVA_HARNESS_KEYSTONE_PORT:-5000}
RABBIT_PORT=${NOVA_HARNESS_RABBIT_PORT:-5672}
RABBIT_DIST_PORT=${NOVA_HARNESS_RABBIT_DIST_PORT:-25672}
EPMD_PORT=${NOVA_HARNESS_EPMD_PORT:-4369}
ADMIN_PASSWORD=${NOVA_HARNESS_ADMIN_PASSWORD:-admin}
SERVICE_PASSWORD=${NOVA_HARNESS_SERVICE_PASSWORD:-service-secret}
HOSTNAME_NOVA=${NOVA_HARNESS_HOST:-nova-harness}

case "$AUTH" in noauth|keystone) ;; *) echo "NOVA_HARNESS_AUTH must be noauth or keystone" >&2; exit 2;; esac

T0=$(date +%s.%N)
log() { printf '[up.sh %6.1fs] %s\n' "$(awk "BEGIN{print $(date +%s.%N) - $T0}")" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
STARTED=0
on_exit() {
  local rc=$?
  if [ $rc -ne 0 ] && [ "$STARTED" = 1 ] && [ "${NOVA_HARNESS_KEEP_ON_FAIL:-0}" != 1 ]; then
    log "up.sh failed (exit $rc): stopping what was started (logs stay in $D/log)"
    NOVA_HARNESS_DIR=$D "$HERE/down.sh" >&2 || true
  fi
}
trap on_exit EXIT

# ---------------------------------------------------------------- preflight
if [ -d "$D/pids" ]; then
  for f in "$D"/pids/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then
      die "a previous harness is still running ($(basename "$f" .pid) pid $pid); run down.sh first"
    fi
  done
fi
ports="$NOVA_PORT $GLANCE_PORT $PLACEMENT_PORT $NEUTRON_PORT $RABBIT_PORT $RABBIT_DIST_PORT $EPMD_PORT"
[ "$AUTH" = keystone ] && ports="$ports $KEYSTONE_PORT"
for p in $ports; do
  if ss -Hltn "sport = :$p" | grep -q .; then
    die "TCP port $p is already in use: $(ss -Hltnp "sport = :$p" | head -1)"
  fi
done
for b in /usr/sbin/mariadbd /usr/bin/nova-api /usr/bin/glance-api /usr/bin/neutron-server /usr/bin/uwsgi_python3 /usr/bin/placement-api jq; do
  command -v "$b" >/dev/null || die "$b missing: run install.sh"
done

# safety: only ever wipe a directory that up.sh created itself
case "$D" in /|/tmp|/tmp/|/root|/home|/work|/work/|"") die "refusing NOVA_HARNESS_DIR=$D";; esac
if [ -e "$D" ] && [ -n "$(ls -A "$D" 2>/dev/null)" ] && [ ! -e "$D/.nova-harness" ]; then
  die "$D exists, is not empty and was not created by up.sh (no .nova-harness marker); refusing to wipe it"
fi
rm -rf "$D"
mkdir -p "$D"/{etc/nova,etc/glance,etc/placement,etc/neutron,etc/keystone,etc/rabbitmq,log,run,pids,bin,mysql,rabbit,glance/images,glance/staging,glance/tasks,nova/instances,nova/lock,neutron/lock,placement,keystone/fernet-keys,keystone/credential-keys}
D=$(cd "$D" && pwd)
touch "$D/.nova-harness"
SOCK=$D/run/mysqld.sock
dburl() { echo "mysql+pymysql://root@localhost/$1?unix_socket=$SOCK&charset=utf8"; }
TRANSPORT="rabbit://guest:guest@$IP:$RABBIT_PORT/"

# start NAME CMD...: run in its own session/process group, log to $D/log/NAME.out
start() {
  local name=$1; shift
  STARTED=1
  setsid "$@" > "$D/log/$name.out" 2>&1 < /dev/null &
  echo $! > "$D/pids/$name.pid"
  log "started $name (pid $!)"
}
alive() { kill -0 "$(cat "$D/pids/$1.pid")" 2>/dev/null || die "$1 died; see $D/log/$1.out and $D/log/$1.log"; }
wait_for() { # wait_for NAME TIMEOUT CMD... : poll CMD until it succeeds
  local name=$1 timeout=$2; shift 2
  local end=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    [ -e "$D/pids/$name.pid" ] && alive "$name"
    [ "$(date +%s)" -lt "$end" ] || die "timeout waiting for $name"
    sleep 0.3
  done
  log "$name is ready"
}
http_ok() { curl -s -o /dev/null --max-time 3 -w '%{http_code}' "$@" | grep -qE '^(2|3)'; }

# ---------------------------------------------------------------- RabbitMQ (slowest to boot: start first)
cat > "$D/etc/rabbitmq/rabbitmq.conf" <<EOF
listeners.tcp.default = $IP:$RABBIT_PORT
distribution.listener.interface = $IP
distribution.listener.port_range.min = $RABBIT_DIST_PORT
distribution.listener.port_range.max = $RABBIT_DIST_PORT
disk_free_limit.absolute = 50MB
log.console = false
log.file.level = info
EOF
echo '[].' > "$D/etc/rabbitmq/enabled_plugins"
: > "$D/etc/rabbitmq/rabbitmq-env.conf"
export ERL_EPMD_ADDRESS=$IP ERL_EPMD_PORT=$EPMD_PORT
start epmd /usr/bin/epmd -address $IP -port "$EPMD_PORT"
wait_for epmd 10 bash -c "ss -Hltn 'sport = :$EPMD_PORT' | grep -q ."
start rabbitmq env HOME="$D/rabbit" \
  RABBITMQ_CONF_ENV_FILE="$D/etc/rabbitmq/rabbitmq-env.conf" \
  RABBITMQ_CONFIG_FILE="$D/etc/rabbitmq/rabbitmq.conf" \
  RABBITMQ_ENABLED_PLUGINS_FILE="$D/etc/rabbitmq/enabled_plugins" \
  RABBITMQ_NODENAME=harness@localhost RABBITMQ_NODE_IP_ADDRESS=$IP RABBITMQ_NODE_PORT="$RABBIT_PORT" \
  RABBITMQ_DIST_PORT="$RABBIT_DIST_PORT" \
  RABBITMQ_MNESIA_BASE="$D/rabbit/mnesia" RABBITMQ_LOG_BASE="$D/log/rabbitmq" \
  RABBITMQ_PID_FILE="$D/run/rabbitmq.pid" \
  /usr/lib/rabbitmq/bin/rabbitmq-server

# ---------------------------------------------------------------- MariaDB
cat > "$D/etc/my.cnf" <<EOF
[mysqld]
datadir = $D/mysql
socket = $SOCK
pid-file = $D/run/mysqld.pid
log-error = $D/log/mariadb.log
user = root
skip-networking
skip-name-resolve
skip-log-bin
character-set-server = utf8mb3
collation-server = utf8mb3_general_ci
max_connections = 1000
innodb_buffer_pool_size = 256M
innodb_log_file_size = 64M
innodb_flush_log_at_trx_commit = 0
innodb_doublewrite = 0
innodb_flush_method = O_DIRECT_NO_FSYNC
sync_binlog = 0
performance_schema = OFF
[client]
socket = $SOCK
user = root
EOF
mariadb-install-db --defaults-file="$D/etc/my.cnf" --auth-root-authentication-method=normal \
  --skip-test-db > "$D/log/mariadb-install.out" 2>&1 || die "mariadb-install-db failed: $D/log/mariadb-install.out"
start mariadb /usr/sbin/mariadbd --defaults-file="$D/etc/my.cnf"
wait_for mariadb 60 mariadb --defaults-file="$D/etc/my.cnf" -e 'SELECT 1'
DBS="nova_api nova_cell0 nova placement glance neutron"
[ "$AUTH" = keystone ] && DBS="$DBS keystone"
for db in $DBS; do
  mariadb --defaults-file="$D/etc/my.cnf" -e "CREATE DATABASE $db CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci"
done

# ---------------------------------------------------------------- configs
OS_LOG="debug = $DEBUG
use_stderr = false"

if [ "$AUTH" = keystone ]; then
  KS_URL="http://$IP:$KEYSTONE_PORT"
  authtoken() { # authtoken USER
    cat <<EOF
[keystone_authtoken]
www_authenticate_uri = $KS_URL/v3
auth_url = $KS_URL/v3
auth_type = password
username = $1
password = $SERVICE_PASSWORD
project_name = service
user_domain_name = Default
project_domain_name = Default
service_token_roles_required = true
EOF
  }
  service_client() { # service_client SECTION USER [extra lines]
    cat <<EOF
[$1]
auth_type = password
auth_url = $KS_URL/v3
username = $2
password = $SERVICE_PASSWORD
project_name = service
user_domain_name = Default
project_domain_name = Default
region_name = RegionOne
EOF
  }
fi

# --- placement
{
  cat <<EOF
[DEFAULT]
$OS_LOG
[api]
auth_strategy = $([ "$AUTH" = keystone ] && echo keystone || echo noauth2)
[placement_database]
connection = $(dburl placement)
EOF
  [ "$AUTH" = keystone ] && authtoken placement
} > "$D/etc/placement/placement.conf"

# --- glance
{
  cat <<EOF
[DEFAULT]
$OS_LOG
bind_host = $IP
bind_port = $GLANCE_PORT
workers = 1
enabled_backends = fs:file
show_image_direct_url = false
[database]
connection = $(dburl glance)
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = $D/glance/images/
[os_glance_staging_store]
filesystem_store_datadir = $D/glance/staging/
[os_glance_tasks_store]
filesystem_store_datadir = $D/glance/tasks/
[oslo_concurrency]
lock_path = $D/glance
[paste_deploy]
config_file = /etc/glance/glance-api-paste.ini
flavor = $([ "$AUTH" = keystone ] && echo keystone)
EOF
  if [ "$AUTH" = keystone ]; then
    authtoken glance
  else
    printf '[oslo_policy]\npolicy_file = %s\n' "$D/etc/glance/policy-noauth.yaml"
  fi
} > "$D/etc/glance/glance-api.conf"
if [ "$AUTH" != keystone ]; then
  # Without keystone, glance's "unauthenticated-context" gives every request
  # is_admin=True but NO roles, and glance's policies check role:admin
  # (e.g. "publicize_image" -> 403). Allow every glance policy rule instead.
  $PY -c "from glance.policies import list_rules
for r in list_rules(): print('\"%s\": \"@\"' % r.name)" > "$D/etc/glance/policy-noauth.yaml" 2>/dev/null \
    || die "cannot list glance policies"
fi

# --- neutron (API server only: list_ports answers [] for instances booted with networks "none")
{
  cat <<EOF
[DEFAULT]
$OS_LOG
bind_host = $IP
bind_port = $NEUTRON_PORT
state_path = $D/neutron
core_plugin = ml2
service_plugins =
auth_strategy = $([ "$AUTH" = keystone ] && echo keystone || echo noauth)
api_paste_config = /etc/neutron/api-paste.ini
transport_url = $TRANSPORT
api_workers = 1
rpc_workers = 1
rpc_state_report_workers = 0
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
[database]
connection = $(dburl neutron)
[oslo_concurrency]
lock_path = $D/neutron/lock
[ml2]
type_drivers = flat
tenant_network_types =
mechanism_drivers =
extension_drivers =
[ml2_type_flat]
flat_networks = *
EOF
  [ "$AUTH" = keystone ] && authtoken neutron
} > "$D/etc/neutron/neutron.conf"

# --- nova (one file for api, conductor, scheduler, compute)
{
  cat <<EOF
[DEFAULT]
$OS_LOG
host = $HOSTNAME_NOVA
my_ip = $IP
state_path = $D/nova
instances_path = $D/nova/instances
compute_driver = fake.FakeDriver
transport_url = $TRANSPORT
enabled_apis = osapi_compute
osapi_compute_listen = $IP
osapi_compute_listen_port = $NOVA_PORT
osapi_compute_workers = 1
metadata_listen = $IP
metadata_workers = 1
rootwrap_config = /etc/nova/rootwrap.conf
# the fake driver has no real disks/consoles
resume_guests_state_on_host_boot = false
[api]
auth_strategy = $([ "$AUTH" = keystone ] && echo keystone || echo noauth2)
[wsgi]
api_paste_config = $D/etc/nova/api-paste.ini
[quota]
# defaults (10 instances, 20 cores) are too small for a 30-server test
instances = 1000
cores = 100000
ram = 100000000
key_pairs = 1000
[conductor]
workers = 1
[scheduler]
workers = 1
[oslo_concurrency]
lock_path = $D/nova/lock
[oslo_messaging_notifications]
driver = noop
[vnc]
enabled = false
[spice]
enabled = false
[os_vif_linux_bridge]
use_ipv6 = false
EOF
  if [ "$AUTH" = keystone ]; then
    authtoken nova
    service_client placement nova
    service_client neutron nova
    cat <<EOF
[glance]
region_name = RegionOne
[service_user]
send_service_user_token = true
auth_type = password
auth_url = $KS_URL/v3
username = nova
password = $SERVICE_PASSWORD
project_name = service
user_domain_name = Default
project_domain_name = Default
EOF
  else
    cat <<EOF
[glance]
endpoint_override = http://$IP:$GLANCE_PORT
[placement]
# placement's noauth2 middleware gives the admin role to token "admin:..."
auth_type = admin_token
endpoint = http://$IP:$PLACEMENT_PORT
token = admin:admin
[neutron]
auth_type = admin_token
endpoint = http://$IP:$NEUTRON_PORT
token = admin:admin
endpoint_override = http://$IP:$NEUTRON_PORT
EOF
  fi
} > "$D/etc/nova/nova.conf"
# DB settings only for api/conductor/scheduler/nova-manage: nova-compute must
# not have DB access (it logs "No DB access allowed in nova-compute" otherwise).
cat > "$D/etc/nova/nova-db.conf" <<EOF
[api_database]
connection = $(dburl nova_api)
[database]
connection = $(dburl nova)
EOF

# --- nova api-paste.ini: Debian's file, plus (noauth only) one extra filter.
# nova's noauth2 middleware builds the RequestContext WITHOUT auth_token, so
# every call nova makes to glance "as the user" fails in keystoneauth with
# "No valid authentication is available" (server create -> HTTP 500). The
# harness_token filter, placed right after noauth2, copies the X-Auth-Token
# header into context.auth_token (what keystonemiddleware + keystonecontext
# do). Nova's own code is untouched; the filter is loaded via PYTHONPATH.
mkdir -p "$D/lib"
cat > "$D/lib/nova_harness_noauth.py" <<'EOF'
"""nova-harness: copy X-Auth-Token into the noauth2 RequestContext."""
import webob.dec


class CopyTokenToContext(object):
    def __init__(self, app):
        self.app = app

    @classmethod
    def factory(cls, global_config, **local_config):
        return cls

    @webob.dec.wsgify
    def __call__(self, req):
        ctx = req.environ.get('nova.context')
        token = req.headers.get('X-Auth-Token')
        if ctx is not None and token and not ctx.auth_token:
            ctx.auth_token = token
        # noauth2 makes an admin context without roles; Nova's role-based
        # policy defaults (enforced since 2023.1) then refuse admin APIs.
        if ctx is not None and ctx.is_admin and 'admin' not in (ctx.roles or []):
            ctx.roles = list(ctx.roles or []) + ['admin', 'member', 'reader']
        return req.get_response(self.app)
EOF
sed -e 's/ noauth2 osapi_compute_app_v21/ noauth2 harness_token osapi_compute_app_v21/' \
    -e 's/ noauth2 legacy_v2_compatible/ noauth2 harness_token legacy_v2_compatible/' \
    /etc/nova/api-paste.ini > "$D/etc/nova/api-paste.ini"
printf '\n[filter:harness_token]\npaste.filter_factory = nova_harness_noauth:CopyTokenToContext.factory\n' >> "$D/etc/nova/api-paste.ini"
grep -q 'noauth2 harness_token osapi_compute_app_v21' "$D/etc/nova/api-paste.ini" || die "api-paste.ini rewrite failed"

# Same entry point as Debian's /usr/bin/nova-compute (package nova-compute, not
# installed because it depends on libvirt/qemu).
cat > "$D/bin/nova-compute" <<'EOF'
#!/usr/bin/python3
import sys
from nova.cmd.compute import main
if __name__ == "__main__":
    sys.exit(main())
EOF
chmod +x "$D/bin/nova-compute"



# ---------------------------------------------------------------- DB schemas (in parallel, in the background)
NOVA_CONF="--config-file $D/etc/nova/nova.conf --config-file $D/etc/nova/nova-db.conf"
(
  placement-manage --config-file "$D/etc/placement/placement.conf" db sync > "$D/log/placement-dbsync.out" 2>&1 || exit 11
) & P1=$!
(
  glance-manage --config-file "$D/etc/glance/glance-api.conf" db_sync > "$D/log/glance-dbsync.out" 2>&1 || exit 12
) & P2=$!
(
  neutron-db-manage --config-file "$D/etc/neutron/neutron.conf" upgrade heads > "$D/log/neutron-dbsync.out" 2>&1 || exit 13
) & P3=$!
(
  set -e
  exec > "$D/log/nova-dbsync.out" 2>&1
  nova-manage $NOVA_CONF api_db sync
  nova-manage $NOVA_CONF cell_v2 map_cell0 --database_connection "$(dburl nova_cell0)"
  nova-manage $NOVA_CONF cell_v2 create_cell --name cell1 --verbose
  nova-manage $NOVA_CONF db sync
) & P4=$!
# ---------------------------------------------------------------- keystone (optional, while the syncs run)
if [ "$AUTH" = keystone ]; then
  . "$HERE/keystone.inc.sh"
fi
for p in $P1 $P2 $P3 $P4; do wait $p || die "a db sync failed (exit $?), see $D/log/*-dbsync.out"; done
log "databases synced"
wait_for rabbitmq 90 $PY -c "import amqp; c = amqp.Connection('$IP:$RABBIT_PORT', userid='guest', password='guest'); c.connect(); c.close()"

# ---------------------------------------------------------------- services
export OS_PLACEMENT_CONFIG_DIR=$D/etc/placement
# uwsgi's plain http-socket does not do keep-alive: without "Connection: close"
# the clients (keystoneauth/requests) reuse pooled connections that uwsgi has
# already closed -> "Connection reset by peer" (104) -> keystoneauth retries
# after 0.5 s, 1 s, 2 s... which made every claim in nova-compute take seconds.
# (Debian's own placement-api-uwsgi.ini adds the same header.) --http11-socket
# would keep connections alive but ties one uwsgi thread to each idle client.
start placement-api /usr/bin/uwsgi_python3 --master --die-on-term --need-app --lazy-apps \
  --http-socket "$IP:$PLACEMENT_PORT" --add-header 'Connection: close' \
  --enable-threads --processes 1 --threads 8 --buffer-size 65535 \
  --wsgi-file /usr/bin/placement-api
start glance-api /usr/bin/glance-api --config-file "$D/etc/glance/glance-api.conf" --log-file "$D/log/glance-api.log"
start neutron-server /usr/bin/neutron-server --config-file "$D/etc/neutron/neutron.conf" --log-file "$D/log/neutron-server.log"
start nova-conductor /usr/bin/nova-conductor $NOVA_CONF --log-file "$D/log/nova-conductor.log"
start nova-scheduler /usr/bin/nova-scheduler $NOVA_CONF --log-file "$D/log/nova-scheduler.log"
start nova-api env PYTHONPATH="$D/lib" /usr/bin/nova-api $NOVA_CONF --log-file "$D/log/nova-api.log"

if [ "$AUTH" = keystone ]; then
  get_token   # from keystone.inc.sh: admin token, project admin
else
  TOKEN=admin:admin
fi
H=(-H "X-Auth-Token: $TOKEN" -H "Content-Type: application/json")

wait_for placement-api 60 http_ok "http://$IP:$PLACEMENT_PORT/"
# compute needs placement up, so start it now
start nova-compute "$D/bin/nova-compute" --config-file "$D/etc/nova/nova.conf" --log-file "$D/log/nova-compute.log"
wait_for glance-api 90 http_ok "http://$IP:$GLANCE_PORT/versions"
# Warm-up: the FIRST request served by a fresh neutron API worker must not be
# GET /v2.0/ports: db_base_plugin_v2.get_ports touches models_v2.Port.port_forwardings,
# a SQLAlchemy backref that only exists once the mappers are configured (by any
# earlier ORM query). GET /v2.0/networks does that; after it /ports works.
wait_for neutron-server 90 http_ok "${H[@]}" "http://$IP:$NEUTRON_PORT/v2.0/networks"
wait_for neutron-ports 30 http_ok "${H[@]}" "http://$IP:$NEUTRON_PORT/v2.0/ports"
wait_for nova-api 90 http_ok "${H[@]}" "http://$IP:$NOVA_PORT/v2.1/flavors"

compute_up() {
  curl -s --max-time 5 "${H[@]}" "http://$IP:$NOVA_PORT/v2.1/os-services?binary=nova-compute" \
    | jq -e '.services[] | select(.state=="up")' >/dev/null
}
wait_for nova-compute 120 compute_up
hyp_ok() { # compute node reported its inventory to placement (so its DB record exists too)
  local rp
  rp=$(curl -s --max-time 5 "${H[@]}" "http://$IP:$PLACEMENT_PORT/resource_providers" | jq -r '.resource_providers[0].uuid // empty')
  [ -n "$rp" ] || return 1
  curl -s --max-time 5 "${H[@]}" "http://$IP:$PLACEMENT_PORT/resource_providers/$rp/inventories" | jq -e '.inventories.VCPU' >/dev/null
}
wait_for hypervisor 120 hyp_ok
# map the compute host into cell1 (what [scheduler]discover_hosts_in_cells_interval would do periodically)
nova-manage $NOVA_CONF cell_v2 discover_hosts --verbose > "$D/log/discover-hosts.out" 2>&1 || die "discover_hosts failed"
curl -s --max-time 5 "${H[@]}" "http://$IP:$NOVA_PORT/v2.1/os-hypervisors" | jq -e '.hypervisors | length > 0' >/dev/null \
  || die "os-hypervisors is empty after discover_hosts"
log "compute host mapped to cell1"

# ---------------------------------------------------------------- flavors + images
NOVA=http://$IP:$NOVA_PORT/v2.1
for spec in "1 m1.tiny 1 512 1" "2 m1.small 1 2048 20" "3 m1.medium 2 4096 40"; do
  set -- $spec
  if ! curl -sf "${H[@]}" "$NOVA/flavors/$1" >/dev/null; then
    curl -sf "${H[@]}" -X POST "$NOVA/flavors" \
      -d "{\"flavor\": {\"id\": \"$1\", \"name\": \"$2\", \"vcpus\": $3, \"ram\": $4, \"disk\": $5}}" >/dev/null \
      || die "flavor $2 creation failed"
  fi
done
log "flavors created"

GLANCE=http://$IP:$GLANCE_PORT
dd if=/dev/zero of="$D/zero-1MiB.img" bs=1M count=1 status=none
mkimage() { # mkimage NAME -> prints id
  local id
  id=$(curl -sf "${H[@]}" -X POST "$GLANCE/v2/images" \
        -d "{\"name\": \"$1\", \"disk_format\": \"raw\", \"container_format\": \"bare\", \"visibility\": \"public\"}" | jq -r .id) \
    || die "image $1 create failed"
  curl -sf -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/octet-stream' -X PUT \
    --data-binary @"$D/zero-1MiB.img" "$GLANCE/v2/images/$id/file" >/dev/null || die "image $1 upload failed"
  echo "$id"
}
IMAGE_A=$(mkimage harness-image-a)
IMAGE_B=$(mkimage harness-image-b)
for id in $IMAGE_A $IMAGE_B; do
  st=$(curl -sf "${H[@]}" "$GLANCE/v2/images/$id" | jq -r .status)
  [ "$st" = active ] || die "image $id status $st"
done
log "images created: $IMAGE_A $IMAGE_B"

# ---------------------------------------------------------------- env.sh + clouds.yaml
if [ "$AUTH" = keystone ]; then
  cat > "$D/clouds.yaml" <<EOF
clouds:
  nova-harness:
    auth_type: password
    auth:
      auth_url: $KS_URL/v3
      username: admin
      password: $ADMIN_PASSWORD
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: public
    identity_api_version: 3
EOF
else
  cat > "$D/clouds.yaml" <<EOF
clouds:
  nova-harness:
    auth_type: admin_token
    auth:
      endpoint: http://$IP:$NOVA_PORT/v2.1
      token: admin:admin
    compute_endpoint_override: http://$IP:$NOVA_PORT/v2.1
    image_endpoint_override: http://$IP:$GLANCE_PORT
    placement_endpoint_override: http://$IP:$PLACEMENT_PORT
    network_endpoint_override: http://$IP:$NEUTRON_PORT
EOF
fi

{
  echo "export NOVA_HARNESS_DIR=$D"
  echo "export NOVA_HARNESS_AUTH=$AUTH"
  echo "export NOVA_HARNESS_COMPUTE_URL=http://$IP:$NOVA_PORT/v2.1"
  echo "export NOVA_HARNESS_IMAGE_URL=http://$IP:$GLANCE_PORT"
  echo "export NOVA_HARNESS_PLACEMENT_URL=http://$IP:$PLACEMENT_PORT"
  echo "export NOVA_HARNESS_NETWORK_URL=http://$IP:$NEUTRON_PORT"
  if [ "$AUTH" = keystone ]; then
    echo "export NOVA_HARNESS_IDENTITY_URL=$KS_URL/v3"
    echo "export OS_AUTH_URL=$KS_URL/v3"
    echo "export OS_USERNAME=admin OS_PASSWORD=$ADMIN_PASSWORD OS_PROJECT_NAME=admin"
    echo "export OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_IDENTITY_API_VERSION=3 OS_REGION_NAME=RegionOne"
  else
    echo "# noauth2: send X-Auth-Token: <user>:<project>; user 'admin' is admin"
    echo "export NOVA_HARNESS_TOKEN=admin:admin"
  fi
  echo "export NOVA_HARNESS_IMAGE_A=$IMAGE_A"
  echo "export NOVA_HARNESS_IMAGE_B=$IMAGE_B"
  echo "export NOVA_HARNESS_FLAVOR=1"
  echo "export OS_CLIENT_CONFIG_FILE=$D/clouds.yaml"
  echo "export OS_CLOUD=nova-harness"
} > "$D/env.sh"
cat "$D/env.sh"
log "up: done"
