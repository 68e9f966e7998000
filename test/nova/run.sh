#!/bin/bash
# Integration suite: reform (the built CLI, `node bin/reform.js`) against a REAL
# OpenStack Nova "Zed" (Debian 12 packages, fake virt driver, Keystone auth) on
# loopback, started by the harness copied into test/nova/harness/.
#
# Run after `npm ci && npm run build`, as root, on Debian 12 (`npm run test:nova`).
#   REFORM_NOVA_SKIP_INSTALL=1  do not run harness/install.sh (packages already there)
#   REFORM_NOVA_KEEP=1          keep the state dir (logs, DB) after a passing run
#   REFORM_NOVA_DEBUG=1         run reform with --debug (HTTP exchanges, secrets redacted)
# Prints PASS/FAIL per check, "N passed, M failed", timings; exits non-zero on any failure.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"
T_ALL=$(now)
REFORM_DEBUG_FLAG=$([ "${REFORM_NOVA_DEBUG:-0}" = 1 ] && echo --debug || true)

[ -f "$REPO/dist/cli/main.js" ] || { say "FAIL: $REPO/dist is missing: run npm run build first"; exit 1; }
# fail fast (before the 1-minute harness start) when the CLI cannot even load
VERSION_OUT=$(node "$REPO/bin/reform.js" --version 2>&1) || { say "FAIL: node bin/reform.js --version:"; say "$VERSION_OUT" | indent; exit 1; }
say "reform $VERSION_OUT"

# ------------------------------------------------------------------ harness
if [ "${REFORM_NOVA_SKIP_INSTALL:-0}" != 1 ]; then
  t=$(now); bash "$HERE/harness/install.sh"; timing "harness install.sh" "$(since "$t")"
fi
FROZEN=
STATE=$(mktemp -d /tmp/reform-nova-XXXXXX)
W=$STATE/reform-work           # up.sh wipes $STATE, so the work dir is created after it
export NOVA_HARNESS_DIR=$STATE/harness NOVA_HARNESS_AUTH=keystone
# random passwords: the secret scan below looks for them in everything reform printed or wrote
NOVA_HARNESS_ADMIN_PASSWORD=adm-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
NOVA_HARNESS_SERVICE_PASSWORD=svc-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
export NOVA_HARNESS_ADMIN_PASSWORD NOVA_HARNESS_SERVICE_PASSWORD

