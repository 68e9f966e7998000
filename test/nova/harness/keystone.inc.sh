# [reform] Copied verbatim (except this line) from the project's Nova harness, /work/shared/openstack-nova/keystone.inc.sh (see docs/nova-integration.md); sourced by up.sh.
# Sourced by up.sh when NOVA_HARNESS_AUTH=keystone (not meant to run alone).
# Keystone from Debian's python3-keystone: sqlite-free (MariaDB db "keystone"),
# fernet tokens, `keystone-manage bootstrap`, served by uwsgi on 127.0.0.1.
# Defines get_token (sets $TOKEN to an admin-scoped token).

cat > "$D/etc/keystone/keystone.conf" <<EOF
[DEFAULT]
$OS_LOG
log_file = $D/log/keystone.log
[database]
connection = $(dburl keystone)
[token]
provider = fernet
expiration = 86400
[fernet_tokens]
key_repository = $D/keystone/fernet-keys/
[fernet_receipts]
key_repository = $D/keystone/fernet-keys/
[credential]
key_repository = $D/keystone/credential-keys/
[cache]
# without a cache every token validation runs ~450 SQL queries (2+ s here);
# an in-process dogpile memory cache is fine for a single keystone process
enabled = true
backend = dogpile.cache.memory
[identity]
# bcrypt's default 12 rounds make every password auth cost ~0.7 s on this
# machine (each service fetches tokens with its password); 4 is bcrypt's minimum
password_hash_rounds = 4
EOF
chmod 700 "$D/keystone/fernet-keys" "$D/keystone/credential-keys"
KSM="keystone-manage --config-file $D/etc/keystone/keystone.conf"
$KSM db_sync > "$D/log/keystone-dbsync.out" 2>&1 || die "keystone db_sync failed: $D/log/keystone-dbsync.out"
$KSM fernet_setup --keystone-user root --keystone-group root >> "$D/log/keystone-dbsync.out" 2>&1 || die "fernet_setup failed"
$KSM credential_setup --keystone-user root --keystone-group root >> "$D/log/keystone-dbsync.out" 2>&1 || die "credential_setup failed"
$KSM bootstrap --bootstrap-password "$ADMIN_PASSWORD" \
  --bootstrap-username admin --bootstrap-project-name admin --bootstrap-role-name admin \
  --bootstrap-service-name keystone --bootstrap-region-id RegionOne \
  --bootstrap-admin-url "$KS_URL/v3" --bootstrap-internal-url "$KS_URL/v3" --bootstrap-public-url "$KS_URL/v3" \
  >> "$D/log/keystone-dbsync.out" 2>&1 || die "keystone bootstrap failed"
log "keystone db + fernet keys + bootstrap done"

OS_KEYSTONE_CONFIG_DIR=$D/etc/keystone OS_KEYSTONE_CONFIG_FILES=keystone.conf \
start keystone /usr/bin/uwsgi_python3 --master --die-on-term --need-app --lazy-apps \
  --http-socket "$IP:$KEYSTONE_PORT" --add-header 'Connection: close' \
  --enable-threads --processes 1 --threads 8 --buffer-size 65535 \
  --env "OS_KEYSTONE_CONFIG_DIR=$D/etc/keystone" --env "OS_KEYSTONE_CONFIG_FILES=keystone.conf" \
  --wsgi-file /usr/bin/keystone-wsgi-public
wait_for keystone 60 http_ok "$KS_URL/v3"

get_token() { # get_token [user] [password] [project] -> $TOKEN
  local u=${1:-admin} p=${2:-$ADMIN_PASSWORD} pr=${3:-admin}
  TOKEN=$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' -X POST "$KS_URL/v3/auth/tokens" -d "{
    \"auth\": {\"identity\": {\"methods\": [\"password\"], \"password\": {\"user\": {\"name\": \"$u\",
      \"domain\": {\"id\": \"default\"}, \"password\": \"$p\"}}},
      \"scope\": {\"project\": {\"name\": \"$pr\", \"domain\": {\"id\": \"default\"}}}}}" \
    | awk -F': ' 'tolower($1)=="x-subject-token"{print $2}' | tr -d '\r')
  [ -n "$TOKEN" ] || die "could not get a keystone token for $u"
}
get_token
KH=(-s -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/json')
ks() { # ks METHOD PATH [JSON] -> body on stdout
  if [ -n "${3:-}" ]; then curl "${KH[@]}" -X "$1" "$KS_URL/v3$2" -d "$3"; else curl "${KH[@]}" -X "$1" "$KS_URL/v3$2"; fi
}
SERVICE_PROJECT=$(ks POST /projects '{"project": {"name": "service", "domain_id": "default"}}' | jq -r .project.id)
ADMIN_ROLE=$(ks GET '/roles?name=admin' | jq -r '.roles[0].id')
# keystone-manage bootstrap creates the "service" role itself since 2024.1 (Keystone 25): reuse it there.
SERVICE_ROLE=$(ks GET '/roles?name=service' | jq -r '.roles[0].id // empty')
[ -n "$SERVICE_ROLE" ] || SERVICE_ROLE=$(ks POST /roles '{"role": {"name": "service"}}' | jq -r .role.id)
[ -n "$SERVICE_PROJECT" ] && [ "$SERVICE_PROJECT" != null ] && [ "$ADMIN_ROLE" != null ] && [ "$SERVICE_ROLE" != null ] \
  || die "keystone: creating service project/roles failed"
for u in nova glance placement neutron; do
  uid=$(ks POST /users "{\"user\": {\"name\": \"$u\", \"domain_id\": \"default\", \"password\": \"$SERVICE_PASSWORD\", \"enabled\": true}}" | jq -r .user.id)
  [ -n "$uid" ] && [ "$uid" != null ] || die "keystone: user $u creation failed"
  ks PUT "/projects/$SERVICE_PROJECT/users/$uid/roles/$ADMIN_ROLE" >/dev/null
  ks PUT "/projects/$SERVICE_PROJECT/users/$uid/roles/$SERVICE_ROLE" >/dev/null
done
add_service() { # add_service NAME TYPE URL
  local sid
  sid=$(ks POST /services "{\"service\": {\"name\": \"$1\", \"type\": \"$2\", \"enabled\": true}}" | jq -r .service.id)
  [ -n "$sid" ] && [ "$sid" != null ] || die "keystone: service $1 creation failed"
  for iface in public internal admin; do
    ks POST /endpoints "{\"endpoint\": {\"service_id\": \"$sid\", \"interface\": \"$iface\", \"url\": \"$3\", \"region_id\": \"RegionOne\", \"enabled\": true}}" >/dev/null
  done
}
add_service nova compute "http://$IP:$NOVA_PORT/v2.1"
add_service glance image "http://$IP:$GLANCE_PORT"
add_service placement placement "http://$IP:$PLACEMENT_PORT"
add_service neutron network "http://$IP:$NEUTRON_PORT"
log "keystone: service project, users, roles, catalog (compute, image, placement, network) created"
