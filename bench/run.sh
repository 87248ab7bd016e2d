#!/usr/bin/env bash
# The benchmark suite. Builds Release, starts the topology it measures on this machine (with the load generator on
# the same machine), runs every scenario against it, and prints one line per scenario plus the machine's limits.
#
#   bench/run.sh [embedded|cluster|cluster2|all|memory|growth|activations] [seconds] [bcrypt-cost]
#       embedded  one node as `dotnet run --project src/Api` runs it (Embedded silo, SQLite), Production settings
#       cluster   PostgreSQL (a throw-away server), 1 silo, 1 API node in Client mode
#       cluster2  PostgreSQL, 2 silos, 2 API nodes (requests alternate between them)
#       all       the three, one after the other (default)
#       memory    cluster (1 + 1): memory per session (silo) and per remembered revocation (API node), with
#                 BENCH_SESSIONS (default 100000) guest sessions, measured again after BENCH_IDLE seconds (default
#                 60) of Cluster:IdleDeactivation and as long again without load, then all logged out; each
#                 measurement after a full garbage collection when dotnet-gcdump is installed
#       growth    cluster (1 + 1) twice: with 10,000 and with 1,000,000 customers already stored (bulk-imported first;
#                 BENCH_GROWTH="10000 1000000" are the sizes)
#       activations  a silo in the load generator's place (no HTTP, no database server): the managed heap per
#                 activation of an empty grain (what Orleans spends on any grain) and of a started session, while
#                 active and after the silo collected them; BENCH_SESSIONS (default 100000) of each
#   bench/run.sh url BASE_URL[,BASE_URL...] CLIENT_ID CLIENT_SECRET [seconds]
#       an already running service (no CPU per tier: its processes are not ours to watch)
#
# Environment: BENCH_SCENARIOS (default: all eight), BENCH_CONCURRENCY (16), BENCH_JSON (a file that gets one JSON
# line per result), BENCH_WARMUP (seconds of unmeasured mixed load on each new topology first; default 20),
# BENCH_PG_OPTIONS (appended to the cluster's PostgreSQL connection string, e.g. "Max Auto Prepare=0" to compare).
# Seconds default to 15, bcrypt cost to 10.
set -euo pipefail
cd "$(dirname "$0")/.."

scenarios=${BENCH_SCENARIOS:-register login guest refresh validate introspect jwks mixed}
concurrency=${BENCH_CONCURRENCY:-16}
json=${BENCH_JSON:-}
warmup=${BENCH_WARMUP:-20}
idle=${BENCH_IDLE:-60}
silo_settings=()
client=bench
secret=bench-secret-0123456789-abcdefghijkl
work=$(mktemp -d)
pids=()
pg_state="$work/pg"

usage() { sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; }

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ -f "$pg_state/datadir" ]]; then AUTHCLUSTER_PG_PORT=$pg_port AUTHCLUSTER_PG_STATE=$pg_state bash .ci/postgres.sh stop >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
pg_port=$(free_port)

loadgen() { dotnet bench/LoadGen/bin/Release/net10.0/AuthCluster.LoadGen.dll "$@"; }
gen() { loadgen "$@" ${json:+--json "$json"}; } # a measurement: its result also goes to BENCH_JSON

wait_ready() { # url log
  for _ in $(seq 1 90); do curl -fs -o /dev/null "$1" && return 0; sleep 1; done
  echo "not ready: $1"; tail -20 "$2"; exit 1
}

common_env() {
  export ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production
  export Logging__LogLevel__Default=Warning
  export Auth__Signing__KeyEncryptionKey=$kek
  export Auth__Clients__0__ClientId=$client Auth__Clients__0__Secret=$secret Auth__Clients__0__ShopIds__0=1
  export Auth__Passwords__BcryptCost=$cost
  export Email__Provider=Pickup Email__PickupDirectory="$work/mail" Email__From=bench@example.com
  # Loopback only: cluster traffic without TLS (production clusters use Cluster:Tls:Directory; not measured here).
  export Cluster__Tls__Disabled=true
}

start_api() { # name port [extra env assignments...]
  local name=$1 port=$2; shift 2
  env "$@" Urls=http://127.0.0.1:$port Management__Urls=http://127.0.0.1:$(free_port) \
    dotnet src/Api/bin/Release/net10.0/AuthCluster.Api.dll >"$work/$name.log" 2>&1 &
  pids+=($!); last_pid=$!
}

