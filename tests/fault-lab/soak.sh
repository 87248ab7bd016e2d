#!/usr/bin/env bash
# The soak run of the fault lab (not part of CI): 3 silos and 2 API nodes, each in a network namespace of its own,
# under a mixed load for N minutes with a fault every F seconds (silo isolated from its peers, silo cut from
# PostgreSQL, API node cut from a silo, kill -9, SIGTERM, PostgreSQL down), every cycle judged by the history checker.
# Writes soak.svg (throughput, p99 latency, failures, memory per node; faults shaded), soak-memory.csv and
# soak-cycles.md (one row per fault) to OUT.
#
#   tests/fault-lab/soak.sh [MINUTES=30] [FAULT_EVERY_SECONDS=120] [OUT=docs/soak]
#
# Needs root (network namespaces), iproute2 and PostgreSQL's server binaries under /usr/lib/postgresql (as .ci/run).
# Release build, as production runs. Exit code: the test's (non-zero when an invariant broke).
set -euo pipefail
cd "$(dirname "$0")/../.."

export AUTHCLUSTER_SOAK_MINUTES="${1:-30}"
export AUTHCLUSTER_SOAK_FAULT_EVERY="${2:-120}"
export AUTHCLUSTER_SOAK_OUT="$(realpath -m "${3:-docs/soak}")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

echo "soak: ${AUTHCLUSTER_SOAK_MINUTES} min, a fault every ${AUTHCLUSTER_SOAK_FAULT_EVERY} s, results in ${AUTHCLUSTER_SOAK_OUT}"
dotnet test tests/Tests -c Release --filter "FullyQualifiedName~AuthCluster.Tests.Faults.SoakTests" --logger "console;verbosity=detailed"
