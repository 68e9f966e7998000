#!/bin/bash
# [reform] Copied verbatim (except this line) from the project's Nova harness, /work/shared/openstack-nova/smoke.sh (see docs/nova-integration.md); used by test/nova/run.sh.
# Smoke test of the Nova harness started by up.sh: checks 1-7 with plain curl + jq.
# Prints PASS/FAIL per check, exits non-zero if any check failed.
#
#   NOVA_HARNESS_DIR        state dir of up.sh (default /tmp/nova-harness)
#   SMOKE_KEEP=1            keep the servers it created (default: delete them)
#   SMOKE_BULK=30           number of servers for the pagination check
#   SMOKE_OSC=0             skip the (informational) python3-openstackclient checks
set -uo pipefail
D=${NOVA_HARNESS_DIR:-/tmp/nova-harness}
[ -r "$D/env.sh" ] || { echo "no $D/env.sh: run up.sh first" >&2; exit 2; }
. "$D/env.sh"
N=$NOVA_HARNESS_COMPUTE_URL
G=$NOVA_HARNESS_IMAGE_URL
BULK=${SMOKE_BULK:-30}
W=$(mktemp -d /tmp/nova-smoke.XXXXXX)
trap 'rm -rf "$W"' EXIT
FAILS=0; PASSES=0

pass() { PASSES=$((PASSES+1)); echo "PASS: $*"; }
fail() { FAILS=$((FAILS+1)); echo "FAIL: $*"; }
info() { echo "      $*"; }
now() { date +%s.%N; }
since() { awk "BEGIN{printf \"%.2f\", $(now) - $1}"; }

# ------------------------------------------------------------------ auth
if [ "$NOVA_HARNESS_AUTH" = keystone ]; then
  TOKEN=$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' -X POST "$OS_AUTH_URL/auth/tokens" -d "{
    \"auth\": {\"identity\": {\"methods\": [\"password\"], \"password\": {\"user\": {\"name\": \"$OS_USERNAME\",
      \"domain\": {\"name\": \"$OS_USER_DOMAIN_NAME\"}, \"password\": \"$OS_PASSWORD\"}}},
      \"scope\": {\"project\": {\"name\": \"$OS_PROJECT_NAME\", \"domain\": {\"name\": \"$OS_PROJECT_DOMAIN_NAME\"}}}}}" \
    | awk -F': ' 'tolower($1)=="x-subject-token"{print $2}' | tr -d '\r')
  [ -n "$TOKEN" ] || { echo "FAIL: could not get a keystone token"; exit 1; }
else
  TOKEN=${NOVA_HARNESS_TOKEN:-admin:admin}
fi

# api METHOD PATH [MICROVERSION] [JSON-BODY] -> body in $W/body, HTTP code in $CODE
api() {
  local m=$1 path=$2 mv=${3:-2.1} body=${4:-}
  local args=(-s -o "$W/body" -w '%{http_code}' -X "$m" -H "X-Auth-Token: $TOKEN"
              -H "OpenStack-API-Version: compute $mv" -H "X-OpenStack-Nova-API-Version: $mv")
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' -d "$body")
  CODE=$(curl "${args[@]}" "$N$path")
}
state() { # state SERVER_ID -> "STATUS task_state vm_state"
  api GET "/servers/$1" 2.57
  jq -r '.server | "\(.status) \(."OS-EXT-STS:task_state") \(."OS-EXT-STS:vm_state")"' "$W/body" 2>/dev/null
}
# watch SERVER_ID TARGET_STATUS TIMEOUT LABEL: poll every 0.2 s, record state
# sequence (with durations) into $W/seq, return 0 when status==TARGET and no task_state
watch() {
  local id=$1 target=$2 timeout=$3 label=$4 t0 prev="" cur tprev end
  t0=$(now); tprev=$t0; end=$(awk "BEGIN{print $t0 + $timeout}")
  : > "$W/seq"
  while :; do
    cur=$(state "$id")
    if [ "$cur" != "$prev" ]; then
      [ -n "$prev" ] && echo "$prev for $(awk "BEGIN{printf \"%.2f\", $(now) - $tprev}")s" >> "$W/seq"
      prev=$cur; tprev=$(now)
    fi
    if [ "$cur" = "$target None $(vm_for "$target")" ] || [ "$cur" = "$target null $(vm_for "$target")" ]; then
      echo "$cur (final, reached after $(since "$t0")s)" >> "$W/seq"
      { echo "## $label"; cat "$W/seq"; } >> "$D/smoke-transitions.txt"
      return 0
    fi
    if awk "BEGIN{exit !($(now) > $end)}"; then
      echo "$cur (TIMEOUT after ${timeout}s)" >> "$W/seq"
      { echo "## $label"; cat "$W/seq"; } >> "$D/smoke-transitions.txt"
      return 1
    fi
    sleep 0.2
  done
}
vm_for() { case $1 in ACTIVE) echo active;; SHUTOFF) echo stopped;; ERROR) echo error;; *) echo '?';; esac; }
seq_str() { sed 's/ for .*//; s/ (final.*//; s/ (TIMEOUT.*//' "$W/seq" | awk '{print $1"/"$2}' | paste -sd' ' | sed 's# #  ->  #g'; }
: > "$D/smoke-transitions.txt"