start_silo() { # name
  local name=$1 management; management=$(free_port)
  env Storage__Provider=PostgreSql Storage__ConnectionString="$pg" Cluster__Clustering=AdoNet \
    Cluster__SiloPort=$(free_port) Cluster__GatewayPort=$(free_port) Cluster__AdvertisedIP=127.0.0.1 \
    Management__Urls=http://127.0.0.1:$management "${silo_settings[@]}" \
    dotnet src/Silo/bin/Release/net10.0/AuthCluster.Silo.dll >"$work/$name.log" 2>&1 &
  pids+=($!); last_pid=$!
  wait_ready "http://127.0.0.1:$management/health/ready" "$work/$name.log"
}

run_scenarios() { # topology urls tiers...
  local topology=$1 urls=$2; shift 2
  echo "== $topology: ${seconds}s per scenario, $concurrency workers, bcrypt cost $cost"
  # A fresh process runs new code unoptimized, then instrumented for dynamic PGO, for tens of seconds under load;
  # bcrypt then costs up to twice its optimized time. Every scenario is measured after the whole process is warm.
  if (( warmup > 0 )); then
    echo -n "warm-up (${warmup}s mixed, not counted): "
    loadgen run "$urls" "$client" "$secret" mixed --seconds "$warmup" --concurrency "$concurrency" | cut -c1-60
  fi
  for scenario in $scenarios; do
    gen run "$urls" "$client" "$secret" "$scenario" --seconds "$seconds" --concurrency "$concurrency" "$@" || failed=1
  done
}

embedded() {
  local port; port=$(free_port)
  start_api embedded "$port" Storage__ConnectionString="Data Source=$work/auth.db"
  local api=$last_pid
  wait_ready "http://127.0.0.1:$port/health/ready" "$work/embedded.log"
  run_scenarios embedded "http://127.0.0.1:$port" --tier "api+silo=$api"
  stop_all
}

cluster() { # silos apis [stored-customers]
  local silos=$1 apis=$2 stored=${3:-0} silo_pids=() api_pids=() urls=()
  pg=$(AUTHCLUSTER_PG_PORT=$pg_port AUTHCLUSTER_PG_STATE=$pg_state bash .ci/postgres.sh start 2>/dev/null)${BENCH_PG_OPTIONS:+;$BENCH_PG_OPTIONS}
  Storage__ConnectionString="$pg" dotnet src/Silo/bin/Release/net10.0/AuthCluster.Silo.dll schema apply >/dev/null
  if (( stored > 0 )); then seed "$stored"; fi
  local postmaster; postmaster=$(head -1 "$(cat "$pg_state/datadir")/postmaster.pid")
  for i in $(seq 1 "$silos"); do start_silo "silo$i"; silo_pids+=("$last_pid"); done
  for i in $(seq 1 "$apis"); do
    local port; port=$(free_port)
    start_api "api$i" "$port" Cluster__Mode=Client Cluster__Clustering=AdoNet Storage__Provider=PostgreSql Storage__ConnectionString="$pg"
    api_pids+=("$last_pid"); urls+=("http://127.0.0.1:$port")
    wait_ready "http://127.0.0.1:$port/health/ready" "$work/api$i.log"
  done
  local joined; joined=$(IFS=,; echo "${urls[*]}")
  if [[ $topology == memory ]]; then
    local gcdump; gcdump=$(command -v dotnet-gcdump || echo "$HOME/.dotnet/tools/dotnet-gcdump")
    if [[ ! -x $gcdump ]]; then
      echo "memory: dotnet-gcdump not found (dotnet tool install -g dotnet-gcdump): memory is measured without forcing a garbage collection" >&2
      gcdump=
    fi
    gen memory "${urls[0]}" "$client" "$secret" --count "${BENCH_SESSIONS:-100000}" --concurrency "$concurrency" --seconds $((2 * idle)) \
      ${gcdump:+--gcdump "$gcdump"} \
      --tier "api=$(IFS=,; echo "${api_pids[*]}")" --tier "silo=$(IFS=,; echo "${silo_pids[*]}")" || failed=1
    stop_all; AUTHCLUSTER_PG_PORT=$pg_port AUTHCLUSTER_PG_STATE=$pg_state bash .ci/postgres.sh stop >/dev/null 2>&1
    return
  fi
  run_scenarios "cluster ($silos silo, $apis API, PostgreSQL${3:+, $stored customers stored})" "$joined" \
    --tier "api=$(IFS=,; echo "${api_pids[*]}")" --tier "silo=$(IFS=,; echo "${silo_pids[*]}")" --tier "db=db:$postmaster"
  stop_all
  AUTHCLUSTER_PG_PORT=$pg_port AUTHCLUSTER_PG_STATE=$pg_state bash .ci/postgres.sh stop >/dev/null 2>&1
}