cleanup() {
  local rc=$?
  set +e
  [ -n "${FROZEN:-}" ] && kill -CONT -- "-$FROZEN"
  if [ -d "$NOVA_HARNESS_DIR/pids" ]; then
    t=$(now); bash "$HERE/harness/down.sh" >/dev/null 2>&1; say "harness stopped (down.sh, $(since "$t")s)"
  fi
  if [ "$rc" -eq 0 ] && [ "${REFORM_NOVA_KEEP:-0}" != 1 ]; then
    rm -rf "$STATE"
  else
    say "state kept in $STATE (harness logs: $NOVA_HARNESS_DIR/log, reform output: $W/out)"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# the standard ports when they are free, otherwise free ephemeral ones (a shared machine)
for var in NOVA:8774 GLANCE:9292 PLACEMENT:8778 NEUTRON:9696 KEYSTONE:5000 RABBIT:5672 RABBIT_DIST:25672 EPMD:4369; do
  name=${var%%:*} port=${var##*:}
  if port_taken "$port"; then port=$(free_port); say "port ${var##*:} is taken: NOVA_HARNESS_${name}_PORT=$port"; fi
  export "NOVA_HARNESS_${name}_PORT=$port"
done

say "== starting the Nova harness (keystone) in $NOVA_HARNESS_DIR"
t=$(now)
if ! bash "$HERE/harness/up.sh" > "$STATE/up.out" 2>&1; then
  tail -n 30 "$STATE/up.out" | indent
  say "FAIL: harness up.sh"; say "0 passed, 1 failed"; exit 1
fi
timing "harness up.sh (keystone)" "$(since "$t")"
grep '^\[up.sh' "$STATE/up.out" | tail -n 1 | indent
. "$NOVA_HARNESS_DIR/env.sh"
CLOUDS_YAML=$OS_CLIENT_CONFIG_FILE
CLOUD=$OS_CLOUD
mkdir -p "$W/out"
keystone_token || { say "FAIL: no Keystone token"; exit 1; }

# ------------------------------------------------------------------ cloud preparation through the API
say "== preparing the cloud: 2 key pairs, 3 servers with image A"
for k in reform-kp1 reform-kp2; do
  ssh-keygen -q -t ed25519 -N '' -C "$k" -f "$W/$k" >/dev/null
  api POST /os-keypairs 2.92 "$(jq -n --arg n "$k" --arg p "$(cat "$W/$k.pub")" '{keypair: {name: $n, public_key: $p}}')"
  [ "$CODE" = 201 ] || [ "$CODE" = 200 ] || { say "FAIL: keypair $k import -> HTTP $CODE $(head -c 300 "$W/body")"; exit 1; }
done
UD1=$'#!/bin/sh\necho first boot\n'
UD2=$'#cloud-config\nruncmd:\n  - echo rebuilt by reform\n'
declare -A ID
boot() { # boot NAME METADATA_JSON
  api POST /servers 2.57 "$(jq -n --arg n "$1" --arg img "$NOVA_HARNESS_IMAGE_A" --arg fl "$NOVA_HARNESS_FLAVOR" \
    --arg ud "$(b64 "$UD1")" --argjson md "$2" \
    '{server: {name: $n, imageRef: $img, flavorRef: $fl, key_name: "reform-kp1", networks: "none", metadata: $md, user_data: $ud}}')"
  [ "$CODE" = 202 ] || { say "FAIL: boot $1 -> HTTP $CODE $(head -c 300 "$W/body")"; exit 1; }
  ID[$1]=$(jq -r .server.id "$W/body")
}
t=$(now)
boot reform-nova-1 '{"role": "web", "owner": "team-a", "cost-center": "cc-1"}'
boot reform-nova-2 '{"role": "db", "owner": "team-b"}'
boot reform-nova-3 '{"role": "cache", "owner": "team-c"}'
wait_active '^reform-nova-' 3 120 || { say "FAIL: the 3 servers did not become ACTIVE"; exit 1; }
timing "boot 3 servers (POST -> all ACTIVE)" "$(since "$t")"
S1=${ID[reform-nova-1]} S2=${ID[reform-nova-2]} S3=${ID[reform-nova-3]}
say "   servers: reform-nova-1=$S1 reform-nova-2=$S2 reform-nova-3=$S3"

# ------------------------------------------------------------------ fleet file
write_fleet() { # write_fleet REBOOT_TOKEN
  cat > "$W/fleet.yaml" <<EOF
# written by test/nova/run.sh
providers:
  nova: { type: openstack, cloud: $CLOUD }
instances:
  - provider: nova
    name: reform-nova-1        # image B + key 2 + new user_data + metadata: a rebuild
    spec:
      image: { name: harness-image-b }
      keyPair: reform-kp2
      userData: { inline: $(jq -n --arg s "$UD2" '$s') }
      metadata: { role: web-v2, tier: frontend }
  - provider: nova
    name: reform-nova-2        # metadata only: update-metadata, no rebuild
    spec:
      image: { name: harness-image-a }
      keyPair: reform-kp1
      metadata: { role: db-v2 }
  - provider: nova
    name: reform-nova-3        # a reboot token
    spec:
      image: { name: harness-image-a }
      keyPair: reform-kp1
      metadata: { role: cache }
      reboot: { token: "$1", type: SOFT }
EOF
}
write_fleet token-1
A1=nova/reform-nova-1 A2=nova/reform-nova-2 A3=nova/reform-nova-3

# ------------------------------------------------------------------ reform, round 1
say "== reform round 1: rebuild, update-metadata, adopt"
reform validate validate -c fleet.yaml
check "validate exits 0" test "$RC" = 0
reform plan1-exitcode plan -c fleet.yaml --detailed-exitcode
check "plan --detailed-exitcode exits 2 (changes present)" test "$RC" = 2
reform plan1-json plan -c fleet.yaml --output json
P=$W/out/plan1-json.out
check "plan --output json exits 0 and prints a plan document" jq -e '.format_version and (.changes | type == "array")' "$P"
check "plan: reform-nova-1 is a rebuild with impact reprovision" \
  jq -e --arg a "$A1" '[.changes[] | select(.address == $a)][0] | .impact == "reprovision" and ([.steps[].kind] | index("rebuild") != null)' "$P"
check "plan: reform-nova-1 rebuild targets image B, key reform-kp2 and keeps the unmanaged metadata" \
  jq -e --arg a "$A1" --arg b "$NOVA_HARNESS_IMAGE_B" '[.changes[] | select(.address == $a)][0].steps[] | select(.kind == "rebuild") | .params
     | .image_id == $b and .key_pair == "reform-kp2" and .metadata.full.owner == "team-a" and .metadata.full["cost-center"] == "cc-1"' "$P"
check "plan: reform-nova-2's action is update-metadata (impact none)" \
  jq -e --arg a "$A2" '[.changes[] | select(.address == $a)][0] | .action == "update-metadata" and .impact == "none" and ([.steps[].kind] == ["update-metadata"])' "$P"
bulk_read_check() { # bulk_read_check LABEL: the command read the servers with list calls only
  local f=$W/out/$1.nova.txt
  check "$1: servers read in bulk (GET servers/detail: $(grep -c '^GET /v2\.1/servers/detail' "$f"), per-server GETs: $(per_server_gets "$f"))" \
    test "$(per_server_gets "$f")" = 0 -a "$(grep -c '^GET /v2\.1/servers/detail' "$f")" -ge 1
}
bulk_read_check plan1-exitcode
bulk_read_check plan1-json
check "plan: reform-nova-3 (no reboot token recorded yet) is not rebooted" \
  jq -e --arg a "$A3" '[.changes[] | select(.address == $a)] | all(.impact != "reboot" and ([.steps[]?.kind] | index("reboot") == null))' "$P"

reform apply1 apply -c fleet.yaml --auto-approve --adopt
check "apply --auto-approve --adopt exits 0" test "$RC" = 0
for a in "$A1" "$A2" "$A3"; do
  check "apply: $a converged" grep -Eq "$a: converged" "$W/out/apply1.out"
done
reform plan2-exitcode plan -c fleet.yaml --detailed-exitcode
check "plan --detailed-exitcode after apply exits 0 (converged, no changes)" test "$RC" = 0

say "== checks through the Nova API (admin, microversion 2.57)"
server_json "$S1" "$W/s1.json" || true
check "server 1: same id, ACTIVE, task_state null" jq -e --arg id "$S1" '.id == $id and .status == "ACTIVE" and ."OS-EXT-STS:task_state" == null' "$W/s1.json"
check "server 1: image B" jq -e --arg b "$NOVA_HARNESS_IMAGE_B" '.image.id == $b' "$W/s1.json"
check "server 1: key pair reform-kp2" jq -e '.key_name == "reform-kp2"' "$W/s1.json"
check "server 1: OS-EXT-SRV-ATTR:user_data is the new user_data" \
  jq -e --arg ud "$UD2" '."OS-EXT-SRV-ATTR:user_data" | @base64d == $ud' "$W/s1.json"
check "server 1: managed metadata applied (role=web-v2, tier=frontend)" jq -e '.metadata.role == "web-v2" and .metadata.tier == "frontend"' "$W/s1.json"
check "server 1: unmanaged metadata kept (owner=team-a, cost-center=cc-1)" jq -e '.metadata.owner == "team-a" and .metadata["cost-center"] == "cc-1"' "$W/s1.json"
ACT1=$(instance_actions "$S1" | paste -sd, -)
check "server 1: Nova recorded one rebuild (instance actions: $ACT1)" test "$ACT1" = create,rebuild
server_json "$S2" "$W/s2.json" || true
check "server 2: same id, ACTIVE, still image A and key reform-kp1" \
  jq -e --arg id "$S2" --arg a "$NOVA_HARNESS_IMAGE_A" '.id == $id and .status == "ACTIVE" and .image.id == $a and .key_name == "reform-kp1"' "$W/s2.json"
check "server 2: metadata role=db-v2, unmanaged owner=team-b kept" jq -e '.metadata.role == "db-v2" and .metadata.owner == "team-b"' "$W/s2.json"
check "server 2: user_data untouched" jq -e --arg ud "$UD1" '."OS-EXT-SRV-ATTR:user_data" | @base64d == $ud' "$W/s2.json"
ACT2=$(instance_actions "$S2" | paste -sd, -)
check "server 2: no rebuild and no reboot (instance actions: $ACT2)" test "$ACT2" = create
server_json "$S3" "$W/s3.json" || true
check "server 3: reboot token recorded by --adopt (reform.reboot.token=token-1)" jq -e '.metadata["reform.reboot.token"] == "token-1"' "$W/s3.json"
ACT3=$(instance_actions "$S3" | paste -sd, -)
check "server 3: not rebooted by adoption (instance actions: $ACT3)" test "$ACT3" = create

# ------------------------------------------------------------------ reform, round 2: the reboot token
say "== reform round 2: reboot token changed on reform-nova-3"
write_fleet token-2
reform plan3-exitcode plan -c fleet.yaml --detailed-exitcode
check "plan --detailed-exitcode after the token change exits 2" test "$RC" = 2
reform plan3-json plan -c fleet.yaml --output json
P=$W/out/plan3-json.out
check "plan: reform-nova-3 is a SOFT reboot with impact reboot" \
  jq -e --arg a "$A3" '[.changes[] | select(.address == $a)][0] | .action == "reboot" and .impact == "reboot" and ([.steps[] | select(.kind == "reboot") | .params.type] == ["SOFT"])' "$P"
bulk_read_check plan3-json
check "plan: the other two servers have no steps" \
  jq -e --arg a "$A3" '[.changes[] | select(.address != $a) | .steps | length] | add // 0 | . == 0' "$P"
reform apply2 apply -c fleet.yaml --auto-approve
check "apply --auto-approve exits 0" test "$RC" = 0
check "apply: $A3 converged" grep -Eq "$A3: converged" "$W/out/apply2.out"
reform plan4-exitcode plan -c fleet.yaml --detailed-exitcode
check "plan --detailed-exitcode after the reboot exits 0" test "$RC" = 0
server_json "$S3" "$W/s3b.json" || true
check "server 3: same id, ACTIVE, task_state null, reform.reboot.token=token-2" \
  jq -e --arg id "$S3" '.id == $id and .status == "ACTIVE" and ."OS-EXT-STS:task_state" == null and .metadata["reform.reboot.token"] == "token-2"' "$W/s3b.json"
ACT3=$(instance_actions "$S3" | paste -sd, -)
check "server 3: Nova recorded exactly one reboot (instance actions: $ACT3)" test "$ACT3" = create,reboot
ACT1=$(instance_actions "$S1" | paste -sd, -)
check "server 1: exactly one rebuild overall (instance actions: $ACT1)" test "$ACT1" = create,rebuild
ACT2=$(instance_actions "$S2" | paste -sd, -)
check "server 2: still no rebuild nor reboot by reform (instance actions: $ACT2)" test "$ACT2" = create

# ------------------------------------------------------------------ round 3: a server busy in Nova plans as "wait"
say "== reform round 3: reform-nova-2 mid-rebuild (started outside reform, nova-compute frozen) plans as wait"
CPID=$(cat "$NOVA_HARNESS_DIR/pids/nova-compute.pid")
kill -STOP -- "-$CPID"; FROZEN=$CPID   # our own harness's nova-compute group, by PID (cleanup sends CONT)
api POST "/servers/$S2/action" 2.57 "$(jq -n --arg a "$NOVA_HARNESS_IMAGE_A" '{rebuild: {imageRef: $a}}')"
check "out-of-band rebuild of server 2 accepted (HTTP $CODE, status $(jq -r '.server.status // empty' "$W/body"))" test "$CODE" = 202
reform plan5-json plan -c fleet.yaml --output json
check "plan: reform-nova-2 (REBUILD/rebuilding in Nova) plans as wait, with no steps" \
  jq -e --arg a "$A2" '[.changes[] | select(.address == $a)][0] | .action == "wait" and (.steps | length == 0)' "$W/out/plan5-json.out"
reform plan5-exitcode plan -c fleet.yaml --detailed-exitcode
say "      (plan --detailed-exitcode while a server waits: exit $RC)"
kill -CONT -- "-$CPID"; FROZEN=
wait_active '^reform-nova-2$' 1 60 || true
reform plan6-exitcode plan -c fleet.yaml --detailed-exitcode
check "plan --detailed-exitcode after the out-of-band rebuild (same image, fields kept) exits 0" test "$RC" = 0

# ------------------------------------------------------------------ ids, secrets
api GET '/servers/detail?name=^reform-nova-' 2.57
IDS_NOW=$(jq -r '[.servers[] | "\(.name)=\(.id)"] | sort | join(" ")' "$W/body")
IDS_BEFORE="reform-nova-1=$S1 reform-nova-2=$S2 reform-nova-3=$S3"
check "server ids unchanged, no server created or deleted ($IDS_NOW)" test "$IDS_NOW" = "$IDS_BEFORE"
leaks=$(grep -rlF -e "$NOVA_HARNESS_ADMIN_PASSWORD" -e "$NOVA_HARNESS_SERVICE_PASSWORD" -e "$TOKEN" "$W" 2>/dev/null | paste -sd' ' - || true)
check "no password or token in anything reform printed or wrote under $W${leaks:+ (found in: $leaks)}" test -z "$leaks"

# ------------------------------------------------------------------ summary
timing "total" "$(since "$T_ALL")"
say "== timings"
printf '   %s\n' "${TIMINGS[@]}"
say "$PASSES passed, $FAILS failed"
[ "$FAILS" -eq 0 ]