b64() { printf '%s' "$1" | base64 -w0; }

# cleanup of an earlier smoke run
api GET "/servers?name=^smoke-" 2.1
for id in $(jq -r '.servers[]?.id' "$W/body"); do api DELETE "/servers/$id"; done

# ------------------------------------------------------------------ 1. flavors + images
api GET /flavors
nflav=$(jq '.flavors | length' "$W/body" 2>/dev/null || echo 0)
if [ "$CODE" = 200 ] && [ "$nflav" -eq 0 ]; then
  api POST /flavors 2.1 '{"flavor": {"name": "smoke.tiny", "vcpus": 1, "ram": 512, "disk": 1}}'
  api GET /flavors; nflav=$(jq '.flavors | length' "$W/body")
fi
FLAVOR=$(jq -r '.flavors[0].id' "$W/body")
[ -n "${NOVA_HARNESS_FLAVOR:-}" ] && FLAVOR=$NOVA_HARNESS_FLAVOR
imgs=$(curl -s -H "X-Auth-Token: $TOKEN" "$G/v2/images?status=active")
IMAGE_A=${NOVA_HARNESS_IMAGE_A:-$(echo "$imgs" | jq -r '.images[0].id')}
IMAGE_B=${NOVA_HARNESS_IMAGE_B:-$(echo "$imgs" | jq -r '.images[1].id')}
nimg=$(echo "$imgs" | jq --arg a "$IMAGE_A" --arg b "$IMAGE_B" '[.images[] | select(.id==$a or .id==$b) | select(.disk_format=="raw" and .container_format=="bare")] | length')
if [ "$CODE" = 200 ] && [ "$nflav" -gt 0 ] && [ "$nimg" = 2 ]; then
  pass "1 flavors ($nflav, using $FLAVOR) and 2 active raw/bare glance images ($IMAGE_A, $IMAGE_B)"
else
  fail "1 flavors=$nflav (HTTP $CODE) images found=$nimg"
fi

# ------------------------------------------------------------------ 2. keypairs
for k in kp1 kp2; do
  api DELETE "/os-keypairs/$k" >/dev/null
  ssh-keygen -q -t ed25519 -N '' -C "$k" -f "$W/$k" >/dev/null
done
ok=1
for k in kp1 kp2; do
  api POST /os-keypairs 2.92 "{\"keypair\": {\"name\": \"$k\", \"public_key\": \"$(cat "$W/$k.pub")\"}}"
  [ "$CODE" = 201 ] || [ "$CODE" = 200 ] || { ok=0; info "import $k -> HTTP $CODE $(head -c 300 "$W/body")"; }
done
api GET /os-keypairs 2.92
if [ $ok = 1 ] && [ "$(jq '[.keypairs[].keypair.name | select(.=="kp1" or .=="kp2")] | length' "$W/body")" = 2 ]; then
  pass "2 imported keypairs kp1, kp2 (ssh-keygen ed25519 public keys)"
