#!/usr/bin/env bash
# Installs the manifest test tools (package.json here) from npm into a cache directory and prints its path:
# $AUTHCLUSTER_K8S_TOOLS, else ~/.cache/authcluster/k8s-tools. Does nothing when that lock file is installed
# there already. Used by .ci/run and, when needed, by the manifest tests themselves.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${AUTHCLUSTER_K8S_TOOLS:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/authcluster/k8s-tools}"
stamp="$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-16)"

mkdir -p "$dir"
# One installer at a time per directory (test runs of several worktrees may start together).
exec 9>"$dir/.lock"
flock 9
# Replaced, not overwritten: another test run may be reading it.
cp "$here/manifests.mjs" "$dir/.manifests.mjs.new" && mv -f "$dir/.manifests.mjs.new" "$dir/manifests.mjs"
if [[ ! -f "$dir/.installed-$stamp" ]]; then
  command -v npm >/dev/null || { echo "install.sh: npm is not installed (apt-get install nodejs npm)" >&2; exit 3; }
  rm -f "$dir"/.installed-*
  cp "$here/package.json" "$here/package-lock.json" "$here/.npmrc" "$dir/"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2 && node manifests.mjs extract-kubectl >&2)
  touch "$dir/.installed-$stamp"
fi
echo "$dir"
