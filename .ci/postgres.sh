#!/usr/bin/env bash
# Throw-away PostgreSQL for integration tests (CI and local runs as root on Debian).
#   .ci/postgres.sh start   -> prints the Npgsql connection string on stdout
#   .ci/postgres.sh stop    -> stops the server and removes its data directory
#   .ci/postgres.sh pause   -> stops the server (fast shutdown), keeping its data: an outage
#   .ci/postgres.sh resume  -> starts a paused server again with the same data
# AUTHCLUSTER_PG_PORT and AUTHCLUSTER_PG_STATE (where the data dir is recorded) let several servers
# run side by side, e.g. a throw-away one that a fault test stops and starts without disturbing others.
# AUTHCLUSTER_PG_LISTEN (default 127.0.0.1) is the address it listens on; any other address (a network
# namespace's own, as the fault tests give it) also admits clients from the subnets that address is on.
set -euo pipefail

PORT="${AUTHCLUSTER_PG_PORT:-55432}"
LISTEN="${AUTHCLUSTER_PG_LISTEN:-127.0.0.1}"
DB=authcluster
STATE_DIR="${AUTHCLUSTER_PG_STATE:-/tmp/authcluster-pg}"
DATADIR_FILE="$STATE_DIR/datadir"

log() { echo "postgres.sh: $*" >&2; }

find_bindir() {
  # Highest installed major version wins when several are present.
  local initdb
  initdb=$(ls -1 /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
  [[ -n "$initdb" ]] && dirname "$initdb"
}

# PostgreSQL refuses to run as root, so server tools run as the postgres user.
as_pg() {
  if [[ "$(id -u)" -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start() {
  local bindir
  bindir=$(find_bindir || true)
  if [[ -z "$bindir" ]]; then
    log "installing postgresql"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    bindir=$(find_bindir)
  fi

  if [[ -f "$DATADIR_FILE" ]] && as_pg "$bindir/pg_ctl" -D "$(cat "$DATADIR_FILE")" status >/dev/null 2>&1; then
    log "already running (data dir $(cat "$DATADIR_FILE"))"
  else
    # A recorded but stopped server (e.g. after a reboot) is stale: discard it.
    [[ -f "$DATADIR_FILE" ]] && rm -rf "$(cat "$DATADIR_FILE")"
    mkdir -p "$STATE_DIR"
    local datadir
    datadir=$(mktemp -d /tmp/authcluster-pg-data.XXXXXX)
    chown postgres: "$datadir" 2>/dev/null || true
    chmod 700 "$datadir"
    echo "$datadir" > "$DATADIR_FILE"
    echo "$LISTEN" > "$STATE_DIR/listen"

    as_pg "$bindir/initdb" -D "$datadir" -U postgres --auth=trust --encoding=UTF8 --no-locale >/dev/null
    # Loopback only and trust: a disposable test server, never reachable from outside.
    cat > "$datadir/pg_hba.conf" <<HBA
local all all trust
host  all all 127.0.0.1/32 trust
host  all all ::1/128 trust
HBA
    # samenet: the subnets of the server's own addresses, i.e. a test's bridge, never the host's other networks.
    [[ "$LISTEN" == 127.0.0.1 ]] || echo "host  all all samenet trust" >> "$datadir/pg_hba.conf"
    chown postgres: "$datadir/pg_hba.conf" 2>/dev/null || true
    # The socket lives in the data dir so the system's /var/run/postgresql is not needed.
    pg_ctl_start "$bindir" "$datadir"
    as_pg "$bindir/createdb" -h "$LISTEN" -p "$PORT" -U postgres "$DB"
  fi

  echo "Host=$LISTEN;Port=$PORT;Username=postgres;Database=$DB"
}

stop() {
  if [[ ! -f "$DATADIR_FILE" ]]; then
    log "not running"
    return 0
  fi
  local datadir bindir
  datadir=$(cat "$DATADIR_FILE")
  bindir=$(find_bindir || true)
  if [[ -n "$bindir" && -d "$datadir" ]]; then
    as_pg "$bindir/pg_ctl" -D "$datadir" -m fast -w stop >&2 || true
  fi
  rm -rf "$datadir" "$STATE_DIR"
  log "stopped"
}

# The server options of start, again: a resumed server must listen exactly where it did.
pg_ctl_start() {
  local bindir="$1" datadir="$2"
  as_pg "$bindir/pg_ctl" -D "$datadir" -l "$datadir/server.log" -w -t 60 \
    -o "-c listen_addresses=$LISTEN -p $PORT -k $datadir -c fsync=off -c max_connections=200" start >&2
}

pause() {
  [[ -f "$DATADIR_FILE" ]] || { log "not running"; exit 1; }
  as_pg "$(find_bindir)/pg_ctl" -D "$(cat "$DATADIR_FILE")" -m fast -w stop >&2
}

resume() {
  [[ -f "$DATADIR_FILE" ]] || { log "not running"; exit 1; }
  [[ -f "$STATE_DIR/listen" ]] && LISTEN="$(cat "$STATE_DIR/listen")"
  pg_ctl_start "$(find_bindir)" "$(cat "$DATADIR_FILE")"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  pause) pause ;;
  resume) resume ;;
  *) echo "usage: $0 start|stop|pause|resume" >&2; exit 2 ;;
esac