else
  fail "2 keypairs"
fi

# ------------------------------------------------------------------ 3. boot
UD1=$(b64 $'#!/bin/sh\necho first boot\n')
t=$(now)
api POST /servers 2.57 "{\"server\": {\"name\": \"smoke-main\", \"imageRef\": \"$IMAGE_A\", \"flavorRef\": \"$FLAVOR\",
  \"key_name\": \"kp1\", \"networks\": \"none\", \"metadata\": {\"role\": \"web\"}, \"user_data\": \"$UD1\"}}"
SID=$(jq -r '.server.id // empty' "$W/body")
if [ "$CODE" = 202 ] && [ -n "$SID" ] && watch "$SID" ACTIVE 60 "boot (POST /servers, networks=none)"; then
  api GET "/servers/$SID" 2.57
  if jq -e --arg a "$IMAGE_A" '.server | .image.id==$a and .key_name=="kp1" and .metadata.role=="web"' "$W/body" >/dev/null; then
    pass "3 boot: ACTIVE in $(since "$t")s, image A, kp1, metadata role=web  [$(seq_str)]"
  else
    fail "3 boot: ACTIVE but attributes wrong: $(jq -c '.server | [.image, .key_name, .metadata]' "$W/body")"
  fi
else
  fail "3 boot: HTTP $CODE id=$SID $(head -c 300 "$W/body") $(cat "$W/seq" 2>/dev/null | tr '\n' ' ')"
fi

# ------------------------------------------------------------------ 4. rebuild (2.57)
UD2=$(b64 $'#!/bin/sh\necho rebuilt\n')
t=$(now)
api POST "/servers/$SID/action" 2.57 "{\"rebuild\": {\"imageRef\": \"$IMAGE_B\", \"key_name\": \"kp2\",
  \"user_data\": \"$UD2\", \"metadata\": {\"role\": \"db\", \"rebuilt\": \"yes\"}}}"
rcode=$CODE; rstatus=$(jq -r '.server.status // empty' "$W/body")
if [ "$rcode" = 202 ] && watch "$SID" ACTIVE 60 "rebuild (2.57, image B, kp2, new user_data + metadata)"; then
  seen_rebuild=no
  { [ "$rstatus" = REBUILD ] || grep -q '^REBUILD' "$W/seq"; } && seen_rebuild=yes
  api GET "/servers/$SID" 2.57
  if [ $seen_rebuild = yes ] && jq -e --arg b "$IMAGE_B" --arg ud "$UD2" '.server | .image.id==$b and .key_name=="kp2"
        and .metadata=={"role":"db","rebuilt":"yes"} and ."OS-EXT-SRV-ATTR:user_data"==$ud' "$W/body" >/dev/null; then
    pass "4 rebuild: 202 (response status $rstatus), back to ACTIVE in $(since "$t")s; image B, kp2, new metadata, OS-EXT-SRV-ATTR:user_data updated  [$(seq_str)]"
  else
    fail "4 rebuild: seen REBUILD=$seen_rebuild; server now $(jq -c '.server | [.status, .image.id, .key_name, .metadata, ."OS-EXT-SRV-ATTR:user_data"]' "$W/body")"
  fi
else
  fail "4 rebuild: HTTP $rcode $(head -c 300 "$W/body") $(cat "$W/seq" | tr '\n' ' ')"
fi