# Stores N customers through the bulk import (the fast path an operator uses to move a shop in), so that scenarios
# run against tables of that size. All share one bcrypt hash: only the number and size of the rows matter here.
seed() { # count
  local file="$work/seed.jsonl" started=$SECONDS
  awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++) printf "{\"shop_id\":1,\"email\":\"stored-%d@example.com\",\"first_name\":\"Stored\",\"last_name\":\"Customer%d\",\"password_hash\":\"$2a$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a\"}\n", i, i }' >"$file"
  Storage__Provider=PostgreSql Storage__ConnectionString="$pg" \
    dotnet src/Silo/bin/Release/net10.0/AuthCluster.Silo.dll customers import "$file" --json >"$work/seed.json"
  echo "stored $1 customers by import in $((SECONDS - started)) s"
}

stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}

topology=${1:-all}
case "$topology" in
  embedded|cluster|cluster2|all|growth|memory) seconds=${2:-15}; cost=${3:-10} ;;
  url)
    [[ $# -ge 4 ]] || { usage >&2; exit 2; }
    client=$3 secret=$4 seconds=${5:-15} cost="the service's"
    dotnet build -c Release bench/LoadGen -v q -nologo >/dev/null
    failed=0
    run_scenarios "$2" "$2"
    exit $failed ;;
  activations)
    dotnet build -c Release bench/ActivationCost -v q -nologo >/dev/null
    dotnet bench/ActivationCost/bin/Release/net10.0/AuthCluster.ActivationCost.dll "${BENCH_SESSIONS:-100000}"
    exit 0 ;;
  -h|--help|help) usage; exit 0 ;;
  *) echo "unknown topology: $topology" >&2; usage >&2; exit 2 ;;
esac

# The floor under validate: its requests answered by a bare ASP.NET Core server that does no work (LoadGen http-floor),
# measured like a topology, so that validate's CPU per request can be read as floor + AuthCluster's own work.
http_floor() {
  [[ " $scenarios " == *" validate "* ]] || return 0
  local port; port=$(free_port)
  # Started directly, not through loadgen(): the PID measured must be the server's own, not a subshell's.
  dotnet bench/LoadGen/bin/Release/net10.0/AuthCluster.LoadGen.dll http-floor --port "$port" >"$work/floor.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  wait_ready "http://127.0.0.1:$port/v1/oauth/token/validate" "$work/floor.log"
  echo "== http floor: validate's requests answered by a bare ASP.NET Core server (same bytes, no work)"
  if (( warmup > 0 )); then
    loadgen run "http://127.0.0.1:$port" "$client" "$secret" validate --seconds "$warmup" --concurrency "$concurrency" >/dev/null
  fi
  gen run "http://127.0.0.1:$port" "$client" "$secret" validate --seconds "$seconds" --concurrency "$concurrency" --tier "floor=$pid" || failed=1
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

kek=$(head -c 32 /dev/urandom | base64)
echo "building (Release)..."
dotnet build -c Release src/Api -v q -nologo >/dev/null
dotnet build -c Release src/Silo -v q -nologo >/dev/null
dotnet build -c Release bench/LoadGen -v q -nologo >/dev/null
common_env
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
gen limits --cost "$cost"
failed=0
[[ $topology == memory ]] || http_floor
case "$topology" in
  embedded) embedded ;;
  cluster) cluster 1 1 ;;
  cluster2) cluster 2 2 ;;
  all) embedded; cluster 1 1; cluster 2 2 ;;
  growth) for stored in ${BENCH_GROWTH:-10000 1000000}; do cluster 1 1 "$stored"; done ;;
  memory) silo_settings=("Cluster__IdleDeactivation=$(printf "%02d:%02d:%02d" $((idle / 3600)) $((idle % 3600 / 60)) $((idle % 60)))"); cluster 1 1 ;;
esac
exit $failed
