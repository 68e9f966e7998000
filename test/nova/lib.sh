# Helpers for test/nova/run.sh (sourced, not run). Plain bash + curl + jq.
#
# Expects: $W (work dir), $REPO (repository root), $NOVA_HARNESS_COMPUTE_URL,
# $TOKEN (a Keystone token, set by keystone_token).

PASSES=0
FAILS=0
TIMINGS=()

now() { date +%s.%N; }
since() { awk "BEGIN{printf \"%.1f\", $(now) - $1}"; }
say() { printf '%s\n' "$*"; }
indent() { sed 's/^/      | /'; }

pass() { PASSES=$((PASSES + 1)); say "PASS: $*"; }
fail() { FAILS=$((FAILS + 1)); say "FAIL: $*"; }

# check DESCRIPTION CMD...: PASS when CMD succeeds, FAIL otherwise (never aborts the run)
check() {
  local what=$1; shift
  if "$@" >/dev/null 2>&1; then pass "$what"; else fail "$what"; fi
}

# timing LABEL SECONDS: remembered for the summary at the end
timing() { TIMINGS+=("$(printf '%-58s %6ss' "$1" "$2")"); }

# keystone_token: sets $TOKEN from the harness's OS_* (admin, project admin)
keystone_token() {
  local body
  body=$(jq -n --arg u "$OS_USERNAME" --arg p "$OS_PASSWORD" --arg pr "$OS_PROJECT_NAME" \
    --arg ud "$OS_USER_DOMAIN_NAME" --arg pd "$OS_PROJECT_DOMAIN_NAME" \
    '{auth: {identity: {methods: ["password"], password: {user: {name: $u, domain: {name: $ud}, password: $p}}},
             scope: {project: {name: $pr, domain: {name: $pd}}}}}')
  TOKEN=$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' -X POST "$OS_AUTH_URL/auth/tokens" -d "$body" \
    | awk -F': ' 'tolower($1)=="x-subject-token"{print $2}' | tr -d '\r')
  [ -n "$TOKEN" ]
}

# api METHOD PATH [MICROVERSION] [JSON]: body in $W/body, HTTP status in $CODE
api() {
  local m=$1 path=$2 mv=${3:-2.57} body=${4:-}
  local args=(-s -o "$W/body" -w '%{http_code}' -X "$m" -H "X-Auth-Token: $TOKEN"
    -H "OpenStack-API-Version: compute $mv" -H "X-OpenStack-Nova-API-Version: $mv")
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' -d "$body")
  CODE=$(curl "${args[@]}" "$NOVA_HARNESS_COMPUTE_URL$path")
}

# server NAME_OR_ID -> writes the server document (microversion 2.57, admin view) to $W/server-<label>.json
server_json() {
  local id=$1 out=$2
  api GET "/servers/$id" 2.57
  [ "$CODE" = 200 ] || { say "      GET /servers/$id -> HTTP $CODE $(head -c 300 "$W/body")"; return 1; }
  jq .server "$W/body" > "$out"
}

# instance_actions ID -> prints the action names Nova recorded for the server, oldest first
instance_actions() {
  api GET "/servers/$1/os-instance-actions" 2.57
  jq -r '.instanceActions | sort_by(.start_time) | .[].action' "$W/body"
}

b64() { printf '%s' "$1" | base64 -w0; }

# wait_active NAME_REGEX COUNT TIMEOUT: poll the list-detail until COUNT servers are ACTIVE with no task
wait_active() {
  local regex=$1 count=$2 timeout=$3 end n
  end=$(( $(date +%s) + timeout ))
  while :; do
    api GET "/servers/detail?name=$regex" 2.57
    n=$(jq '[.servers[] | select(.status=="ACTIVE" and ."OS-EXT-STS:task_state"==null)] | length' "$W/body" 2>/dev/null || echo 0)
    [ "$n" -ge "$count" ] && return 0
    if jq -e '[.servers[] | select(.status=="ERROR")] | length > 0' "$W/body" >/dev/null 2>&1; then
      say "      a server is in ERROR: $(jq -c '[.servers[] | select(.status=="ERROR") | {name, fault}]' "$W/body")"
      return 1
    fi
    [ "$(date +%s)" -lt "$end" ] || { say "      timeout: $n of $count ACTIVE"; return 1; }
    sleep 0.5
  done
}

# reform LABEL ARGS...: runs the CLI from $W with only OS_CLIENT_CONFIG_FILE set (no other OS_*),
# output in $W/out/LABEL.{out,err}; exit status in $RC; prints the command, its output and its time.
reform() {
  local label=$1; shift
  local t rc=0 log=$NOVA_HARNESS_DIR/log/nova-api.log lines0
  lines0=$(wc -l < "$log")
  t=$(now)
  (
    cd "$W"
    env -u OS_AUTH_URL -u OS_USERNAME -u OS_PASSWORD -u OS_PROJECT_NAME -u OS_USER_DOMAIN_NAME \
      -u OS_PROJECT_DOMAIN_NAME -u OS_IDENTITY_API_VERSION -u OS_REGION_NAME -u OS_CLOUD \
      OS_CLIENT_CONFIG_FILE="$CLOUDS_YAML" NO_COLOR=1 REFORM_PROGRESS=plain \
      node "$REPO/bin/reform.js" ${REFORM_DEBUG_FLAG:+"$REFORM_DEBUG_FLAG"} "$@" \
      > "$W/out/$label.out" 2> "$W/out/$label.err" < /dev/null
  ) || rc=$?
  RC=$rc
  local secs; secs=$(since "$t")
  timing "reform $*" "$secs"
  tail -n +"$((lines0 + 1))" "$log" | grep -oE '"(GET|POST|PUT|DELETE|HEAD) /v2\.1[^ "]*' | tr -d '"' > "$W/out/$label.nova.txt" || true
  say "----- reform $* -> exit $rc (${secs}s); Nova API requests: $(request_summary "$W/out/$label.nova.txt")"
  if [ "${label%-json}" != "$label" ] && jq -e . "$W/out/$label.out" >/dev/null 2>&1; then
    jq -r '.changes[] | "\(.address): \(.action) (impact \(.impact); steps: \([.steps[].kind] | join(" -> ")))"' "$W/out/$label.out" | indent
  elif [ -s "$W/out/$label.out" ]; then
    head -c 6000 "$W/out/$label.out" | indent
  fi
  [ -s "$W/out/$label.err" ] && { say "      stderr:"; tail -c 6000 "$W/out/$label.err" | indent; }
  return 0
}

# request_summary FILE (lines "METHOD /v2.1/path"): counts by kind
UUID_RE='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
request_summary() {
  local f=$1
  printf '%s total, %s GET servers/detail, %s GET servers/{id}, %s POST action, %s PUT metadata' \
    "$(wc -l < "$f")" "$(grep -c '^GET /v2\.1/servers/detail' "$f")" "$(per_server_gets "$f")" \
    "$(grep -cE "^POST /v2\.1/servers/$UUID_RE/action" "$f")" "$(grep -cE "^PUT /v2\.1/servers/$UUID_RE/metadata" "$f")"
}
per_server_gets() { grep -cE "^GET /v2\.1/servers/$UUID_RE(\?|$)" "$1" || true; }


# free_port: an unused TCP port on 127.0.0.1
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
port_taken() { ss -Hltn "sport = :$1" | grep -q .; }