# ------------------------------------------------------------------ 5. reboot / stop / start / metadata
act() { # act LABEL JSON EXPECT_TRANSIENT_STATUS FINAL_STATUS
  local label=$1 body=$2 transient=$3 final=$4 t
  t=$(now)
  api POST "/servers/$SID/action" 2.57 "$body"
  if [ "$CODE" = 202 ] && watch "$SID" "$final" 60 "$label"; then
    if grep -q "^$transient" "$W/seq" || [ "$transient" = - ]; then
      pass "5 $label: 202, $final after $(since "$t")s  [$(seq_str)]"
    else
      # too fast for the 0.2 s poll: the transient state was not sampled
      pass "5 $label: 202, $final after $(since "$t")s (transient $transient not sampled by the 0.2 s poll)  [$(seq_str)]"
    fi
  else
    fail "5 $label: HTTP $CODE $(head -c 200 "$W/body") $(tr '\n' ' ' < "$W/seq")"
  fi
}
act "reboot SOFT" '{"reboot": {"type": "SOFT"}}' REBOOT ACTIVE
act "reboot HARD" '{"reboot": {"type": "HARD"}}' HARD_REBOOT ACTIVE
act "os-stop" '{"os-stop": null}' - SHUTOFF
act "os-start" '{"os-start": null}' - ACTIVE
api PUT "/servers/$SID/metadata" 2.57 '{"metadata": {"role": "cache", "owner": "smoke"}}'
c1=$CODE
api GET "/servers/$SID/metadata" 2.57
if [ "$c1" = 200 ] && jq -e '.metadata=={"role":"cache","owner":"smoke"}' "$W/body" >/dev/null; then
  pass "5 PUT /servers/{id}/metadata replaces metadata"
else
  fail "5 PUT metadata: HTTP $c1 now $(cat "$W/body")"
fi

# ------------------------------------------------------------------ 6. 30 servers + pagination
t=$(now); ok=1
for i in $(seq -w 1 "$BULK"); do
  api POST /servers 2.57 "{\"server\": {\"name\": \"smoke-page-$i\", \"imageRef\": \"$IMAGE_A\", \"flavorRef\": \"$FLAVOR\", \"networks\": \"none\"}}"
  [ "$CODE" = 202 ] || { ok=0; info "boot smoke-page-$i -> HTTP $CODE $(head -c 200 "$W/body")"; }
done
tpost=$(since "$t")
end=$(( $(date +%s) + 180 ))
while :; do
  api GET "/servers/detail?name=^smoke-page-&limit=1000" 2.57
  nact=$(jq '[.servers[] | select(.status=="ACTIVE")] | length' "$W/body")
  nerr=$(jq '[.servers[] | select(.status=="ERROR")] | length' "$W/body")
  [ "$nact" -ge "$BULK" ] || [ "$nerr" -gt 0 ] || [ "$(date +%s)" -gt $end ] && break
  sleep 0.2
done
tact=$(since "$t")
jq -r '.servers[].id' "$W/body" | sort > "$W/all-ids"
# paginate with limit + marker (following the "next" link, and by marker explicitly)
LIMIT=7; marker=""; pages=0; : > "$W/paged-ids"; sizes=""
while :; do
  q="/servers/detail?name=^smoke-page-&limit=$LIMIT"; [ -n "$marker" ] && q="$q&marker=$marker"
  api GET "$q" 2.57
  [ "$CODE" = 200 ] || { ok=0; info "page GET $q -> $CODE"; break; }
  n=$(jq '.servers | length' "$W/body"); sizes="$sizes $n"
  jq -r '.servers[].id' "$W/body" >> "$W/paged-ids"
  pages=$((pages+1))
  next=$(jq -r '.servers_links[]? | select(.rel=="next") | .href' "$W/body")
  [ -z "$next" ] && break
  marker=$(jq -r '.servers[-1].id' "$W/body")
  echo "$next" | grep -q "marker=$marker" || { ok=0; info "next link $next does not carry marker $marker"; }
  [ $pages -gt 50 ] && break
done
npaged=$(wc -l < "$W/paged-ids"); nuniq=$(sort -u "$W/paged-ids" | wc -l)
if [ $ok = 1 ] && [ "$nact" -ge "$BULK" ] && [ "$npaged" = "$BULK" ] && [ "$nuniq" = "$BULK" ] \
   && diff -q <(sort "$W/paged-ids") "$W/all-ids" >/dev/null; then
  pass "6 $BULK servers: POSTs took ${tpost}s, all ACTIVE after ${tact}s; /servers/detail limit=$LIMIT + marker: $pages pages (sizes:$sizes), $nuniq unique ids, no gaps"
else
  fail "6 bulk: active=$nact error=$nerr paged=$npaged unique=$nuniq pages=$pages sizes:$sizes"
fi

