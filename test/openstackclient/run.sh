#!/usr/bin/env bash
# Runs Debian's python3-openstackclient, unchanged, against the emulator and checks its output.
# Needs: apt-get install -y --no-install-recommends python3-openstackclient; the build (npx tsc -p tsconfig.build.json).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"
pid=""
cleanup() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi; rm -rf "$work"; }
trap cleanup EXIT

if [ ! -f "$root/dist/emulator/index.js" ]; then
  (cd "$root" && npx tsc -p tsconfig.build.json --noEmitOnError false >/dev/null) || true
fi
command -v openstack >/dev/null || { echo "FAIL: the openstack CLI is not installed (apt-get install python3-openstackclient)"; exit 1; }

cat > "$work/world.yaml" <<'YAML'
openstack:
  region: RegionOne
  users:
    - { name: admin, password: Adm1n-Osc-Pw, project: demo, roles: [admin] }
  images:
    - { name: ubuntu-22.04, id: 11111111-1111-4111-8111-111111111111 }
    - { name: ubuntu-24.04, id: 22222222-2222-4222-8222-222222222222 }
  keypairs: [{ name: ops-2025 }, { name: ops-2026 }]
  servers:
    - { name: web-1, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: web } }
    - { name: web-2, image: ubuntu-22.04, keyPair: ops-2025 }
YAML

node "$here/start-emulator.mjs" "$work/world.yaml" > "$work/urls" 2> "$work/emulator.err" &
pid=$!
for _ in $(seq 1 100); do [ -s "$work/urls" ] && break; sleep 0.05; done
auth_url="$(head -n1 "$work/urls")"
[ -n "$auth_url" ] || { echo "FAIL: the emulator did not start"; cat "$work/emulator.err"; exit 1; }

cat > "$work/clouds.yaml" <<YAML
clouds:
  emu:
    auth:
      auth_url: $auth_url
      username: admin
      password: Adm1n-Osc-Pw
      project_name: demo
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    identity_api_version: 3
YAML
export OS_CLIENT_CONFIG_FILE="$work/clouds.yaml" OS_CLOUD=emu
unset OS_AUTH_URL OS_USERNAME OS_PASSWORD OS_PROJECT_NAME OS_TOKEN OS_AUTH_TYPE

failures=0
check() { # check NAME PATTERN COMMAND...
  local name="$1" pattern="$2"; shift 2
  local out
  if ! out="$("$@" 2>&1)"; then echo "FAIL: $name (exit status)"; echo "$out" | sed 's/^/    /'; failures=$((failures + 1)); return; fi
  if echo "$out" | grep -Eq -- "$pattern"; then echo "PASS: $name"; else echo "FAIL: $name (no match for $pattern)"; echo "$out" | sed 's/^/    /'; failures=$((failures + 1)); fi
}

check "server list" "web-1.*ACTIVE" openstack server list
check "server list shows both" "web-2" openstack server list -f value -c Name
check "server show" "ops-2025" openstack server show web-1
check "server show status" "^ACTIVE$" openstack server show web-1 -f value -c status
check "image list" "ubuntu-24.04" openstack image list
check "keypair list" "ops-2026" openstack keypair list
check "server rebuild --wait" "22222222-2222-4222-8222-222222222222|ubuntu-24.04" openstack server rebuild --image ubuntu-24.04 --wait web-1
check "image after rebuild" "ubuntu-24.04|22222222-2222-4222-8222-222222222222" openstack server show web-1 -f value -c image
check "server reboot --wait" "" openstack server reboot --wait web-2
check "status after reboot" "^ACTIVE$" openstack server show web-2 -f value -c status
check "rebuild at 2.57 with key" "ops-2026" openstack --os-compute-api-version 2.57 server rebuild --image ubuntu-22.04 --key-name ops-2026 --wait web-2
check "key after rebuild" "^ops-2026$" openstack server show web-2 -f value -c key_name

if [ "$failures" -ne 0 ]; then echo "$failures check(s) failed"; exit 1; fi
echo "all openstackclient checks passed"
