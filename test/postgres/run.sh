#!/usr/bin/env bash
# npm run test:postgres: the PostgreSQL backend's suite (test/postgres/) against a real, throwaway PostgreSQL.
# Installs Debian's postgresql package if its server programs are missing (root only; without creating the
# system's "main" cluster), starts a private cluster in a temporary directory (Unix socket there, TCP on
# 127.0.0.1 at a free port, password authentication over TCP), runs the suite, then stops the cluster and
# removes the directory. It never touches a cluster it did not start.
set -euo pipefail
cd "$(dirname "$0")/../.."

server_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
BIN=$(server_bin)
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "test:postgres: PostgreSQL's server programs are missing: install Debian's package (sudo apt-get install postgresql)" >&2
    exit 1
  fi
  echo "test:postgres: installing Debian's postgresql package (no system cluster is created)"
  mkdir -p /etc/postgresql-common
  [ -f /etc/postgresql-common/createcluster.conf ] || echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  BIN=$(server_bin)
fi

# initdb and postgres refuse to run as root: the cluster then belongs to the postgres user the package created.
DIR=$(mktemp -d /tmp/reform-pg.XXXXXX)
chmod 755 "$DIR"
[ "$(id -u)" = 0 ] && chown postgres: "$DIR"
# Run from the cluster's directory: the checkout may be one the postgres user cannot enter.
as_owner() { if [ "$(id -u)" = 0 ]; then (cd "$DIR" && runuser -u postgres -- "$@"); else "$@"; fi; }
DATA="$DIR/data"
PORT=$(node -e 'const s=require("node:net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
PASSWORD="reform-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
OPTS="-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off -c max_connections=60"

stop() {
  as_owner "$BIN/pg_ctl" -D "$DATA" stop -m fast -w >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap stop EXIT

as_owner "$BIN/initdb" -D "$DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; exit 1; }
as_owner "$BIN/pg_ctl" -D "$DATA" -l "$DIR/server.log" -o "$OPTS" -w -t 60 start >/dev/null
"$BIN/psql" -h "$DIR" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
  -c "CREATE ROLE reform LOGIN CREATEDB PASSWORD '$PASSWORD'" \
  -c "CREATE DATABASE reform OWNER reform"
echo "test:postgres: PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT (socket and data in $DIR)"

export REFORM_TEST_PG_URL="postgres://reform:$PASSWORD@127.0.0.1:$PORT/reform"
export REFORM_TEST_PG_PASSWORD="$PASSWORD"
export REFORM_TEST_PG_SOCKET="$DIR" REFORM_TEST_PG_PORT="$PORT" REFORM_TEST_PG_BIN="$BIN" REFORM_TEST_PG_DATA="$DATA" REFORM_TEST_PG_OPTS="$OPTS"
export REFORM_TEST_PG_RUNAS=$([ "$(id -u)" = 0 ] && echo postgres || echo "")
npm run build
npx vitest run -c vitest.postgres.config.ts "$@"