# ------------------------------------------------------------------ 7. errors: 409 / 400
# 7a deterministic 409: freeze nova-compute (SIGSTOP) so the first rebuild stays in
#    task_state "rebuilding", then a second rebuild must be rejected with 409.
CPID=$(cat "$D/pids/nova-compute.pid" 2>/dev/null || true)
if [ -n "$CPID" ] && kill -0 "$CPID" 2>/dev/null; then
  kill -STOP -- "-$CPID" 2>/dev/null || kill -STOP "$CPID"
  api POST "/servers/$SID/action" 2.57 "{\"rebuild\": {\"imageRef\": \"$IMAGE_A\"}}"; c1=$CODE
  st1=$(state "$SID")
  api POST "/servers/$SID/action" 2.57 "{\"rebuild\": {\"imageRef\": \"$IMAGE_A\"}}"; c2=$CODE; b2=$(head -c 200 "$W/body")
  kill -CONT -- "-$CPID" 2>/dev/null || kill -CONT "$CPID"
  watch "$SID" ACTIVE 60 "rebuild after SIGCONT of nova-compute" >/dev/null
  if [ "$c1" = 202 ] && [ "$c2" = 409 ]; then
    pass "7 rebuild while rebuilding -> 409 (first 202, state '$st1'; 2nd: $b2)"
  else
    fail "7 rebuild while rebuilding: first $c1 second $c2 $b2"
  fi
else
  fail "7 409 check: nova-compute pid not found in $D/pids"
fi
# 7b natural race: two rebuilds back to back, no freezing (informational)
api POST "/servers/$SID/action" 2.57 "{\"rebuild\": {\"imageRef\": \"$IMAGE_B\"}}"; c1=$CODE
api POST "/servers/$SID/action" 2.57 "{\"rebuild\": {\"imageRef\": \"$IMAGE_B\"}}"; c2=$CODE
info "back-to-back rebuilds without freezing compute: $c1 then $c2 (409 expected unless compute finished first)"
watch "$SID" ACTIVE 60 "back-to-back rebuild" >/dev/null
api POST "/servers/$SID/action" 2.57 '{"rebuild": {"imageRef": "00000000-1111-2222-3333-444444444444"}}'
if [ "$CODE" = 400 ]; then
  pass "7 rebuild with unknown image -> 400 ($(head -c 120 "$W/body"))"
else
  fail "7 rebuild with unknown image -> HTTP $CODE $(head -c 200 "$W/body")"
fi

# ------------------------------------------------------------------ optional: openstack CLI
if [ "${SMOKE_OSC:-1}" = 1 ] && command -v openstack >/dev/null; then
  out=$(openstack server show "$SID" -f json 2>&1)
  if echo "$out" | jq -e '.id' >/dev/null 2>&1; then
    info "openstack CLI: 'server show' works ($(echo "$out" | jq -r '.status'))"
    if openstack server reboot --hard "$SID" >/dev/null 2>&1 && watch "$SID" ACTIVE 60 "openstack server reboot --hard" >/dev/null; then
      info "openstack CLI: 'server reboot --hard' works"
    else
      info "openstack CLI: 'server reboot --hard' FAILED"
    fi
    if openstack --os-compute-api-version 2.57 server rebuild --image "$IMAGE_A" --wait "$SID" >/dev/null 2>&1; then
      info "openstack CLI: 'server rebuild --image A --wait' works"
    else
      info "openstack CLI: 'server rebuild' FAILED"
    fi
  else
    info "openstack CLI: not usable here: $(echo "$out" | tail -1 | head -c 200)"
  fi
fi

# ------------------------------------------------------------------ cleanup
if [ "${SMOKE_KEEP:-0}" != 1 ]; then
  api GET "/servers?name=^smoke-" 2.1
  for id in $(jq -r '.servers[]?.id' "$W/body"); do api DELETE "/servers/$id"; done
  info "deleted the smoke-* servers (SMOKE_KEEP=1 keeps them)"
fi
info "state transitions recorded in $D/smoke-transitions.txt"
echo "$PASSES passed, $FAILS failed"
[ "$FAILS" -eq 0 ]
