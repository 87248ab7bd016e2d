#!/usr/bin/env bash
# Builds AuthCluster in Release, starts a single node (Embedded silo, SQLite, Production settings) on a
# temporary data directory, and runs each load scenario against it with the generator on the same machine.
# Usage: bench/run.sh [seconds-per-scenario] [bcrypt-cost]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
cost=${2:-11}
port=5090
data=$(mktemp -d)
trap 'kill "$api_pid" 2>/dev/null || true; wait "$api_pid" 2>/dev/null || true; rm -rf "$data"' EXIT

dotnet build -c Release src/Api -v q -nologo >/dev/null
dotnet build -c Release bench/LoadGen -v q -nologo >/dev/null

ASPNETCORE_ENVIRONMENT=Production \
Urls=http://127.0.0.1:$port \
Logging__LogLevel__Default=Warning \
Storage__ConnectionString="Data Source=$data/auth.db" \
Auth__Signing__KeyEncryptionKey=$(head -c 32 /dev/urandom | base64) \
Auth__Clients__0__ClientId=bench \
Auth__Clients__0__Secret=bench-secret-0123456789-abcdefghijkl \
Auth__Clients__0__ShopIds__0=1 \
Auth__Passwords__BcryptCost=$cost \
RateLimiting__PermitLimit=1000000 \
Email__Provider=Pickup Email__PickupDirectory="$data/mail" Email__From=bench@example.com \
dotnet src/Api/bin/Release/net10.0/AuthCluster.Api.dll >"$data/api.log" 2>&1 &
api_pid=$!

for _ in $(seq 1 60); do curl -fs -o /dev/null "http://127.0.0.1:$port/health/ready" && break; sleep 1; done
curl -fs -o /dev/null "http://127.0.0.1:$port/health/ready" || { echo "the API did not become ready:"; tail -20 "$data/api.log"; exit 1; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F)"
echo "bcrypt cost $cost, ${seconds}s per scenario, load generator on the same machine"
gen="dotnet bench/LoadGen/bin/Release/net10.0/AuthCluster.LoadGen.dll"
$gen validate "http://127.0.0.1:$port" bench bench-secret-0123456789-abcdefghijkl "$seconds" 64
$gen refresh "http://127.0.0.1:$port" bench bench-secret-0123456789-abcdefghijkl "$seconds" 32
$gen guest "http://127.0.0.1:$port" bench bench-secret-0123456789-abcdefghijkl "$seconds" 32
$gen login "http://127.0.0.1:$port" bench bench-secret-0123456789-abcdefghijkl "$seconds" 8
